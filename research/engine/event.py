"""The event-driven engine: the strategy hosted on NautilusTrader's BacktestEngine, its raw
outputs turned into the same `BacktestResult` as the vectorized engine.

What NautilusTrader decides: fills (price, time, quantity after lot rounding), fees (as
`Money`, rounded to the account currency's minor unit), account balance and positions.
What this module adds: the equity curve and positions the host marked at every bar close,
trades booked from the fills with the same vectorbt position records the vectorized engine
uses (so both engines define a trade identically), and `research.metrics`, measured from
the starting cash as in the vectorized engine (ADR 0002 §9).

Mapping of `BacktestConfig` onto the venue (execution_engine.backtest):
- fill NEXT_OPEN → the host executes on the opening quote of the next bar; CLOSE → at the
  signal bar's close. commission → instrument taker fee; commission_per_unit, spread,
  slippage → fee model and opening quotes (ADR 0002 §6-7); financing → a simulation
  module charging the account at each bar close (§8).
- `volume_limit` (a `run_event` keyword, not a `BacktestConfig` field): one market order
  may take at most that fraction of its bar's volume; the venue fills what the quote it
  meets offers and cancels the rest (execution_engine.backtest.engine), so an order can end
  partly filled. The host trades again at its next due order from the position it holds.
  None (the default): volume never limits a fill. The vectorized engine has no volume
  model and cannot mirror it: parity does not cover volume-limited runs.
- Quantities are rounded toward zero to the instrument's size step (§14: its size
  increment, the definition's lot size; `round_units` forces 1), as the vectorized engine
  rounds them. Prices are rounded to the instrument's precision (5 decimals, 3 for JPY
  quotes). The account currency is the quote currency, so prices and P&L are in the same
  unit as the vectorized engine's.
- account, margins, margin_call, stop_out, rebalance (§12-§13) → the host's own account
  rules (execution_engine.host.margin, .rebalance), on the instrument definition's margins
  unless the config overrides them. The venue's margin account never refuses an order for
  margin, so only the host's contract decides. What the vectorized engine refuses before a
  run (a cash account's short target, a first order that cannot stand) is refused here
  with the same functions and messages (`check_account`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from research.engine._vbt import import_vectorbt
from research.engine.common import (
    bars_periods_per_year,
    field_matrix,
    panel_instruments,
    target_matrix,
    traded_definitions,
)
from research.engine.config import AccountKind, BacktestConfig, Direction, FillAt, SizeMode
from research.engine.kernel import REASONS, AccountParams, account_params, refused_first_order
from research.engine.result import BacktestResult
from research.engine.targets import account_targets, check_first_order, process_targets
from research.engine.trades import ORDER_COLUMNS, trades_frame
from research.engine.vectorized import data_fingerprint
from research.errors import ResearchInputError
from research.metrics import compute_metrics, simple_returns
from strategies import StrategyOutputError
from strategies.bars import is_panel, validate_bars

if TYPE_CHECKING:
    from execution_engine.backtest import EventRun, VenueConfig
    from execution_engine.host import GauntletHostConfig, HostRecords

    from strategies.base import Strategy

FloatArray = npt.NDArray[np.float64]

DEFAULT_INSTRUMENT = "EUR/USD"


def run_event(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    config: BacktestConfig,
    *,
    instrument: str | None = None,
    window: int | None = None,
    prob_slippage: float = 0.0,
    latency_ns: int = 0,
    max_notional_per_order: float | None = None,
    targets: str = "per_bar",
    volume_limit: float | None = None,
) -> BacktestResult:
    """Backtest `strategy` on `bars` through NautilusTrader (engine="event").

    `instrument` names the FX pair of single-instrument bars (default: bars.attrs
    ["instrument"], else EUR/USD); panel columns must be pair names. `window` bounds the
    host's history (None = all bars: exact for every causal strategy). `prob_slippage` and
    `latency_ns` switch on NautilusTrader's fill and latency models. `targets`:
    "per_bar" calls `target` at every bar close as a live node does; "precomputed" calls it
    once over all bars and reads it bar by bar (same targets for a causal strategy, much
    faster; see `GauntletStrategyHost.preload_targets`). `volume_limit`: the fraction of a
    bar's volume one order may take, in (0, 1] (None: unlimited; see the module docstring).
    """
    if targets not in ("per_bar", "precomputed"):
        raise ResearchInputError(f"targets must be per_bar or precomputed, got {targets!r}")
    from execution_engine.backtest import VenueConfig, run_backtest

    validate_bars(bars)
    if len(bars) < 2:
        raise ResearchInputError("bars: the event engine needs at least 2 bars")
    if volume_limit is not None and not 0.0 < volume_limit <= 1.0:
        raise ResearchInputError(
            f"volume_limit must be a fraction of the bar's volume in (0, 1], got {volume_limit!r}"
        )
    frames = _frames(bars, instrument)
    # Annualised on the instruments the vectorized engine sees (the synthetic `asset` stays
    # undefined there, though the venue trades it as EUR/USD), so both report one Sharpe.
    ppy = bars_periods_per_year(bars, config.periods_per_year, instrument)
    check_account(strategy, bars, config, list(frames), ppy)
    venue = VenueConfig(
        cash=config.cash,
        commission=config.costs.commission,
        commission_per_unit=config.costs.commission_per_unit,
        spread=config.costs.spread,
        slippage=config.costs.slippage,
        financing_long=config.costs.financing_long,
        financing_short=config.costs.financing_short,
        periods_per_year=ppy,
        prob_slippage=prob_slippage,
        latency_ns=latency_ns,
        max_notional_per_order=max_notional_per_order,
        volume_limit=volume_limit,
    )
    host = host_config(strategy, config, ppy, window, targets=targets)
    run = _run(run_backtest, frames, host, venue, bars)
    return _result(strategy, bars, config, run, list(frames), ppy)


def host_config(
    strategy: Strategy[Any],
    config: BacktestConfig,
    ppy: float,
    window: int | None,
    targets: str = "per_bar",
) -> GauntletHostConfig:
    from execution_engine.host import GauntletHostConfig

    return GauntletHostConfig(
        strategy_name=strategy.name,
        strategy_params=strategy.params.model_dump(),
        window=window,
        execute_at="next_open" if config.fill is FillAt.NEXT_OPEN else "bar_close",
        size_mode=str(config.size_mode.value),
        units=config.units,
        long_only=config.direction is Direction.LONG_ONLY,
        vol_target=config.vol_target,
        vol_window=config.vol_window,
        max_leverage=config.max_leverage,
        periods_per_year=ppy,
        targets=targets,
        round_units=config.round_units,
        commission_per_unit=config.costs.commission_per_unit,
        account=config.account.value,
        margin_initial=config.margin_initial,
        margin_maintenance=config.margin_maintenance,
        margin_call=config.margin_call,
        stop_out=config.stop_out,
        rebalance=config.rebalance.value,
        rebalance_threshold=config.rebalance_threshold,
    )


def check_account(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    config: BacktestConfig,
    names: list[str],
    ppy: float,
) -> None:
    """Refuse before the run what the vectorized engine refuses (ADR 0002 §12), with its
    messages: a cash account's short target, a first order that cannot stand. The host
    decides bar by bar; these need the whole history of processed targets.

    A strategy whose targets fail validation is not refused here: the host reports each bad
    target and trades around it (on a cash account it refuses each short one)."""
    account = account_params(config, traded_definitions(bars, names))
    if config.account is AccountKind.MARGIN and not _can_refuse(config, account):
        return  # no target in [-max, max] could be refused: spare the strategy call
    try:
        raw = strategy.target(bars)
    except StrategyOutputError:
        return
    close = field_matrix(bars, names, "close")
    target = process_targets(target_matrix(raw, names), close, config, ppy)
    target = account_targets(target, config, pd.DatetimeIndex(bars.index))
    check_first_order(target, account, names)


def _can_refuse(config: BacktestConfig, account: AccountParams) -> bool:
    """Whether the largest processed target this config allows could fail §12's first-order
    check on some instrument."""
    largest = config.max_leverage if config.size_mode is SizeMode.VOL_TARGET else 1.0
    largest = max(largest, 1.0)
    return any(
        refused_first_order(largest, float(mi), float(mm), account.stop_out)
        for mi, mm in zip(account.margin_initial, account.margin_maintenance, strict=True)
    )


def _run(
    run_backtest: Any,
    frames: dict[str, pd.DataFrame],
    host: GauntletHostConfig,
    venue: VenueConfig,
    bars: pd.DataFrame,
) -> EventRun:
    from execution_engine.adapters.sandbox.providers import UnknownInstrumentError
    from execution_engine.bars import BarConversionError

    names = {col: col for col in frames}  # every column is named by its FX pair
    try:
        run: EventRun = run_backtest(frames, names, host, venue, panel=is_panel(bars))
    except (UnknownInstrumentError, BarConversionError) as exc:
        raise ResearchInputError(str(exc)) from None
    return run


def _frames(bars: pd.DataFrame, instrument: str | None) -> dict[str, pd.DataFrame]:
    """Instrument name (an FX pair) → that instrument's single-instrument bars."""
    from execution_engine.adapters.sandbox import providers

    if instrument is not None and not instrument.strip():
        # An empty name must not fall back silently to another pair's prices and labels.
        raise ResearchInputError("instrument: an empty name; give an FX pair such as EUR/USD")
    if not is_panel(bars):
        name = instrument or bars.attrs.get("instrument") or DEFAULT_INSTRUMENT
        if name == "asset":  # the vectorized engine's placeholder name
            name = DEFAULT_INSTRUMENT
        frames = {str(name): bars}
    else:
        frames = {c: pd.DataFrame(bars[c]) for c in panel_instruments(bars)}
        _reject_missing_cells(frames)
    try:
        pairs = {col: providers.sim_instrument(col, f.attrs.get(providers.DEFINITION_ATTR))
                 for col, f in frames.items()}  # fmt: skip
    except providers.UnknownInstrumentError as exc:
        raise ResearchInputError(str(exc)) from None
    currencies = {p.quote_currency.code for p in pairs.values()}
    if len(currencies) > 1:
        raise ResearchInputError(
            "panel instruments must share one quote currency (the account's), got "
            + ", ".join(sorted(currencies))
        )
    return frames


