"""How the EA writes numbers (docs/mt5-bridge-protocol.md, "Numbers that are money are
strings"): prices with the symbol's digits, volumes with the step's digits, money with the
account currency's two, as `DoubleToString` would; and how it reads them back."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from execution_engine.adapters.mt5.codes import ErrorCode, OpError

MONEY_DIGITS = 2
_CENT = Decimal(1).scaleb(-MONEY_DIGITS)


_QUANTA = [Decimal(1).scaleb(-digits) for digits in range(16)]


def fixed(value: Decimal, digits: int) -> str:
    """`DoubleToString(value, digits)` on a Decimal: rounded half up, never exponent form."""
    return f"{value.quantize(_QUANTA[digits], rounding=ROUND_HALF_UP):f}"


def money(value: Decimal) -> str:
    return fixed(value, MONEY_DIGITS)


def cents(value: Decimal) -> Decimal:
    """Money as the trade server books it: rounded to the cent."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def decimal_arg(args: dict[str, Any], name: str, default: Decimal = Decimal(0)) -> Decimal:
    """A money argument: a decimal string (or an integer); a float or garbage is BAD_ARGS."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise OpError(ErrorCode.BAD_ARGS, f"{name} must be a decimal string, got {raw!r}")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise OpError(ErrorCode.BAD_ARGS, f"{name} is not a decimal number: {raw!r}") from None
    if not value.is_finite():
        raise OpError(ErrorCode.BAD_ARGS, f"{name} must be finite, got {raw!r}")
    return value


def int_arg(args: dict[str, Any], name: str, default: int = 0) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise OpError(ErrorCode.BAD_ARGS, f"{name} must be an integer, got {raw!r}")
    return raw


def str_arg(args: dict[str, Any], name: str, default: str = "") -> str:
    raw = args.get(name)
    if raw is None:
        return default
    if not isinstance(raw, str):
        raise OpError(ErrorCode.BAD_ARGS, f"{name} must be text, got {raw!r}")
    return raw


def is_multiple(value: Decimal, step: Decimal) -> bool:
    return value % step == 0
