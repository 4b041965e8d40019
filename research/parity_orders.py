"""How the parity check compares orders (research.parity): each bar's order per instrument
in both engines, which size differences the documented residuals explain, and what the
units by which orders differ can change in equity (the size-feedback term of the bound).

The residuals are cents: NautilusTrader books P&L and fees as Money, rounded to the
currency's minor unit, and rounds cost-adjusted fill prices to the tick. Through EQUITY
sizing (and a cash account's reserve, sized at the venue's tick-rounded ask) those cents
can move a whole-unit order by a unit, and a position that differs by a unit moves the
next order by as much; with drift rebalancing they can also tip a weight that sits on the
threshold, so one engine rebalances at a bar and the other does not. Anything larger is a
difference the check reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from research.engine.common import field_matrix, target_matrix
from research.engine.config import BacktestConfig, FillAt, Rebalance, SizeMode
from research.engine.targets import account_targets, process_targets

if TYPE_CHECKING:
    from research.engine.result import BacktestResult

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Relative slack when a drift sits on the threshold (the two engines' weights are floats).
_THRESHOLD_SLACK = 1e-9


@dataclass(frozen=True)
class SizeDifference:
    """An order whose size differs between the engines by more than the residuals explain
    (NaN: that engine placed none)."""

    time: str
    instrument: str
    vectorized: float
    event: float


@dataclass(frozen=True)
class Runs:
    """The two runs of one parity check, on the bars as the venue quotes them."""

    vectorized: BacktestResult
    event: BacktestResult
    bars: pd.DataFrame
    config: BacktestConfig  # the matched one both engines ran
    names: list[str]  # instruments in column order
    tick: float  # price tick of the instruments (the first one's)

    def column(self, field: str) -> FloatArray:
        return field_matrix(self.bars, self.names, field)


def order_sizes(vectorized: pd.DataFrame, event: pd.DataFrame) -> pd.DataFrame:
    """Each bar's order per instrument in both engines (an event order's partial fills
    summed): time, instrument, vectorized, event (NaN: that engine placed none) and delta
    (event - vectorized, a missing order counting as 0)."""
    keys = ["time", "instrument"]
    vec = vectorized.groupby(keys, sort=False)["size"].sum().rename("vectorized")
    evt = event.groupby(keys, sort=False)["size"].sum().rename("event")
    both = pd.concat([vec, evt], axis=1).sort_index().reset_index()
    both["delta"] = both["event"].fillna(0.0) - both["vectorized"].fillna(0.0)
    return both


def size_differences(sizes: pd.DataFrame, runs: Runs) -> list[SizeDifference]:
    """Orders of `order_sizes` that the residuals do not explain: a size gap above
    `explained_units`, unless it is a rebalance at a drift threshold crossing."""
    vec = sizes["vectorized"].to_numpy(np.float64)
    evt = sizes["event"].to_numpy(np.float64)
    far = np.abs(sizes["delta"].to_numpy(np.float64)) > explained_units(sizes, runs)
    far &= ~threshold_crossings(sizes, runs)
    return [
        SizeDifference(str(sizes["time"].iloc[i]), str(sizes["instrument"].iloc[i]), vec[i], evt[i])
        for i in np.flatnonzero(far)
    ]


def explained_units(sizes: pd.DataFrame, runs: Runs) -> FloatArray:
    """Per order, the units by which the engines' orders may differ: one unit of rounding,
    plus what the equity gap just before the order buys (|f| · ΔE / p, |f| up to the
    leverage), plus the units by which the positions it trades from already differ, plus,
    with spread or slippage, what the tick-rounded ask moves a cash reserve (|q| · tick/2 / p).
    """
    rows, cols = _rows_and_columns(sizes, runs)
    before = np.maximum(rows - 1, 0)
    gap = np.abs(
        runs.event.equity.to_numpy(np.float64) - runs.vectorized.equity.to_numpy(np.float64)
    )
    held = np.abs(_positions(runs.event) - _positions(runs.vectorized))
    price = runs.column("open")[rows, cols]
    config = runs.config
    vol_scaled = config.size_mode is SizeMode.VOL_TARGET
    leverage = max(1.0, config.max_leverage if vol_scaled else 1.0)
    equity_gap = np.maximum(gap[before], gap[rows])
    explained: FloatArray = 1.0 + leverage * equity_gap / price + held[before, cols]
    if config.costs.spread or config.costs.slippage:
        largest = np.fmax(np.abs(sizes["vectorized"]), np.abs(sizes["event"])).fillna(0.0)
        explained += largest.to_numpy(np.float64) * runs.tick / 2 / price
    return explained


def threshold_crossings(sizes: pd.DataFrame, runs: Runs) -> BoolArray:
    """Orders only one engine placed under drift rebalancing where the threshold lies
    between the two engines' drifts |w - f| at the decision (the cents tipped it)."""
    one_sided = (sizes["vectorized"].isna() ^ sizes["event"].isna()).to_numpy()
    if runs.config.rebalance is not Rebalance.DRIFT or not one_sided.any():
        return np.zeros(len(sizes), dtype=np.bool_)
    rows, cols = _rows_and_columns(sizes, runs)
    target = _processed_targets(runs)
    close_fill = runs.config.fill is FillAt.CLOSE
    decided = rows if close_fill else np.maximum(rows - 1, 0)
    f = target[decided, cols]
    drifts = [
        np.abs(_weights(result, runs, close_fill)[decided, cols] - f)
        for result in (runs.vectorized, runs.event)
    ]
    low, high = np.minimum(*drifts), np.maximum(*drifts)
    threshold = runs.config.rebalance_threshold
    straddles = (low <= threshold * (1 + _THRESHOLD_SLACK)) & (
        high >= threshold * (1 - _THRESHOLD_SLACK)
    )
    return np.asarray(one_sided & straddles)


