"""Parity check: the same strategy through the vectorized and the event-driven engine.

Matched settings: both engines see the same bars, rounded to each instrument's price
precision (the venue cannot quote finer), the same costs, the same fill timing, whole-unit
sizes (`round_units=True`: the venue's size increment is 1 unit), zero latency and
NautilusTrader's probabilistic slippage off. The event host keeps the whole bar history,
so every causal strategy's targets are identical. Under these settings the trades — count,
entry and exit bar, side — must be identical; any difference fails the check.

The final equity may still differ, by at most `equity_bound(...)`:
- Money precision: NautilusTrader books realized P&L and every fee as `Money`, rounded to
  the account currency's minor unit u (0.01 USD, 1 JPY): ≤ u per fill (P&L and fee, half a
  unit each) and ≤ u/2 per financed bar (financing is charged as Money too).
- Tick rounding of cost-adjusted prices: with spread or slippage, the fill price
  p·(1±slippage) ± spread/2 is rounded to the instrument's tick, ≤ tick/2 per unit filled.
- Size feedback: because EQUITY sizing reads the account, those cents can move a rounded
  order by one unit, worth at most one unit × the price range of the data per fill.
Without costs only the first and last terms apply; they are cents on a 100,000 account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research.engine.common import panel_instruments
from research.engine.config import BacktestConfig
from research.engine.event import DEFAULT_INSTRUMENT, run_event
from research.engine.vectorized import run_vectorized
from strategies.bars import is_panel, validate_bars

if TYPE_CHECKING:
    from research.engine.result import BacktestResult
    from strategies.base import Strategy

TRADE_KEYS: tuple[str, ...] = ("instrument", "entry_time", "exit_time", "side")


@dataclass(frozen=True)
class TradeDifference:
    trade: int  # position in entry order
    field: str
    vectorized: str
    event: str


@dataclass
class ParityReport:
    strategy: dict[str, Any]
    instruments: list[str]
    trades_vectorized: int
    trades_event: int
    differences: list[TradeDifference]
    final_equity_vectorized: float
    final_equity_event: float
    equity_bound: float
    max_equity_difference: float  # largest |Δequity| over all bars
    results: dict[str, BacktestResult] = field(default_factory=dict, repr=False)

    @property
    def equity_difference(self) -> float:
        return self.final_equity_event - self.final_equity_vectorized

    @property
    def trades_match(self) -> bool:
        return self.trades_vectorized == self.trades_event and not self.differences

    @property
    def ok(self) -> bool:
        return self.trades_match and abs(self.equity_difference) <= self.equity_bound

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "trades_match": self.trades_match,
            **self.strategy,
            "instruments": self.instruments,
            "trades_vectorized": self.trades_vectorized,
            "trades_event": self.trades_event,
            "differences": [d.__dict__ for d in self.differences],
            "final_equity_vectorized": self.final_equity_vectorized,
            "final_equity_event": self.final_equity_event,
            "equity_difference": self.equity_difference,
            "equity_bound": self.equity_bound,
            "max_equity_difference": self.max_equity_difference,
        }


def check_parity(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    config: BacktestConfig | None = None,
    *,
    instrument: str | None = None,
) -> ParityReport:
    """Run both engines under matched settings and compare their trades and equity."""
    validate_bars(bars)
    matched = (config or BacktestConfig()).model_copy(update={"round_units": True})
    single = _single_instrument(bars, instrument)
    rounded = venue_prices(bars, single)
    vec = run_vectorized(strategy, rounded, matched, instrument=single)
    evt = run_event(strategy, rounded, matched, instrument=single)
    differences = compare_trades(vec.trades, evt.trades)
    return ParityReport(
        strategy=strategy.identity,
        instruments=_instruments(rounded, single),
        trades_vectorized=len(vec.trades),
        trades_event=len(evt.trades),
        differences=differences,
        final_equity_vectorized=vec.metrics.final_equity,
        final_equity_event=evt.metrics.final_equity,
        equity_bound=equity_bound(evt, rounded, matched, single),
        max_equity_difference=float(np.max(np.abs(evt.equity - vec.equity))),
        results={"vectorized": vec, "event": evt},
    )


def _single_instrument(bars: pd.DataFrame, instrument: str | None) -> str | None:
    if is_panel(bars):
        return None
    return instrument or bars.attrs.get("instrument") or DEFAULT_INSTRUMENT


def _instruments(bars: pd.DataFrame, single: str | None) -> list[str]:
    if single is not None:
        return [single]
    return panel_instruments(bars)


def venue_prices(bars: pd.DataFrame, single: str | None) -> pd.DataFrame:
    """The bars as the venue quotes them: each instrument's prices rounded to its tick."""
    from execution_engine.adapters.sandbox.providers import DEFINITION_ATTR, sim_instrument
    from execution_engine.bars import round_to_precision

    if single is not None:
        out = round_to_precision(
            bars, sim_instrument(single, bars.attrs.get(DEFINITION_ATTR)).price_precision
        )
        out.attrs = dict(bars.attrs)
        return out
    parts = {
        name: round_to_precision(pd.DataFrame(bars[name]), sim_instrument(name).price_precision)
        for name in _instruments(bars, None)
    }
    return pd.concat(parts, axis=1)


def compare_trades(vec: pd.DataFrame, evt: pd.DataFrame) -> list[TradeDifference]:
    """Field-by-field differences of entry/exit time and side, trade by trade."""
    out: list[TradeDifference] = []
    for i in range(max(len(vec), len(evt))):
        for key in TRADE_KEYS[1:]:
            a = _cell(vec, i, key)
            b = _cell(evt, i, key)
            if a != b:
                out.append(TradeDifference(i, key, a, b))
    return out


def _cell(trades: pd.DataFrame, i: int, key: str) -> str:
    if i >= len(trades):
        return "(missing)"
    value = trades[key].iloc[i]
    return "open" if value is pd.NaT else str(value)


def equity_bound(
    event: BacktestResult, bars: pd.DataFrame, config: BacktestConfig, single: str | None
) -> float:
    """The largest final-equity difference the documented residuals can explain."""
    from execution_engine.adapters.sandbox.providers import DEFINITION_ATTR, sim_instrument

    fills: pd.DataFrame = event.extras["orders"]
    names = _instruments(bars, single)
    pair = sim_instrument(names[0], bars.attrs.get(DEFINITION_ATTR))
    unit = 10.0**-pair.quote_currency.precision
    bound = len(fills) * unit
    costs = config.costs
    if costs.financing_long or costs.financing_short:
        bound += len(bars) * unit / 2
    if costs.spread or costs.slippage:
        tick = 10.0**-pair.price_precision
        bound += float(fills["size"].abs().sum()) * tick / 2
    bound += len(fills) * _price_range(bars)
    return float(bound)


def _price_range(bars: pd.DataFrame) -> float:
    if is_panel(bars):
        highs = bars.xs("high", axis=1, level=1).to_numpy(np.float64)
        lows = bars.xs("low", axis=1, level=1).to_numpy(np.float64)
    else:
        highs, lows = bars["high"].to_numpy(np.float64), bars["low"].to_numpy(np.float64)
    return float(np.nanmax(highs)) - float(np.nanmin(lows))
