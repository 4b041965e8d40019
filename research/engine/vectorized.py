"""The vectorized engine: one call of the strategy over all bars, one pass of the kernel, and
vectorbt booking the orders into its portfolio (trades, order records).

Accounting contract: ADR 0002 (docs/adr/0002-backtest-semantics.md), implemented exactly; the
sweep kernel and the event engine implement the same. In short:
1. Targets (§1-§2): `research.engine.targets` (NaN → 0, LONG_ONLY, VOL_TARGET).
2. Accounts (§12): a cash account caps targets at 1, refuses shorts and reserves each buy's
   costs; a margin account cuts orders to the initial margin, counts margin calls and
   liquidates on a stop-out. A first order that cannot stand is refused before the run.
3. When an order is due (§3, §13): rebalance off (the target changed), every_bar or drift.
4. Execution, size, fills, fees, financing, equity (§4-§9) and size steps (§14): the kernel,
   `research.engine.kernel` (its docstring lists the order of a bar).
5. Panels share one cash account, orders on a bar execute in column order (§10);
   periods_per_year (§11) is `research.engine.common.run_periods_per_year`, on the traded
   instrument's calendar.
The traded instrument (size step, margins, calendar) is resolved from the bars' recorded
definition or the built-in book, as the event engine's venue resolves it
(`research.engine.common.traded_definitions`); the synthetic default name "asset" has none.
Trades (vectorbt positions): open on 0 → non-zero or on a sign flip, scale in at the
size-weighted average entry price, realize pro rata on partial exits, carry their share of
fees (a flip order's fees are split between the closed and the opened trade by size); each
closed trade names why its exit order was placed (exit_reason: target, rebalance, stop_out).

Why the kernel sizes the orders and vectorbt books them: see `research.engine.kernel`.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from research.engine._vbt import import_vectorbt
from research.engine.common import (
    SINGLE,
    field_matrix,
    instrument_names,
    run_periods_per_year,
    target_matrix,
    traded_definitions,
)
from research.engine.config import BacktestConfig, FillAt, SizeMode
from research.engine.kernel import (
    AccountParams,
    CostParams,
    SimOutput,
    account_params,
    simulate_account,
)
from research.engine.result import BacktestResult
from research.engine.targets import account_targets, check_first_order, process_targets
from research.engine.trades import orders_frame, trades_frame
from research.errors import ResearchInputError
from research.metrics import compute_metrics, simple_returns
from strategies.bars import is_panel, validate_bars

if TYPE_CHECKING:
    from strategies.base import Strategy

FloatArray = npt.NDArray[np.float64]

DEFAULT_INSTRUMENT = SINGLE


def run_vectorized(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    config: BacktestConfig,
    instrument: str | None = None,
) -> BacktestResult:
    """Backtest `strategy` on `bars` (single instrument or panel) under `config`."""
    validate_bars(bars)
    if len(bars) == 0:
        raise ResearchInputError("bars are empty: nothing to backtest")
    index = pd.DatetimeIndex(bars.index)
    instruments = _instrument_names(bars, instrument)
    definitions = traded_definitions(bars, instruments)
    open_, close = _price_matrices(bars, instruments)
    raw = strategy.target(bars)
    ppy = run_periods_per_year(bars, config.periods_per_year, definitions)
    target = process_targets(target_matrix(raw, instruments), close, config, ppy)
    target = account_targets(target, config, index)
    account = account_params(config, definitions)
    check_first_order(target, account, instruments)
    sim = _simulate_account(open_, close, target, config, ppy, account)
    _check_costs_fit_prices(sim, index, config)
    rows = booked_rows(sim.order_size)
    portfolio = book_orders(
        index[rows], instruments, close[rows], sim.order_size[rows], sim.fill_price[rows], config
    )
    trades = trades_frame(portfolio, instruments, index[rows], sim.reason[rows])
    closed = trades["status"].to_numpy() == "closed"
    returns = simple_returns(sim.equity, config.cash)
    metrics = compute_metrics(
        sim.equity,
        index,
        sim.position,
        float(np.nansum(np.abs(sim.order_size) * sim.fill_price)),
        trades["pnl"].to_numpy(dtype=np.float64)[closed],
        len(trades),
        ppy,
        config.cash,
        returns=returns,
        margin_calls=int(np.count_nonzero(sim.margin_call)),
        stop_outs=int(np.count_nonzero(sim.stop_out)),
    )
    return BacktestResult(
        strategy=strategy.identity,
        config=config,
        engine="vectorized",
        equity=pd.Series(sim.equity, index=bars.index, name="equity"),
        returns=pd.Series(returns, index=bars.index, name="returns"),
        target=raw,
        position=_shaped(sim.position, bars, instruments),
        trades=trades,
        metrics=metrics,
        data_fingerprint=data_fingerprint(bars),
        extras={
            "orders": orders_frame(sim, index, instruments, rows),
            "financing": pd.Series(sim.financing, index=bars.index, name="financing"),
            "cash": pd.Series(sim.cash, index=bars.index, name="cash"),
            "margin_level": pd.Series(sim.margin_level, index=bars.index, name="margin_level"),
            "margin_calls": index[sim.margin_call],  # the bars of the margin calls
            "portfolio": portfolio,
        },
    )


def _simulate_account(
    open_: FloatArray,
    close: FloatArray,
    target: FloatArray,
    config: BacktestConfig,
    ppy: float,
    account: AccountParams,
) -> SimOutput:
    return simulate_account(
        open_,
        close,
        target,
        fill_at_close=config.fill is FillAt.CLOSE,
        units_mode=config.size_mode is SizeMode.UNITS,
        units=config.units,
        costs=CostParams(**config.costs.model_dump()),
        dt=1.0 / ppy,
        cash=config.cash,
        account=account,
    )


def _check_costs_fit_prices(
    sim: SimOutput, index: pd.DatetimeIndex, config: BacktestConfig
) -> None:
    """Costs larger than the prices are bad input: a sell that fills at or below zero, or
    whose per-unit commission takes all it earns, cannot be booked (vectorbt refused it)."""
    costs = config.costs
    has_order = ~np.isnan(sim.order_size) & (sim.order_size != 0)
    net = sim.fill_price - np.where(sim.order_size < 0, costs.commission_per_unit, 0.0)
    bad = has_order & ~(np.isfinite(net) & (net > 0))
    if not bad.any():
        return
    row, col = (int(i) for i in np.argwhere(bad)[0])
    raise ResearchInputError(
        f"costs exceed the price: the order at {index[row]} fills at "
        f"{float(sim.fill_price[row, col]):.6g} per unit, {float(net[row, col]):.6g} after the "
        f"per-unit commission (spread {costs.spread:g}, slippage {costs.slippage:g}, "
        f"commission per unit {costs.commission_per_unit:g}): costs must be below the prices"
    )


def booked_rows(order_size: FloatArray) -> npt.NDArray[np.intp]:
    """Bars that carry an order, and the last bar (it values trades still open)."""
    has_order = np.asarray(~np.isnan(order_size).all(axis=1))
    has_order[-1] = True
    return np.flatnonzero(has_order)


def book_orders(
    index: pd.DatetimeIndex,
    instruments: list[str],
    close: FloatArray,
    order_size: FloatArray,
    fill_price: FloatArray,
    config: BacktestConfig,
) -> Any:
    """Book the kernel's orders in a vectorbt Portfolio (one group, shared cash).

    Only the bars passed are booked: those with an order plus the last bar. Trades depend on
    nothing else (fills, fees, and the last close for open trades), and vectorbt's order
    loop visits every bar it is given, so this keeps booking proportional to the number of
    orders rather than of bars (27 000 rows instead of 1 000 000 in the benchmark).
    Sizes are exact amounts at exact fill prices (slippage and half-spread already in the
    price); percentage fees are vectorbt fees and the per-unit commission each order's fixed
    fee. init_cash="auto" lets vectorbt book orders that exceed the cash on hand (leverage),
    which our accounting allows; its cash level is offset from ours by a constant and is not
    used. Financing is not an order and stays in the kernel's equity.
    """
    vbt = import_vectorbt()
    sizes = np.nan_to_num(order_size)
    portfolio = vbt.Portfolio.from_orders(
        pd.DataFrame(close, index=index, columns=instruments),
        size=order_size,
        size_type="amount",
        price=fill_price,
        fees=config.costs.commission,
        fixed_fees=config.costs.commission_per_unit * np.abs(sizes),
        slippage=0.0,
        direction="both",
        init_cash="auto",
        cash_sharing=True,
        group_by=True,
        call_seq="default",
    )
    booked = len(portfolio.order_records)
    expected = int(np.count_nonzero(sizes))
    if booked != expected:  # vectorbt rejected or resized an order: a bug here, not bad input
        raise RuntimeError(f"vectorbt booked {booked} of {expected} orders")
    return portfolio


def data_fingerprint(bars: pd.DataFrame) -> str:
    """BLAKE2b-256 of the index, the column labels and the values: identifies the exact data.

    BLAKE2b rather than SHA-256: twice as fast without SHA CPU extensions, and a million bars
    are hashed on every backtest. Columns are hashed in place (no concatenated copy).
    """
    digest = hashlib.blake2b(digest_size=32)
    digest.update(np.ascontiguousarray(pd.DatetimeIndex(bars.index).asi8).data)
    digest.update(repr(list(bars.columns)).encode())
    for column in bars.columns:
        digest.update(np.ascontiguousarray(bars[column].to_numpy(dtype=np.float64)).data)
    return digest.hexdigest()


def _instrument_names(bars: pd.DataFrame, instrument: str | None) -> list[str]:
    if instrument is not None and not instrument.strip():
        # An empty name must not fall back silently to the bars' own instrument.
        raise ResearchInputError("instrument: an empty name; give a symbol such as EUR/USD")
    return instrument_names(bars, instrument)


def _price_matrices(bars: pd.DataFrame, instruments: list[str]) -> tuple[FloatArray, FloatArray]:
    """(bars, instruments) open and close arrays; every price must be finite and positive."""
    open_ = field_matrix(bars, instruments, "open")
    close = field_matrix(bars, instruments, "close")
    for field, values in (("open", open_), ("close", close)):
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            raise ResearchInputError(
                f"bars: {instruments[col]} {field} at {bars.index[row]} (row {row}) is "
                f"{float(values[row, col])!r}; prices must be finite and positive"
            )
    return open_, close


def _shaped(
    values: FloatArray, bars: pd.DataFrame, instruments: list[str]
) -> pd.Series | pd.DataFrame:
    if is_panel(bars):
        return pd.DataFrame(values, index=bars.index, columns=instruments)
    return pd.Series(values[:, 0], index=bars.index, name=instruments[0])