def _reject_missing_cells(frames: dict[str, pd.DataFrame]) -> None:
    # The host decides once every instrument's bar for a time has arrived; a panel row with
    # one instrument missing would never complete. Gaps in time (missing rows) are fine.
    for name, frame in frames.items():
        prices = frame[["open", "high", "low", "close"]].to_numpy(dtype=np.float64)
        missing = np.isnan(prices).any(axis=1)
        if missing.any():
            row = int(np.argmax(missing))
            raise ResearchInputError(
                f"bars: {name} has no price at {frame.index[row]} (row {row}); the event "
                "engine needs every instrument at every panel timestamp"
            )


def _result(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    config: BacktestConfig,
    run: EventRun,
    columns: list[str],
    ppy: float,
) -> BacktestResult:
    index = pd.DatetimeIndex(bars.index)
    records = run.records
    marks = pd.DatetimeIndex(pd.to_datetime(records.times_ns, utc=True))
    equity = (
        pd.Series(records.equity, index=marks).reindex(index).ffill().fillna(config.cash)
    ).rename("equity")
    position = pd.DataFrame(records.positions, index=marks, columns=columns).reindex(index)
    position = position.ffill().fillna(0.0)
    raw = pd.DataFrame(records.raw_targets, index=marks, columns=columns).reindex(index)
    fills = fills_frame(records.events, index, run, columns)
    trades = book_fills(fills, bars, columns)
    closed = trades["status"].to_numpy() == "closed"
    calls = _margin_call_times(records, marks)
    metrics = compute_metrics(
        _floats(equity),
        index,
        _floats(position),
        float((fills["size"].abs() * fills["price"]).sum()),
        _floats(trades["pnl"])[closed],
        len(trades),
        ppy,
        config.cash,
        margin_calls=len(calls),
        stop_outs=int(fills.loc[fills["reason"] == "stop_out", "time"].nunique()),
    )
    panel = is_panel(bars)
    return BacktestResult(
        strategy=strategy.identity,
        config=config,
        engine="event",
        equity=equity,
        returns=pd.Series(
            simple_returns(_floats(equity), config.cash), index=equity.index, name="returns"
        ),
        target=raw if panel else raw.iloc[:, 0].rename("target"),
        position=position if panel else position.iloc[:, 0].rename(columns[0]),
        trades=trades,
        metrics=metrics,
        data_fingerprint=data_fingerprint(bars),
        extras={
            "orders": fills,
            # ADR 0002 §12, as the vectorized engine reports them: the margin level at each
            # decision point (NaN while no margin is used) and the bars of the margin calls.
            "margin_level": pd.Series(records.margin_level, index=marks, name="margin_level")
            .reindex(index)
            .astype(float),
            "margin_calls": calls,
            # cash = equity - Σ position · close (ADR 0002 §9), as the vectorized engine's.
            "cash": _cash(equity, position, bars, run, columns),
            "events": [e for e in records.events if e["kind"] not in ("order", "fill")],
            # Orders that never reached a fill: refused by the risk engine / by the venue.
            "denied": len(records.of_kind("denied")),
            "rejected": len(records.of_kind("rejected")),
            "nautilus_orders": run.orders,
            "account_currency": run.currency,
            "instruments": [i.id.value for i in run.instruments],  # as the venue listed them
            "size_mode": SizeMode(config.size_mode).value,
        },
    )


