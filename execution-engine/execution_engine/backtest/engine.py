"""Event-driven backtests on NautilusTrader's `BacktestEngine` (low-level API).

One run: build the engine (venue SIM, margin account in the first instrument's quote
currency, NETTING), add the instruments and their bars (plus opening quotes for next-open
fills), add a `GauntletStrategyHost`, run, and hand back what the host recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from decimal import Decimal

import pandas as pd
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.config import BacktestEngineConfig, LoggingConfig, RiskEngineConfig
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import TraderId
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.model.objects import Currency, Money

from execution_engine.adapters.sandbox.providers import SIM_VENUE, fx_pair
from execution_engine.backtest.financing import FinancingModule
from execution_engine.backtest.venue import (
    NotionalPlusPerUnitFeeModel,
    VenueSpec,
    fill_model,
    latency_model,
)
from execution_engine.bars import bar_interval_ns, to_feed
from execution_engine.host import GauntletHostConfig, GauntletStrategyHost, HostRecords


@dataclass(frozen=True)
class HostSpec:
    """The hosted strategy and the host's sizing rules (a `GauntletHostConfig` minus ids)."""

    strategy_name: str
    strategy_params: dict[str, object] = field(default_factory=dict)
    window: int | None = None
    execute_at: str = "next_open"
    size_mode: str = "equity"
    units: float = 1.0
    long_only: bool = False
    vol_target: float = 0.10
    vol_window: int = 20
    max_leverage: float = 1.0
    periods_per_year: float = 252.0
    round_to_lot: bool = False
    max_notional_per_order: float | None = None
    # "per_bar": call `target` on the window at every bar close, exactly as paper and live
    # do. "precomputed": one call over the whole history, read bar by bar (backtests only).
    targets: str = "per_bar"


@dataclass
class EventRun:
    """Raw outputs of one event-driven run."""

    records: HostRecords
    instruments: list[CurrencyPair]
    currency: str
    interval_ns: int
    orders: pd.DataFrame
    fills: pd.DataFrame


def risk_config(spec: VenueSpec, instruments: list[CurrencyPair]) -> RiskEngineConfig:
    """Pre-trade risk: submit-rate limit and (optionally) a notional cap on every instrument."""
    caps: dict[str, int] = {}
    if spec.max_notional_per_order is not None:
        caps = {i.id.value: int(spec.max_notional_per_order) for i in instruments}
    return RiskEngineConfig(
        max_order_submit_rate=spec.max_order_submit_rate, max_notional_per_order=caps
    )


def build_engine(
    instruments: list[CurrencyPair], spec: VenueSpec, log_level: str = "ERROR"
) -> BacktestEngine:
    config = BacktestEngineConfig(
        trader_id=TraderId("GAUNTLET-001"),
        logging=LoggingConfig(log_level=log_level, bypass_logging=log_level == "OFF"),
        risk_engine=risk_config(spec, instruments),
    )
    engine = BacktestEngine(config=config)
    currency = instruments[0].quote_currency
    engine.add_venue(
        venue=SIM_VENUE,
        oms_type=OmsType.NETTING,
        account_type=AccountType.MARGIN,
        base_currency=currency,
        starting_balances=[Money(spec.cash, currency)],
        default_leverage=Decimal(repr(spec.leverage)),
        fill_model=fill_model(spec),
        fee_model=NotionalPlusPerUnitFeeModel(spec.commission_per_unit),
        latency_model=latency_model(spec),
        modules=_modules(spec, currency),
        bar_execution=True,
    )
    for instrument in instruments:
        engine.add_instrument(instrument)
    return engine


def _modules(spec: VenueSpec, currency: Currency) -> list[FinancingModule]:
    if spec.financing_long == 0.0 and spec.financing_short == 0.0:
        return []
    dt = 1.0 / spec.periods_per_year
    return [FinancingModule(spec.financing_long, spec.financing_short, dt, currency)]


def run_backtest(
    frames: dict[str, pd.DataFrame],
    instrument_names: dict[str, str],
    host: HostSpec,
    spec: VenueSpec,
    panel: bool,
) -> EventRun:
    """Run `host` over `frames` (column name → bars), each traded as `instrument_names[col]`."""
    instruments = [
        fx_pair(instrument_names[col], taker_fee=spec.commission, min_quantity=spec.min_quantity)
        for col in frames
    ]
    index = next(iter(frames.values())).index
    interval = bar_interval_ns(index)
    engine = build_engine(instruments, spec)
    bar_types = []
    for frame, instrument in zip(frames.values(), instruments, strict=True):
        feed = to_feed(
            frame,
            instrument,
            interval,
            spread=spec.spread,
            slippage=spec.slippage,
            with_open_quotes=host.execute_at == "next_open",
        )
        engine.add_data(feed.bars)
        if feed.open_quotes:
            engine.add_data(feed.open_quotes)
        bar_types.append(str(feed.bar_type))
    if spec.max_notional_per_order is not None:
        host = replace(host, max_notional_per_order=spec.max_notional_per_order)
    strategy = GauntletStrategyHost(host_config(host, instruments, bar_types, frames, panel))
    if host.targets == "precomputed":
        strategy.preload_targets(
            pd.concat(frames, axis=1) if panel else next(iter(frames.values()))
        )
    engine.add_strategy(strategy)
    try:
        engine.run()
        return EventRun(
            records=strategy.records,
            instruments=instruments,
            currency=instruments[0].quote_currency.code,
            interval_ns=interval,
            orders=engine.trader.generate_orders_report(),
            fills=engine.trader.generate_order_fills_report(),
        )
    finally:
        engine.dispose()


def host_config(
    host: HostSpec,
    instruments: list[CurrencyPair],
    bar_types: list[str],
    frames: dict[str, pd.DataFrame],
    panel: bool,
) -> GauntletHostConfig:
    # Every HostSpec field but `targets` (how a backtest feeds the host) is a config field.
    hosted = {f.name: getattr(host, f.name) for f in fields(HostSpec) if f.name != "targets"}
    hosted["strategy_params"] = dict(host.strategy_params)
    return GauntletHostConfig(
        strategy_id="GAUNTLET-001",
        order_id_tag="001",
        instrument_ids=[i.id.value for i in instruments],
        bar_types=bar_types,
        columns=list(frames) if panel else None,
        **hosted,
    )
