"""The small formats every answer uses: RFC 3339 times with nanoseconds, decimals as strings."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_encoder = msgspec.json.Encoder()
_second_cache: dict[int, str] = {}


def rfc3339(ns: int) -> str:
    """`2026-12-01T20:03:58.123456789Z` for a UNIX time in nanoseconds."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    prefix = _second_cache.get(seconds)
    if prefix is None:
        if len(_second_cache) > 4096:  # a long-running sim must not grow without bound
            _second_cache.clear()
        prefix = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second_cache[seconds] = prefix
    return f"{prefix}.{fraction:09d}Z"


def now_ns() -> int:
    return time.time_ns()


def now() -> str:
    return rfc3339(time.time_ns())


def parse_time(text: str) -> int:
    """Nanoseconds of an RFC 3339 time or a UNIX-seconds string (ValueError otherwise)."""
    text = text.strip()
    if text and (text[0].isdigit() and "-" not in text):
        return int(Decimal(text) * 1_000_000_000)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    fraction_ns = 0
    if "." in text:
        head, tail = text.split(".", 1)
        digits = ""
        while tail and tail[0].isdigit():
            digits, tail = digits + tail[0], tail[1:]
        fraction_ns = int((digits + "000000000")[:9])
        text = head + tail
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int((moment - _EPOCH).total_seconds()) * 1_000_000_000 + fraction_ns


def dec(value: Decimal) -> str:
    """A decimal as OANDA writes it: plain notation, never an exponent."""
    text = format(value, "f")
    return "0" if text in ("-0", "") else text


def money(value: Decimal) -> str:
    """An amount in the account's currency, 4 places as OANDA's answers show."""
    return dec(value.quantize(Decimal("0.0001")))


def encode(body: object) -> bytes:
    return _encoder.encode(body)


def unix_times(body: Any) -> Any:
    """A copy of `body` with every RFC 3339 time as UNIX seconds (`Accept-Datetime-Format:
    UNIX`): the values of `time` and of the keys ending in `Time`."""
    if isinstance(body, list):
        return [unix_times(item) for item in body]
    if not isinstance(body, dict):
        return body
    out = {}
    for key, value in body.items():
        if (
            isinstance(value, str)
            and (key == "time" or key.endswith("Time"))
            and value[:1].isdigit()
            and "T" in value
        ):
            seconds, fraction = divmod(parse_time(value), 1_000_000_000)
            out[key] = f"{seconds}.{fraction:09d}"
        else:
            out[key] = unix_times(value)
    return out
