"""The simulated venue's models: what a fill costs, how it can slip, how long orders travel."""

from __future__ import annotations

from nautilus_trader.backtest.models import FeeModel, FillModel, LatencyModel
from nautilus_trader.config import NautilusConfig
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import MONEY_MAX, Money, Price, Quantity
from nautilus_trader.model.orders import Order

from execution_engine.venue_limits import VenueLimitError


class VenueConfig(NautilusConfig, frozen=True, kw_only=True):
    """Account, costs and execution models of the simulated venue SIM.

    `spread` and `slippage` follow ADR 0002 §6 and are applied through the opening
    quotes (see execution_engine.bars); `prob_slippage` is NautilusTrader's own fill model
    (a one-tick adverse move with that probability), off for parity runs.

    `volume_limit`: the fraction of a bar's volume one market order may take (None: volume
    never limits a fill). The quote an order fills at offers that size
    (execution_engine.bars) and the host's orders are immediate-or-cancel, so the venue
    fills what the book holds and cancels the rest (`run_backtest`).
    """

    cash: float = 100_000.0
    commission: float = 0.0  # fraction of notional (the instrument's taker fee)
    commission_per_unit: float = 0.0
    spread: float = 0.0
    slippage: float = 0.0
    prob_slippage: float = 0.0
    financing_long: float = 0.0  # annual rates, ADR 0002 §8
    financing_short: float = 0.0
    periods_per_year: float = 252.0
    latency_ns: int = 0
    leverage: float = 50.0
    min_quantity: int = 1
    random_seed: int = 42
    max_notional_per_order: float | None = None
    max_order_submit_rate: str = "100/00:00:01"
    volume_limit: float | None = None


class NotionalPlusPerUnitFeeModel(FeeModel):  # type: ignore[misc]  # Cython base, untyped
    """commission × notional + per-unit fee (ADR 0002 §7), in the quote currency.

    NautilusTrader ships a maker/taker model (notional) and a per-contract model, but not
    their sum, which the contract needs.
    """

    def __init__(self, per_unit: float) -> None:
        super().__init__()
        self._per_unit = per_unit

    def get_commission(
        self, order: Order, fill_qty: Quantity, fill_px: Price, instrument: Instrument
    ) -> Money:
        qty = fill_qty.as_double()
        fee = qty * fill_px.as_double() * float(instrument.taker_fee) + qty * self._per_unit
        if fee > MONEY_MAX:  # the size is known only at the fill: checked here, not upfront
            raise VenueLimitError(
                f"commission {fee:,.0f} {instrument.quote_currency} on a fill of {qty:,.0f} "
                f"units is more than the venue books ({MONEY_MAX:,.0f}): check "
                "--commission-per-unit"
            )
        return Money(fee, instrument.quote_currency)


def fill_model(venue: VenueConfig) -> FillModel:
    return FillModel(
        prob_fill_on_limit=1.0,
        prob_fill_on_stop=1.0,
        prob_slippage=venue.prob_slippage,
        random_seed=venue.random_seed,
    )


def latency_model(venue: VenueConfig) -> LatencyModel | None:
    return LatencyModel(base_latency_nanos=venue.latency_ns) if venue.latency_ns > 0 else None
