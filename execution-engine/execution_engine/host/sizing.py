"""Target fraction → order quantity, respecting the instrument's size rules (ADR 0002 §5).

Quantities are Decimals in units of the base currency. Rounding is toward zero to the size
increment (or to the lot size when asked), so a position never exceeds its target and the
vectorized engine with `round_units=True` computes the same units for an increment of 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from nautilus_trader.model.instruments import Instrument


@dataclass(frozen=True)
class SizeRules:
    step: Decimal  # size increment, or lot size
    min_quantity: Decimal
    precision: int

    @classmethod
    def for_instrument(cls, instrument: Instrument, round_to_lot: bool) -> SizeRules:
        step = instrument.size_increment.as_decimal()
        if round_to_lot and instrument.lot_size is not None:
            step = instrument.lot_size.as_decimal()
        min_qty = instrument.min_quantity.as_decimal() if instrument.min_quantity else Decimal(0)
        return cls(step=step, min_quantity=min_qty, precision=instrument.size_precision)


def round_toward_zero(units: float, step: Decimal) -> Decimal:
    steps = (Decimal(repr(units)) / step).to_integral_value(rounding=ROUND_DOWN)
    return steps * step


def desired_units(
    fraction: float, equity: float, price: float, *, units_at_one: float | None
) -> float:
    """Signed units for a target fraction: of equity (EQUITY) or of a fixed size (UNITS)."""
    if units_at_one is not None:
        return fraction * units_at_one
    return fraction * equity / price
