"""Reading and writing field values: raw tag=value text, Decimals and UTC timestamps.

Prices and quantities go on the wire as the Decimal's own digits (QuickFIX's DoubleField
would round-trip through a float), and come back as Decimal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from execution_engine.adapters.fix.fixlog import SOH

_UTC_FORMAT = "%Y%m%d-%H:%M:%S.%f"


class FixMessageError(ValueError):
    """A message that cannot be built or read; one line, credentials never included."""


def split_fields(raw: str) -> list[tuple[int, str]]:
    """(tag, value) pairs of a SOH-separated message, in wire order."""
    pairs: list[tuple[int, str]] = []
    for part in raw.split(SOH):
        if not part:
            continue
        tag, sep, value = part.partition("=")
        if not sep or not tag.isdigit():
            raise FixMessageError(f"garbled field {part[:20]!r}")
        pairs.append((int(tag), value))
    return pairs


def first_values(pairs: list[tuple[int, str]]) -> dict[int, str]:
    """Each tag's first value (the header and body of a message without groups)."""
    values: dict[int, str] = {}
    for tag, value in pairs:
        values.setdefault(tag, value)
    return values


def decimal_text(value: Decimal) -> str:
    """A Decimal as FIX float text: plain digits, no exponent."""
    if not value.is_finite():
        raise FixMessageError(f"not a finite number: {value}")
    return format(value, "f")


def utc_text(moment: dt.datetime) -> str:
    """UTCTimestamp with milliseconds."""
    if moment.tzinfo is None:
        raise FixMessageError("a FIX timestamp needs a timezone-aware datetime")
    return moment.astimezone(dt.UTC).strftime(_UTC_FORMAT)[:-3]


def parse_utc(text: str) -> dt.datetime:
    for fmt in (_UTC_FORMAT, "%Y%m%d-%H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    raise FixMessageError(f"bad UTCTimestamp {text!r}")


class Fields:
    """Typed reads of one message's first values, naming the message type in errors."""

    def __init__(self, values: dict[int, str], msg_type: str) -> None:
        self.values = values
        self.msg_type = msg_type

    def text(self, tag: int) -> str:
        try:
            return self.values[tag]
        except KeyError:
            raise FixMessageError(f"MsgType {self.msg_type}: required tag {tag} missing") from None

    def opt(self, tag: int) -> str | None:
        return self.values.get(tag)

    def decimal(self, tag: int) -> Decimal:
        return self._to_decimal(tag, self.text(tag))

    def opt_decimal(self, tag: int) -> Decimal | None:
        value = self.values.get(tag)
        return None if value is None or value == "" else self._to_decimal(tag, value)

    def integer(self, tag: int) -> int | None:
        value = self.values.get(tag)
        if value is None:
            return None
        if not value.lstrip("-").isdigit():
            raise FixMessageError(f"MsgType {self.msg_type}: tag {tag} is not an integer")
        return int(value)

    def flag(self, tag: int) -> bool:
        return self.values.get(tag) == "Y"

    def _to_decimal(self, tag: int, value: str) -> Decimal:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise FixMessageError(f"MsgType {self.msg_type}: tag {tag} is not a number") from None
        if not number.is_finite():
            raise FixMessageError(f"MsgType {self.msg_type}: tag {tag} is not a number")
        return number
