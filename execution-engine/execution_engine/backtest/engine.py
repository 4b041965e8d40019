"""Event-driven backtests on NautilusTrader's `BacktestEngine` (low-level API).

One run: build the engine (venue SIM, margin account in the first instrument's quote
currency, NETTING), add the instruments and their bars (plus opening quotes for next-open
fills), add a `GauntletStrategyHost`, run, and hand back what the host recorded.

Volume-limited fills (`VenueConfig.volume_limit`): NautilusTrader fills a market order on an
L1 book up to the top level's size and, for the rest, one tick worse (its "exhausted book"
rule), so the size alone never leaves an order unfilled. An immediate-or-cancel order is
canceled at that point instead: the host sends IOC orders (`ioc_orders`), the quote it
fills at offers `volume_limit` × the bar's volume (the opening quote for next-open fills,
a closing quote just before the bar's close for bar-close fills), and what the quote cannot
fill is canceled, partly filled. The host trades again at the next due order, from the
position it really holds.
"""

from __future__ import annotations

import functools
import gc
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.config import BacktestEngineConfig, LoggingConfig, RiskEngineConfig
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import TraderId
from nautilus_trader.model.instruments import CurrencyPair, Instrument
from nautilus_trader.model.objects import Currency, Money

from execution_engine.adapters.sandbox.providers import DEFINITION_ATTR, SIM_VENUE, sim_instrument
from execution_engine.backtest.financing import FinancingModule
from execution_engine.backtest.venue import (
    NotionalPlusPerUnitFeeModel,
    VenueConfig,
    fill_model,
    latency_model,
)
from execution_engine.bars import BarFeed, bar_interval_ns, cost_quotes, to_feed
from execution_engine.host import GauntletHostConfig, GauntletStrategyHost, HostRecords
from execution_engine.host.config import bind_instruments
from execution_engine.venue_limits import check_cash, check_spread, check_units


@dataclass
class EventRun:
    """Raw outputs of one event-driven run."""

    records: HostRecords
    instruments: list[CurrencyPair]
    currency: str
    interval_ns: int
    orders: pd.DataFrame
    fills: pd.DataFrame


def risk_config(venue: VenueConfig, instruments: list[CurrencyPair]) -> RiskEngineConfig:
    """Pre-trade risk: submit-rate limit and (optionally) a notional cap on every instrument."""
    caps: dict[str, int] = {}
    if venue.max_notional_per_order is not None:
        caps = {i.id.value: int(venue.max_notional_per_order) for i in instruments}
    return RiskEngineConfig(
        max_order_submit_rate=venue.max_order_submit_rate, max_notional_per_order=caps
    )


@functools.cache
def freeze_startup_heap() -> None:
    """Move everything alive before the first engine (modules, classes, NautilusTrader's
    and pandas' tables: ~2·10^5 objects) out of the garbage collector's reach, once per
    process.

    Otherwise every full collection walks them: one costs ~0.1 s, and a backtest's own
    survivors (orders, events, the host's records) trigger one every few thousand bars, ~20
    µs per bar of a 5,000-bar run. They live as long as the process anyway (only a cycle
    already garbage at that moment would never be freed); later objects are collected as
    before (CPython's gc.freeze).
    """
    gc.freeze()


def build_engine(
    instruments: list[CurrencyPair],
    venue: VenueConfig,
    log_level: str = "ERROR",
    bar_execution: bool = True,
) -> BacktestEngine:
    """`bar_execution` False: the venue's market moves only with quotes (the closing quotes
    that carry a spread or slippage to bar-close fills, see `run_backtest`)."""
    freeze_startup_heap()
    config = BacktestEngineConfig(
        trader_id=TraderId("GAUNTLET-001"),
        logging=LoggingConfig(log_level=log_level, bypass_logging=log_level == "OFF"),
        risk_engine=risk_config(venue, instruments),
        # NautilusTrader's post-run analysis feeds every closed position to its
        # PortfolioAnalyzer (~1 ms each, pandas appends) for statistics Gauntlet never reads:
        # results come from the host's records and the venue's reports (research.engine.event).
        run_analysis=False,
    )
    engine = BacktestEngine(config=config)
    currency = instruments[0].quote_currency
    engine.add_venue(
        venue=SIM_VENUE,
        oms_type=OmsType.NETTING,
        account_type=AccountType.MARGIN,
        base_currency=currency,
        starting_balances=[Money(venue.cash, currency)],
        default_leverage=Decimal(repr(venue.leverage)),
        fill_model=fill_model(venue),
        fee_model=NotionalPlusPerUnitFeeModel(venue.commission_per_unit),
        latency_model=latency_model(venue),
        modules=_modules(venue, currency),
        bar_execution=bar_execution,
    )
    for instrument in instruments:
        engine.add_instrument(instrument)
    return engine