def size_feedback(sizes: pd.DataFrame, runs: Runs) -> float:
    """What the units by which orders differ can change: each one's costs, and its P&L
    until that instrument's next order (at most its price range over that time)."""
    costs = runs.config.costs
    index = pd.DatetimeIndex(runs.bars.index)
    high, low = runs.column("high"), runs.column("low")
    total = 0.0
    for name, orders in sizes.groupby("instrument", sort=False):
        col = runs.names.index(str(name))
        rows = index.get_indexer(pd.DatetimeIndex(orders["time"]))
        ends = np.append(rows[1:], len(index) - 1)
        for row, end, delta in zip(rows, ends, orders["delta"].to_numpy(), strict=True):
            if delta == 0.0:
                continue
            top = float(np.max(high[row : end + 1, col]))
            price_range = top - float(np.min(low[row : end + 1, col]))
            per_unit = (
                costs.commission_per_unit + costs.spread + top * (costs.commission + costs.slippage)
            )
            total += abs(float(delta)) * (price_range + per_unit)
    return total


def _rows_and_columns(
    sizes: pd.DataFrame, runs: Runs
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    rows = pd.DatetimeIndex(runs.bars.index).get_indexer(pd.DatetimeIndex(sizes["time"]))
    cols = np.array([runs.names.index(str(n)) for n in sizes["instrument"]], dtype=np.intp)
    return rows, cols


def _positions(result: BacktestResult) -> FloatArray:
    values = np.asarray(result.position.to_numpy(), dtype=np.float64)
    return values.reshape(len(values), -1)


def _processed_targets(runs: Runs) -> FloatArray:
    """The processed targets both engines traded (the one definition, research.engine)."""
    config = runs.config
    ppy = runs.vectorized.metrics.periods_per_year
    raw = target_matrix(runs.vectorized.target, runs.names)
    target = process_targets(raw, runs.column("close"), config, ppy)
    return account_targets(target, config, pd.DatetimeIndex(runs.bars.index))


def _weights(result: BacktestResult, runs: Runs, close_fill: bool) -> FloatArray:
    """w = position · close / equity at each bar's decision point (ADR 0002 §13): the
    close itself (next-open fills), or the close before its own orders (close fills)."""
    close = runs.column("close")
    position = _positions(result)
    if not close_fill:
        equity = result.equity.to_numpy(np.float64)
        return np.asarray(position * close / equity[:, None])
    held = np.vstack([np.zeros((1, position.shape[1])), position[:-1]])
    cash = np.concatenate([[runs.config.cash], result.extras["cash"].to_numpy(np.float64)[:-1]])
    equity = cash + (held * close).sum(axis=1)
    return np.asarray(held * close / equity[:, None])
