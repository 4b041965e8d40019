"""Configuration of `GauntletStrategyHost` (a NautilusTrader `StrategyConfig`: serializable).

The one description of a hosted strategy: research, the CLI and the benches build it without
ids, and the backtest or paper session that knows the instruments binds them
(`bind_instruments`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from nautilus_trader.config import StrategyConfig

from execution_engine.targets import TargetRules


class GauntletHostConfig(StrategyConfig, frozen=True, kw_only=True):
    """Which Gauntlet strategy to host, on which instruments, and how to turn targets into orders.

    `instrument_ids` (empty until bound) are in panel column order (orders on one bar go in this order,
    ADR 0002 §10); `columns` are the names the strategy sees for them (a single
    instrument gets plain bars when `columns` is None).

    `window`: bars kept for each `target` call. None keeps the whole history, which makes
    every causal strategy's target identical to the full-history computation (the
    built-ins' EMAs, Wilder RSI and held reversion/breakout states depend on all past
    bars). An integer bounds the cost per bar; it is exact for strategies that look back
    at most that many bars (sma_cross needs `slow`). A strategy with an incremental state
    (every built-in; strategies.incremental) is updated once per bar instead, exactly as the
    whole history gives, whatever `window` says; one that declares only a `lookback` is
    shown that many bars when `window` is None.

    `execute_at`: "next_open" holds the decision made at bar t's close and executes it on
    the next opening quote (the backtest feed's next-open fills); "bar_close" executes
    immediately at the bar's close price (live and paper: the next tick is the market).

    `targets` (backtests only): "per_bar" calls `target` on the window at every bar close,
    exactly as paper and live do; "precomputed" calls it once over the whole history and
    reads it bar by bar (`GauntletStrategyHost.preload_targets`).

    The account (ADR 0002 §12): `account` "margin" (margin level checked at every bar close,
    margin calls counted, a stop-out liquidates; orders cut to the initial margin) or "cash"
    (no shorts, no leverage, buys reserve their costs). `margin_initial` /
    `margin_maintenance` override every instrument's own rates (None: the instrument's);
    `margin_call` and `stop_out` are margin levels in percent. `rebalance` (§13): "off"
    (trade when the processed target changes), "every_bar", or "drift" (also when the
    weight is more than `rebalance_threshold` from the target).

    `ioc_orders`: market orders are immediate-or-cancel, so what the venue's book cannot
    fill at once is canceled rather than filled a tick worse (volume-limited backtests,
    execution_engine.backtest.engine).
    """

    strategy_name: str
    strategy_params: dict[str, Any] = {}  # noqa: RUF012  # msgspec copies defaults per instance
    instrument_ids: list[str] = []  # noqa: RUF012  # msgspec copies defaults per instance
    bar_types: list[str] = []  # noqa: RUF012  # msgspec copies defaults per instance
    columns: list[str] | None = None
    window: int | None = None
    execute_at: str = "next_open"
    size_mode: str = "equity"  # "equity" | "units" | "vol_target"
    units: float = 1.0
    long_only: bool = False
    vol_target: float = 0.10
    vol_window: int = 20
    max_leverage: float = 1.0
    periods_per_year: float = 252.0
    round_to_lot: bool = False
    round_units: bool = False  # a size step of 1 whatever the instrument's (ADR 0002 §14)
    max_notional_per_order: float | None = None  # quote currency; see host.notional
    record_equity: bool = True
    targets: str = "per_bar"
    commission_per_unit: float = 0.0  # account currency per unit: a cash buy reserves it
    account: str = "margin"  # "margin" | "cash"
    margin_initial: float | None = None
    margin_maintenance: float | None = None
    margin_call: float = 100.0  # percent
    stop_out: float = 50.0  # percent
    rebalance: str = "off"  # "off" | "every_bar" | "drift"
    rebalance_threshold: float = 0.05  # fraction of equity
    ioc_orders: bool = False
    # Live: the node's session number in its state folder (0 in backtests and paper). Order
    # ids count decision bars from 0 in every session, so they carry it: a restarted node
    # never reuses an id the venue has seen, and its strategy id stays the same.
    session: int = 0


def target_rules(config: GauntletHostConfig) -> TargetRules:
    """The host's target rules (one definition with the engines: execution_engine.targets)."""
    return TargetRules(
        long_only=config.long_only,
        vol_scaled=config.size_mode == "vol_target",
        vol_target=config.vol_target,
        vol_window=config.vol_window,
        max_leverage=config.max_leverage,
        periods_per_year=config.periods_per_year,
    )


def bind_instruments(
    config: GauntletHostConfig,
    instrument_ids: list[str],
    bar_types: list[str],
    columns: list[str] | None,
    **overrides: Any,
) -> GauntletHostConfig:
    """`config` trading `instrument_ids` on `bar_types` (`columns`: panel names, or None),
    with the ids one node gives its only host, and any field `overrides`."""
    return msgspec.structs.replace(
        config,
        strategy_id=config.strategy_id or "GAUNTLET-001",
        order_id_tag=config.order_id_tag or "001",
        instrument_ids=list(instrument_ids),
        bar_types=list(bar_types),
        columns=columns,
        **overrides,
    )