def _close_quotes(feed: BarFeed, instrument: Instrument, venue: VenueConfig) -> list[QuoteTick]:
    stamps = np.array([b.ts_event - 1 for b in feed.bars], dtype=np.int64)  # before the bar
    closes = np.array([b.close.as_double() for b in feed.bars], dtype=np.float64)
    sizes = None
    if venue.volume_limit is not None:  # the bars carry their own volume then (to_feed)
        volumes = np.array([b.volume.as_double() for b in feed.bars], dtype=np.float64)
        sizes = volumes * venue.volume_limit
    return cost_quotes(instrument, stamps, closes, venue.spread, venue.slippage, sizes)


def _modules(venue: VenueConfig, currency: Currency) -> list[FinancingModule]:
    if venue.financing_long == 0.0 and venue.financing_short == 0.0:
        return []
    dt = 1.0 / venue.periods_per_year
    return [FinancingModule(venue.financing_long, venue.financing_short, dt, currency)]


def run_backtest(
    frames: dict[str, pd.DataFrame],
    instrument_names: dict[str, str],
    host: GauntletHostConfig,
    venue: VenueConfig,
    panel: bool,
) -> EventRun:
    """Run `host` over `frames` (column name → bars), each traded as `instrument_names[col]`
    (the host's instrument ids and bar types are bound here)."""
    instruments = [
        sim_instrument(
            instrument_names[col],
            frames[col].attrs.get(DEFINITION_ATTR),
            taker_fee=venue.commission,
            min_quantity=venue.min_quantity,
        )
        for col in frames
    ]
    check_cash(venue.cash, instruments[0].quote_currency)
    check_spread(venue.spread, frames.values())
    if host.size_mode == "units":
        check_units(host.units)
    index = next(iter(frames.values())).index
    interval = bar_interval_ns(index)
    # Bar-close fills pay the spread and slippage (ADR 0002 §6) through a quote just before
    # each bar's close that carries them; a bar would reset the book to its mid close, so
    # then only quotes move the venue's market. A volume limit needs that quote too: it
    # offers the limited size (a bar's own book level holds a quarter of its volume).
    limited = venue.volume_limit is not None
    close_quotes = host.execute_at == "bar_close" and (
        bool(venue.spread or venue.slippage) or limited
    )
    engine = build_engine(instruments, venue, bar_execution=not close_quotes)
    bar_types = []
    for frame, instrument in zip(frames.values(), instruments, strict=True):
        feed = to_feed(
            frame,
            instrument,
            interval,
            spread=venue.spread,
            slippage=venue.slippage,
            with_open_quotes=host.execute_at == "next_open",
            volume_limit=venue.volume_limit,
        )
        engine.add_data(feed.bars)
        if feed.open_quotes:
            engine.add_data(feed.open_quotes)
        if close_quotes:
            engine.add_data(_close_quotes(feed, instrument, venue))
        bar_types.append(str(feed.bar_type))
    overrides: dict[str, Any] = {}
    if venue.max_notional_per_order is not None:
        overrides["max_notional_per_order"] = venue.max_notional_per_order
    if limited:
        overrides["ioc_orders"] = True
    strategy = GauntletStrategyHost(
        bind_instruments(
            host,
            [i.id.value for i in instruments],
            bar_types,
            list(frames) if panel else None,
            **overrides,
        )
    )
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
