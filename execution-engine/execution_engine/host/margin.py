"""The host's margin account (ADR 0002 §12): margin level at each bar close, margin calls,
stop-outs, and the initial-margin cut of an order. Decimals throughout.

Used margin at a close is M = Σ |position_j| · close_j · maintenance_j and the margin level
L = 100 · equity / M (no check while M = 0). L below `margin_call` is counted and reported;
below `stop_out` the host liquidates every position at the next execution point. An order
is cut so that the initial margin of the positions it leaves, Σ |position_j| · p_j ·
initial_j, stays within the equity at execution.

This is the contract's margin model, not the venue's: NautilusTrader's margin account never
refuses an order for margin (`MarginAccount` clamps its free balance at zero, and the risk
engine skips margin accounts), so the host alone decides what the account allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from nautilus_trader.model.instruments import Instrument

from execution_engine.host.reporter import HostReporter


@dataclass(frozen=True)
class MarginRates:
    """Per instrument (column order): initial and maintenance margin, fractions of notional."""

    initial: list[Decimal]
    maintenance: list[Decimal]

    @classmethod
    def for_instruments(
        cls,
        instruments: Sequence[Instrument],
        initial: float | None,
        maintenance: float | None,
    ) -> MarginRates:
        """Each instrument's own rates, unless the run overrides them for every column."""
        return cls(
            [_rate(initial, i.margin_init) for i in instruments],
            [_rate(maintenance, i.margin_maint) for i in instruments],
        )

    def used(self, positions: Sequence[Decimal], prices: Sequence[Decimal]) -> Decimal:
        """Maintenance margin of `positions` at `prices`."""
        return _margin(self.maintenance, positions, prices)

    def initial_of(self, positions: Sequence[Decimal], prices: Sequence[Decimal]) -> Decimal:
        return _margin(self.initial, positions, prices)


def _rate(override: float | None, own: Decimal) -> Decimal:
    return Decimal(own) if override is None else Decimal(repr(override))


def _margin(
    rates: Sequence[Decimal], positions: Sequence[Decimal], prices: Sequence[Decimal]
) -> Decimal:
    # A plain loop, not sum() over a generator: the same additions in the same order, a
    # third of the cost (it runs at every bar close a position is held).
    total = Decimal(0)
    for q, p, r in zip(positions, prices, rates, strict=True):
        total += abs(q) * p * r
    return total


def margin_level(equity: Decimal, used: Decimal) -> Decimal | None:
    """100 · equity / used margin, or None while nothing is used."""
    return None if used == 0 else 100 * equity / used


class MarginMonitor:
    """Checks the margin level at each bar close; remembers a pending stop-out."""

    def __init__(
        self, rates: MarginRates, margin_call: float, stop_out: float, reporter: HostReporter
    ) -> None:
        self.rates = rates
        self._margin_call = Decimal(repr(margin_call))
        self._stop_out = Decimal(repr(stop_out))
        self._reporter = reporter
        self.stop_out_due = False  # a close fell below stop-out: liquidate at the next point

    def check(
        self, bar: int, equity: Decimal, positions: Sequence[Decimal], closes: Sequence[Decimal]
    ) -> Decimal | None:
        """The margin level at bar `bar`'s close (None: no margin used); reports a margin
        call and flags a stop-out when the level is below their thresholds."""
        if not any(positions):
            return None  # flat: no margin used (the common bar, spared the Decimal sum)
        level = margin_level(equity, _margin(self.rates.maintenance, positions, closes))
        if level is None:
            return None
        if level < self._margin_call:
            self._reporter.margin_event("margin_call", bar, level)
        if level < self._stop_out:
            self._reporter.margin_event("stop_out", bar, level)
            self.stop_out_due = True
        return level

    def fits(
        self,
        col: int,
        desired: Decimal,
        positions: Sequence[Decimal],
        prices: Sequence[Decimal],
        equity: Decimal,
    ) -> Decimal:
        """`desired` units of column `col`, or the largest position in its direction whose
        initial margin, with the other positions', the equity covers (§12); the vectorized
        engine's `_margin_cut` exactly (research.engine.kernel)."""
        old = positions[col]
        if desired == 0 or (old * desired > 0 and abs(desired) <= abs(old)):
            return desired  # an order that only reduces the position needs no margin
        per_unit = prices[col] * self.rates.initial[col]
        if per_unit == 0:
            return desired  # a definition may ask for no margin at all
        others = [Decimal(0) if k == col else q for k, q in enumerate(positions)]
        allowed = max(equity - self.rates.initial_of(others, prices), Decimal(0)) / per_unit
        if abs(desired) <= allowed:
            return desired
        if old * desired > 0 and abs(old) >= allowed:
            return old  # already at or past the limit: nothing more may be added
        return allowed if desired > 0 else -allowed
