"""Target fraction → order quantity, respecting the instrument's size rules (ADR 0002 §5).

Quantities, equity and prices are Decimals (money never passes through a float): units of
the base currency, account currency, quote currency. Rounding is toward zero to the size
increment (or to the lot size when asked), so a position never exceeds its target and the
vectorized engine with `round_units=True` computes the same units for an increment of 1.
The target fraction is the strategy's float, converted exactly by its repr.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from nautilus_trader.model.instruments import Equity, FuturesContract, Instrument


@dataclass(frozen=True)
class SizeRules:
    step: Decimal  # size increment, or lot size
    min_quantity: Decimal
    precision: int

    @classmethod
    def for_instrument(
        cls, instrument: Instrument, round_to_lot: bool, whole_units: bool = False
    ) -> SizeRules:
        """The size step of ADR 0002 §14, as the vectorized engine takes it from the
        definition (its lot size): the size increment, which is the lot size for pairs and
        CFDs; an equity's or a future's lot when above it (their increment is always 1).
        `whole_units` (round_units) forces 1; `round_to_lot` the lot (an FX pair's 1000)."""
        step = instrument.size_increment.as_decimal()
        lot = None if instrument.lot_size is None else instrument.lot_size.as_decimal()
        if lot is not None and isinstance(instrument, Equity | FuturesContract):
            step = max(step, lot)
        if whole_units:
            step = Decimal(1)
        if round_to_lot and lot is not None:
            step = lot
        min_qty = instrument.min_quantity.as_decimal() if instrument.min_quantity else Decimal(0)
        return cls(step=step, min_quantity=min_qty, precision=instrument.size_precision)


def round_toward_zero(units: Decimal, step: Decimal) -> Decimal:
    steps = (units / step).to_integral_value(rounding=ROUND_DOWN)
    return steps * step


@dataclass(frozen=True)
class Sized:
    """An order for one instrument: signed units to trade (0: already there), or a
    problem to report instead of trading."""

    order: Decimal
    problem: tuple[str, str] | None = None  # (report kind, message)

    @property
    def tradable(self) -> bool:
        return self.problem is None and self.order != 0


class Sizer:
    """Signed units for a target fraction: of equity ("equity", "vol_target") or of a
    fixed size (`units_at_one`, "units"), rounded by each instrument's `SizeRules`."""

    def __init__(self, rules: list[SizeRules], units_at_one: float | None) -> None:
        self._rules = rules
        self._units_at_one = None if units_at_one is None else Decimal(repr(units_at_one))

    def precision(self, col: int) -> int:
        return self._rules[col].precision

    def order(
        self,
        col: int,
        target: float,
        equity: Decimal,
        price: Decimal,
        held: Decimal,
        limit: Callable[[Decimal], Decimal] | None = None,
    ) -> Sized:
        """The order moving `held` units to `target`, sized at `price` with `equity`;
        `limit` (the account's rules) cuts the rounded desired units, rounded again."""
        rules = self._rules[col]
        desired = round_toward_zero(self.desired_units(target, equity, price), rules.step)
        if limit is not None:
            desired = round_toward_zero(limit(desired), rules.step)
        order = desired - held
        if order == 0:
            if desired == 0 and target != 0.0:
                return Sized(order, ("zero_quantity", f"target {target:g} rounds to 0 units"))
            return Sized(order)
        if abs(order) < rules.min_quantity:
            message = f"order of {order} units is below the minimum {rules.min_quantity}"
            return Sized(order, ("below_min_quantity", message))
        return Sized(order)

    def desired_units(self, target: float, equity: Decimal, price: Decimal) -> Decimal:
        fraction = Decimal(repr(target))
        if self._units_at_one is not None:
            return fraction * self._units_at_one
        return fraction * equity / price
