"""v20 times (RFC 3339 with up to nine fractional digits, or UNIX seconds) as UNIX nanoseconds.

The pricing stream carries one time a line, tens of thousands of lines a second, so the common
layout `2026-12-01T20:00:00.123456789Z` is parsed by hand: the date-and-seconds prefix changes
once a second and its epoch value is cached; only the fraction is converted per line. Anything
else (an offset instead of Z, no fraction, UNIX seconds) takes the slow, general path.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

_NS = 1_000_000_000
# Nanoseconds per unit of a fraction written with k digits (k = 0..9).
_FRACTION_NS: list[int] = [10 ** (9 - k) for k in range(10)]
_last_prefix = ""
_last_prefix_ns = 0


def rfc3339_ns(text: str) -> int:
    """Nanoseconds since the epoch of a v20 time; ValueError with one line if it is none."""
    global _last_prefix, _last_prefix_ns  # one-entry cache: one writer, the event loop
    if len(text) > 21 and text[19] == "." and text[-1] == "Z" and len(text) <= 30:
        prefix = text[:19]
        if prefix != _last_prefix:
            _last_prefix_ns = _prefix_ns(prefix, text)
            _last_prefix = prefix
        fraction = text[20:-1]
        if not fraction.isdigit():
            raise ValueError(f"not an RFC 3339 time: {text!r}")
        return _last_prefix_ns + int(fraction) * _FRACTION_NS[len(fraction)]
    return _general_ns(text)


def _prefix_ns(prefix: str, text: str) -> int:
    try:
        moment = datetime.strptime(prefix, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"not an RFC 3339 time: {text!r}") from None
    return int(moment.timestamp()) * _NS


def _general_ns(text: str) -> int:
    if text and text[0].isdigit() and "-" not in text:  # UNIX seconds, "1700000000.123456789"
        try:
            return int(Decimal(text) * _NS)
        except InvalidOperation:
            raise ValueError(f"not a v20 time: {text!r}") from None
    head, fraction_ns = text, 0
    if "." in text:
        head, tail = text.split(".", 1)
        digits = len(tail) - len(tail.lstrip("0123456789"))
        if not 0 < digits <= 9:
            raise ValueError(f"not an RFC 3339 time: {text!r}")
        fraction_ns = int(tail[:digits]) * _FRACTION_NS[digits]
        head += tail[digits:]
    try:
        moment = datetime.fromisoformat(head.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an RFC 3339 time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * _NS + fraction_ns