def _cash(
    equity: pd.Series, position: pd.DataFrame, bars: pd.DataFrame, run: EventRun, columns: list[str]
) -> pd.Series:
    """equity - Σ position · close at the venue's closes (rounded to each instrument's tick)."""
    close = field_matrix(bars, columns, "close").copy()  # it may be a view of the bars
    for col, instrument in enumerate(run.instruments):
        close[:, col] = np.round(close[:, col], instrument.price_precision)
    held = (position.to_numpy(np.float64) * close).sum(axis=1)
    return pd.Series(equity.to_numpy(np.float64) - held, index=equity.index, name="cash")


def _margin_call_times(records: HostRecords, marks: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The bars whose margin level was below margin_call (the host's events name the bar by
    its position among the marks)."""
    bars = sorted({e["bar"] for e in records.of_kind("margin_call")})
    return pd.DatetimeIndex([marks[b] for b in bars if b < len(marks)], name=marks.name)


def fills_frame(
    events: list[dict[str, Any]], index: pd.DatetimeIndex, run: EventRun, columns: list[str]
) -> pd.DataFrame:
    """One row per fill: bar time, instrument column, signed size, price, fees, and its
    order's reason ("target", "rebalance", "stop_out") and cut (`limited`), the vectorized
    engine's order columns (research.engine.trades.ORDER_COLUMNS)."""
    by_id = {i.id.value: col for i, col in zip(run.instruments, columns, strict=True)}
    orders = {e["client_order_id"]: e for e in events if e["kind"] == "order"}
    fills = [e for e in events if e["kind"] == "fill"]
    ts = np.array([e["ts"] for e in fills], dtype=np.int64)
    # A next-open fill is stamped open(t) + 1 ns and a bar-close fill close(t) = open(t) +
    # interval, which equals open(t+1) on contiguous bars: one nanosecond back puts both on
    # bar t's row.
    rows = np.searchsorted(index.asi8, ts - 1, side="right") - 1
    return pd.DataFrame(
        {
            "time": index[np.clip(rows, 0, len(index) - 1)],
            "instrument": [by_id[e["instrument"]] for e in fills],
            "size": [e["quantity"] * (1 if e["side"] == "BUY" else -1) for e in fills],
            "price": [e["price"] for e in fills],
            "fees": [e["commission"] for e in fills],
            "reason": [_order_of(orders, e).get("reason", "target") for e in fills],
            "limited": [bool(_order_of(orders, e).get("limited", False)) for e in fills],
        },
        columns=list(ORDER_COLUMNS),
    )


def _order_of(orders: dict[str, dict[str, Any]], fill: dict[str, Any]) -> dict[str, Any]:
    return orders.get(fill["client_order_id"], {})


def book_fills(fills: pd.DataFrame, bars: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Trades from fills, booked by vectorbt exactly as the vectorized engine books orders.

    Several fills of one instrument in one bar (partial fills) become one order at their
    volume-weighted price; fees are passed as NautilusTrader charged them.
    """
    vbt = import_vectorbt()
    index = pd.DatetimeIndex(bars.index)
    close = field_matrix(bars, columns, "close")
    size = np.full((len(index), len(columns)), np.nan)
    price = np.full_like(size, np.nan)
    fees = np.zeros_like(size)
    reasons = np.zeros(size.shape, dtype=np.int8)  # REASONS codes, as the kernel's
    if len(fills):
        grouped = fills.assign(notional=fills["size"] * fills["price"]).groupby(
            ["time", "instrument"], sort=False
        )
        for (time, inst), group in grouped:
            row, col = index.get_loc(time), columns.index(str(inst))
            total = group["size"].sum()
            size[row, col] = total
            price[row, col] = group["notional"].sum() / total if total else group["price"].iloc[-1]
            fees[row, col] = group["fees"].sum()
            reasons[row, col] = REASONS.index(str(group["reason"].iloc[-1]))
    portfolio = vbt.Portfolio.from_orders(
        pd.DataFrame(close, index=index, columns=columns),
        size=size,
        size_type="amount",
        price=price,
        fixed_fees=fees,
        direction="both",
        init_cash="auto",
        cash_sharing=True,
        group_by=True,
        call_seq="default",
    )
    return trades_frame(portfolio, columns, index, reasons)


def _floats(values: pd.Series | pd.DataFrame) -> FloatArray:
    out: FloatArray = np.asarray(values.to_numpy(), dtype=np.float64)
    return out
