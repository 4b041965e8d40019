"""A TradingNode on the MetaTrader adapter, its bridge on loopback TLS (a dev CA per test),
and the terminal simulator dialing in on a free port."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from execution_engine.adapters.fix.devca import generate_dev_ca
from execution_engine.adapters.mt5.auth import new_token
from execution_engine.adapters.mt5.bridge import BridgeConfig
from execution_engine.adapters.mt5.codes import MarginMode
from execution_engine.adapters.mt5.config import MT5_CLIENT, Mt5VenueConfig
from execution_engine.adapters.mt5.execution import Mt5ExecutionClient
from execution_engine.adapters.mt5.sim.config import EngineConfig
from execution_engine.adapters.mt5.sim.engine import TerminalEngine
from execution_engine.adapters.mt5.sim.terminal import EaLink, SimTerminalConfig, TerminalSimulator
from execution_engine.live.node import build_mt5_node, run_until, stop_node
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.events import OrderEvent, OrderFilled
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.model.orders import Order
from nautilus_trader.trading.strategy import Strategy
from pydantic import SecretStr

from live.stack._process import free_port

TERMINAL = "sim-terminal-1"
TRADER = "GAUNTLET-001"
EURUSD = InstrumentId.from_str("EUR/USD.MT5")
BID, ASK = Decimal("1.10010"), Decimal("1.10012")


class Desk(Strategy):  # type: ignore[misc]  # NautilusTrader is untyped (Cython)
    """A strategy the test drives: quotes on EUR/USD.MT5, orders as it is told, and every
    order event it hears."""

    def __init__(self) -> None:
        super().__init__()
        self.quotes: list[object] = []
        self.events: list[OrderEvent] = []

    def on_start(self) -> None:
        self.subscribe_quote_ticks(EURUSD, client_id=ClientId(MT5_CLIENT))

    def on_quote_tick(self, tick: object) -> None:
        self.quotes.append(tick)

    def on_order_event(self, event: OrderEvent) -> None:
        self.events.append(event)

    def market(self, side: OrderSide, units: int) -> Order:
        order = self.order_factory.market(EURUSD, side, Quantity.from_int(units))
        self.submit_order(order)
        return order

    def limit(self, side: OrderSide, units: int, price: str) -> Order:
        order = self.order_factory.limit(
            EURUSD, side, Quantity.from_int(units), Price.from_str(price)
        )
        self.submit_order(order)
        return order

    def fills(self, order: Order) -> list[OrderFilled]:
        return [
            e
            for e in self.events
            if isinstance(e, OrderFilled) and e.client_order_id == order.client_order_id
        ]


@dataclass
class Sim:
    """The simulated terminal (gauntlet sim mt5's TerminalSimulator) dialing the bridge."""

    terminal: TerminalSimulator

    @property
    def engine(self) -> TerminalEngine:
        return self.terminal.engine

    @property
    def link(self) -> EaLink:
        return self.terminal.link

    def push_tick(self, bid: Decimal = BID, ask: Decimal = ASK, time_ms: int | None = None) -> None:
        for spec in self.engine.config.symbols:  # EURUSD, or a broker's name for it
            if spec.currency_base == "EUR" and spec.currency_profit == "USD":
                self.terminal.push_tick(spec.name, bid, ask, time_ms)

    def stop(self) -> None:
        self.terminal.stop()


@dataclass
class Venue:
    """A bridge config and the terminal that dials it, both from one test's folder."""

    folder: Path
    port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)  # MT4's polling transport
    token: str = field(
        default_factory=lambda: new_token(TERMINAL, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    )

    @property
    def tls(self) -> Path:
        return self.folder / "tls"

    def config(self, **overrides: Any) -> Mt5VenueConfig:
        values: dict[str, Any] = {
            "platform": "mt5",
            "bridge": BridgeConfig(
                port=self.port, http_port=self.http_port, terminal=TERMINAL, heartbeat_seconds=2.0
            ),
            "token_secret": "mt5_sim_token",
            "dev_tls_dir": self.tls,
            "connect_timeout_seconds": 8.0,
            "request_timeout_seconds": 3.0,
            "symbols": ("EURUSD",),
        }
        return Mt5VenueConfig.model_validate(values | overrides)

    def resolve(self, name: str) -> SecretStr:
        assert name == "mt5_sim_token"
        return SecretStr(self.token)

    def terminal(self, platform: str = "mt5", **engine: Any) -> Sim:
        """A terminal with a hedging account (unless told otherwise), dialing in: over TLS
        (MT5) or by HTTPS polling (MT4)."""
        settings: dict[str, Any] = {"margin_mode": MarginMode.HEDGING, "platform": platform}
        terminal = TerminalSimulator(
            SimTerminalConfig(
                port=self.http_port if platform == "mt4" else self.port,
                token=SecretStr(self.token), terminal=TERMINAL, ca_file=self.tls / "ca.pem",
                platform=platform, engine=EngineConfig(**(settings | engine)), backoff=(0.1,),
            )
        )  # fmt: skip
        terminal.start()
        return Sim(terminal)


@pytest.fixture
def venue(tmp_path: Path) -> Venue:
    made = Venue(tmp_path)
    generate_dev_ca(made.tls)  # before the terminal dials: it trusts this CA
    return made


def build_node(
    venue: Venue,
    state: Path,
    strategies: list[Strategy],
    symbols: tuple[str, ...] = ("EURUSD",),
    **overrides: Any,
) -> TradingNode:
    """The node live sessions build: both MetaTrader clients on one bridge."""
    return build_mt5_node(
        venue.config(**overrides), state, venue.resolve, strategies, instruments=symbols,
        trader_id=TRADER,
    )  # fmt: skip


def first_quote(node: TradingNode, sim: Sim, desk: Desk, time_ms: int | None = None) -> None:
    """Quote until the desk has seen one (its subscription reaches the terminal after the
    node starts, and a tick before it is not sent); at the terminal's time unless given."""
    for _ in range(50):
        sim.push_tick(time_ms=time_ms)
        try:
            run_until(node, lambda: len(desk.quotes) > 0, timeout=0.1)
            return
        except TimeoutError:
            continue
    raise AssertionError("no quote reached the strategy")


def settle(node: TradingNode, seconds: float) -> None:
    """Run the node's loop for `seconds` (what is due in that time happens)."""
    loop = node.get_event_loop()
    assert loop is not None  # build_mt5_node gives every node a loop
    loop.run_until_complete(asyncio.sleep(seconds))


def exec_client(node: TradingNode) -> Mt5ExecutionClient:
    client = node.kernel.exec_engine._clients[
        ClientId(MT5_CLIENT)
    ]  # the test inspects the client NautilusTrader built
    assert isinstance(client, Mt5ExecutionClient)
    return client


@pytest.fixture
def stop_later() -> Iterator[Callable[[TradingNode | Sim], None]]:
    """Register what to stop when the test ends (nodes before terminals); a test that
    stops a node itself does not register it."""
    nodes: list[TradingNode] = []
    sims: list[Sim] = []

    def register(thing: TradingNode | Sim) -> None:
        if isinstance(thing, Sim):
            sims.append(thing)
        else:
            nodes.append(thing)

    yield register
    for node in nodes:  # also one whose start failed: its bridge may still listen
        stop_node(node)
    for sim in sims:
        sim.stop()
