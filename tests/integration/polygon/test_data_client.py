"""The Polygon data client in a TradingNode on the Polygon simulator over loopback: forex
quotes exact from Polygon's decimals and handed to the quote tap, minute aggregates as
1-MINUTE-LAST-EXTERNAL bars stamped at their close, historical bars from REST aggregates,
and a dropped stream reconnected and resubscribed with nothing lost or repeated."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from execution_engine.adapters.polygon.config import POLYGON_CLIENT, PolygonDataClientConfig
from execution_engine.adapters.polygon.data import PolygonDataClient
from execution_engine.adapters.polygon.factories import polygon_data_client_factory
from execution_engine.adapters.polygon.providers import Market
from execution_engine.adapters.polygon.sim import sources
from execution_engine.adapters.polygon.sim.server import PolygonSimConfig, PolygonSimulator
from execution_engine.live.node import run_until, start_node, stop_node
from nautilus_trader.config import LiveExecEngineConfig, LoggingConfig, TradingNodeConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import Bar, BarType, QuoteTick, TradeTick
from nautilus_trader.model.identifiers import ClientId, InstrumentId, TraderId
from nautilus_trader.trading.strategy import Strategy
from pydantic import SecretStr

pytestmark = pytest.mark.slow  # a TradingNode per test

KEY = "ws-sim-key"
EURUSD = InstrumentId.from_str("EUR/USD.POLYGON")
M1 = BarType.from_str("EUR/USD.POLYGON-1-MINUTE-LAST-EXTERNAL")
CLIENT = ClientId(POLYGON_CLIENT)
START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


class Watcher(Strategy):  # type: ignore[misc]  # NautilusTrader is untyped (Cython)
    """Subscribes to what it is given; EUR/USD quotes, minute bars and an hour of history
    unless told otherwise."""

    def __init__(
        self,
        quotes: tuple[InstrumentId, ...] = (EURUSD,),
        trades: tuple[InstrumentId, ...] = (),
        bars: tuple[BarType, ...] = (M1,),
        history: bool = True,
    ) -> None:
        super().__init__()
        self.wanted = (quotes, trades, bars, history)
        self.quotes: list[QuoteTick] = []
        self.trades: list[TradeTick] = []
        self.bars: list[Bar] = []
        self.history: list[Bar] = []

    def on_start(self) -> None:
        quotes, trades, bars, history = self.wanted
        for instrument_id in quotes:
            self.subscribe_quote_ticks(instrument_id, client_id=CLIENT)
        for instrument_id in trades:
            self.subscribe_trade_ticks(instrument_id, client_id=CLIENT)
        for bar_type in bars:
            self.subscribe_bars(bar_type, client_id=CLIENT)
        if history:
            self.request_bars(M1, start=START, end=START + dt.timedelta(hours=1), client_id=CLIENT)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.quotes.append(tick)

    def on_trade_tick(self, tick: TradeTick) -> None:
        self.trades.append(tick)

    def on_bar(self, bar: Bar) -> None:
        self.bars.append(bar)

    def on_historical_data(self, data: object) -> None:
        if isinstance(data, Bar):
            self.history.append(data)


class Tap:
    def __init__(self) -> None:
        self.quotes: list[QuoteTick] = []

    def on_quote(self, tick: QuoteTick) -> None:
        self.quotes.append(tick)


@pytest.fixture(scope="module")
def sim() -> Iterator[PolygonSimulator]:
    simulator = PolygonSimulator(
        PolygonSimConfig(api_key=KEY, series=sources.synthetic_minutes(50_000), rate=100.0)
    )
    simulator.start()
    yield simulator
    simulator.stop()


def node_on(
    sim: PolygonSimulator, folder: Path, tap: Tap, watcher: Watcher, tickers: tuple[str, ...]
) -> TradingNode:
    config = PolygonDataClientConfig(
        base_url=sim.base_url, ws_url=sim.ws_url, tickers=tickers, heartbeat_seconds=5.0
    )
    folder.mkdir(parents=True, exist_ok=True)
    node_config = TradingNodeConfig(
        trader_id=TraderId("GAUNTLET-001"),
        logging=LoggingConfig(log_level="ERROR", log_directory=str(folder)),
        exec_engine=LiveExecEngineConfig(reconciliation=False),
        data_clients={POLYGON_CLIENT: config},
        timeout_connection=10.0,
        timeout_disconnection=3.0,
        timeout_post_stop=0.2,
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    node = TradingNode(config=node_config, loop=loop)

    def resolve(name: str) -> SecretStr:
        assert name == "POLYGON_API_KEY"
        return SecretStr(KEY)

    node.add_data_client_factory(POLYGON_CLIENT, polygon_data_client_factory(resolve, tap))
    node.build()
    node.trader.add_strategy(watcher)
    start_node(node)
    return node


@pytest.fixture
def running(sim: PolygonSimulator, tmp_path: Path) -> Iterator[tuple[TradingNode, Watcher, Tap]]:
    tap, watcher = Tap(), Watcher()
    node = node_on(sim, tmp_path / "node", tap, watcher, ("C:EURUSD",))
    yield node, watcher, tap
    stop_node(node)


def client_of(node: TradingNode) -> PolygonDataClient:
    client = node.kernel.data_engine.registered_clients
    assert CLIENT in client
    found = node.kernel.data_engine._clients[CLIENT]
    assert isinstance(found, PolygonDataClient)
    return found


def test_quotes_bars_and_history(running: tuple[TradingNode, Watcher, Tap]) -> None:
    node, watcher, tap = running
    run_until(node, lambda: len(watcher.quotes) >= 5 and len(watcher.bars) >= 3, timeout=15)
    quote = watcher.quotes[0]
    assert quote.instrument_id == EURUSD
    assert quote.bid_price.precision == 5  # EUR/USD's tick, from the instrument definition
    assert quote.bid_price < quote.ask_price
    assert tap.quotes[: len(watcher.quotes)] == watcher.quotes[: len(tap.quotes)]
    bar = watcher.bars[0]
    assert bar.bar_type == M1
    assert bar.ts_event % 60_000_000_000 == 0  # stamped at the minute's close
    run_until(node, lambda: len(watcher.history) == 60, timeout=15)
    assert watcher.history[0].ts_event == int((START + dt.timedelta(minutes=1)).timestamp()) * 10**9
    assert watcher.history[-1].ts_event == int((START + dt.timedelta(hours=1)).timestamp()) * 10**9


def test_a_dropped_stream_is_resubscribed_with_nothing_lost(
    sim: PolygonSimulator, running: tuple[TradingNode, Watcher, Tap]
) -> None:
    node, watcher, _ = running
    run_until(node, lambda: len(watcher.quotes) >= 3, timeout=15)
    stream = client_of(node).streams[Market.FOREX]
    sim.faults.disconnect()
    run_until(node, lambda: stream.stats.reconnects >= 1, timeout=15)
    seen = len(watcher.quotes)
    run_until(node, lambda: len(watcher.quotes) >= seen + 5, timeout=15)
    stamps = [q.ts_event for q in watcher.quotes]
    assert stamps == sorted(set(stamps))  # none twice, in order
    steps = {b - a for a, b in itertools.pairwise(stamps)}
    assert steps == {60_000_000_000}  # one quote a minute bar: none skipped over the drop


def test_crypto_and_stock_trades_and_quotes(tmp_path: Path) -> None:
    series = [
        *sources.synthetic_minutes(2_000, "X:BTCUSD"),
        *sources.synthetic_minutes(2_000, "AAPL"),
    ]
    simulator = PolygonSimulator(PolygonSimConfig(api_key=KEY, series=series, rate=100.0))
    simulator.start()
    btc, aapl = InstrumentId.from_str("BTC/USD.POLYGON"), InstrumentId.from_str("AAPL.POLYGON")
    watcher = Watcher(quotes=(btc, aapl), trades=(btc, aapl), bars=(), history=False)
    node = node_on(simulator, tmp_path / "node", Tap(), watcher, ())  # loaded on subscribing
    try:

        def seen(kind: list[QuoteTick] | list[TradeTick], instrument_id: InstrumentId) -> bool:
            return any(tick.instrument_id == instrument_id for tick in kind)

        run_until(node, lambda: all(seen(k, i) for k in (watcher.quotes, watcher.trades)
                                    for i in (btc, aapl)), timeout=15)  # fmt: skip
        markets = set(client_of(node).streams)
    finally:
        stop_node(node)
        simulator.stop()
    quote = next(q for q in watcher.quotes if q.instrument_id == btc)
    assert str(quote.bid_size) == "1.0000"  # Polygon's size, at BTC/USD's size precision
    assert quote.bid_price.precision == 2
    trade = next(t for t in watcher.trades if t.instrument_id == aapl)
    assert trade.price.precision == 2
    assert markets == {Market.CRYPTO, Market.STOCKS}  # one stream per market
