"""Trade and order tables of the vectorized engine, read from vectorbt's records.

A trade is a vectorbt *position*: it opens when the position leaves 0 or flips sign and
closes when it returns to 0 or flips again; scaling in averages the entry price by size,
partial exits realize pnl pro rata, and entry and exit fees are included in its pnl.
`size` is vectorbt's: the units closed over the trade's life (its peak size when the trade
is only ever scaled in). An open trade is valued at the last close.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from research.engine.kernel import REASONS
from research.engine.result import TRADE_COLUMNS

if TYPE_CHECKING:
    from research.engine.kernel import SimOutput

ORDER_COLUMNS: tuple[str, ...] = (
    "time",
    "instrument",
    "size",
    "price",
    "fees",
    "reason",
    "limited",
)


def trades_frame(
    portfolio: Any,
    instruments: list[str],
    index: pd.DatetimeIndex,
    reasons: npt.NDArray[np.int8] | None = None,
) -> pd.DataFrame:
    """TRADE_COLUMNS from a vectorbt Portfolio's position records, in entry order.

    `reasons` (rows of `index` × instruments, research.engine.kernel.REASON_*) names why each
    closed trade's exit order was placed ("target", "rebalance", "stop_out"); without it,
    or while a trade is open, exit_reason is ""."""
    records = portfolio.positions.values
    closed = records["status"] == 1  # vectorbt TradeStatus.Closed
    exit_time = pd.Series(index[records["exit_idx"]]).where(pd.Series(closed))  # NaT if open
    exit_reason = np.full(len(records), "", dtype=object)
    if reasons is not None:
        codes = reasons[records["exit_idx"], records["col"]]
        exit_reason[closed] = np.asarray(REASONS, dtype=object)[codes[closed]]
    frame = pd.DataFrame(
        {
            "instrument": np.asarray(instruments, dtype=object)[records["col"]],
            "side": np.where(records["direction"] == 0, "long", "short"),
            "size": records["size"],
            "entry_time": index[records["entry_idx"]],
            "entry_price": records["entry_price"],
            "exit_time": exit_time.array,  # stays tz-aware (to_numpy would box Timestamps)
            "exit_price": records["exit_price"],
            "pnl": records["pnl"],
            "return": records["return"],
            "fees": records["entry_fees"] + records["exit_fees"],
            "status": np.where(closed, "closed", "open"),
            "exit_reason": exit_reason,
        },
        columns=list(TRADE_COLUMNS),
    )
    order = np.lexsort((records["col"], records["entry_idx"]))
    return frame.iloc[order].reset_index(drop=True)


def orders_frame(
    sim: SimOutput,
    index: pd.DatetimeIndex,
    instruments: list[str],
    booked: npt.NDArray[np.intp] | None = None,
) -> pd.DataFrame:
    """Every executed order: time, instrument, signed size, fill price, fees, why it was
    placed (`reason`: "target", "rebalance" or "stop_out") and whether cash or margin cut it
    (`limited`, ADR 0002 §12). `booked`, the bars known to hold every order
    (`vectorized.booked_rows`), spares a scan of all bars."""
    if booked is None:
        rows, cols = np.nonzero(~np.isnan(sim.order_size))
    else:
        found, cols = np.nonzero(~np.isnan(sim.order_size[booked]))
        rows = booked[found]
    return pd.DataFrame(
        {
            "time": index[rows],
            "instrument": np.asarray(instruments, dtype=object)[cols],
            "size": sim.order_size[rows, cols],
            "price": sim.fill_price[rows, cols],
            "fees": sim.fees[rows, cols],
            "reason": np.asarray(REASONS, dtype=object)[sim.reason[rows, cols]],
            "limited": sim.limited[rows, cols],
        },
        columns=list(ORDER_COLUMNS),
    )
