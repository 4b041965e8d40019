"""A FIX simulator and an initiator talking TLS on 127.0.0.1, on a free port per test."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from execution_engine.adapters.fix.codes import ExecType
from execution_engine.adapters.fix.config import FIX_CLIENT, FixVenueConfig, TlsConfig
from execution_engine.adapters.fix.messages import OrderRequest, new_order_single
from execution_engine.adapters.fix.reports import ExecutionReport
from execution_engine.adapters.fix.session import FixInitiator
from execution_engine.adapters.fix.sim.book import BookRules
from execution_engine.adapters.fix.sim.quotes import Quote
from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig
from execution_engine.adapters.fix.sinks import Inbound, QueueSink
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.model.orders import Order
from nautilus_trader.trading.strategy import Strategy
from pydantic import SecretStr

from live.stack._process import free_port

SECRETS = {"fix_user": "gauntlet", "fix_password": "sim-password"}
SYMBOL = "EURUSD"
EURUSD_FIX = InstrumentId.from_str("EUR/USD.FIX")


class Desk(Strategy):  # type: ignore[misc]  # NautilusTrader is untyped (Cython)
    """A strategy the test drives: it sends what it is told, on EUR/USD.FIX (and, with
    `quotes`, subscribes to the venue's quotes when it starts)."""

    def __init__(self, quotes: bool = False) -> None:
        super().__init__()
        self._quotes = quotes

    def on_start(self) -> None:
        if self._quotes:
            self.subscribe_quote_ticks(EURUSD_FIX, client_id=ClientId(FIX_CLIENT))

    def market(self, side: OrderSide, quantity: int | str) -> Order:
        order = self.order_factory.market(EURUSD_FIX, side, Quantity.from_str(str(quantity)))
        self.submit_order(order)
        return order

    def limit(self, side: OrderSide, quantity: int | str, price: str) -> Order:
        order = self.order_factory.limit(
            EURUSD_FIX, side, Quantity.from_str(str(quantity)), Price.from_str(price)
        )
        self.submit_order(order)
        return order


def resolver(secrets: dict[str, str]) -> Callable[[str], SecretStr]:
    return lambda name: SecretStr(secrets[name])


def venue_config(
    sim: FixSimulator, ca_file: Path | None = None, **overrides: object
) -> FixVenueConfig:
    assert sim.ca is not None
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": sim.config.port,
        "sender_comp_id": sim.config.target_comp_id,
        "target_comp_id": sim.config.sender_comp_id,
        "heartbeat_seconds": 30,
        "username_secret": "fix_user",
        "password_secret": "fix_password",
        "tls": TlsConfig(ca_file=ca_file or sim.ca.ca_file),
        "max_logon_attempts": 2,
        "logon_backoff_seconds": 0.2,
        "logon_timeout_seconds": 3.0,
        "account": sim.config.account,
    }
    return FixVenueConfig.model_validate(values | overrides)


def quote(bid: str, ask: str, size: str | None = None) -> Quote:
    import datetime as dt

    return Quote(
        SYMBOL,
        Decimal(bid),
        Decimal(ask),
        dt.datetime.now(dt.UTC),
        None if size is None else Decimal(size),
    )


@dataclass
class Pair:
    sim: FixSimulator
    initiator: FixInitiator
    sink: QueueSink
    node_state: Path

    def expect(self, predicate: Callable[[Inbound], bool], timeout: float = 3.0) -> Inbound:
        """The first message matching `predicate` (others are skipped)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.sink.get(timeout=left)
            except queue.Empty:
                break
            if predicate(message):
                return message
        raise AssertionError("expected FIX message did not arrive")

    def quiet(self, seconds: float = 0.3) -> list[Inbound]:
        """Everything that arrives within `seconds`."""
        time.sleep(seconds)
        seen: list[Inbound] = []
        while not self.sink.queue.empty():
            seen.append(self.sink.queue.get_nowait())
        return seen


def start_simulator(state: Path, rules: BookRules | None = None) -> FixSimulator:
    sim = FixSimulator(
        SimulatorConfig(port=free_port(), state_dir=state, rules=rules or BookRules())
    )
    sim.start()
    return sim


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[FixSimulator]:
    sim = start_simulator(tmp_path / "sim")
    yield sim
    sim.stop()


def logged_on_pair(sim: FixSimulator, node_state: Path) -> Pair:
    sink = QueueSink()
    initiator = FixInitiator(venue_config(sim), node_state, resolver(SECRETS), sink)
    initiator.start()
    assert sim.wait_logged_on(3)
    return Pair(sim, initiator, sink, node_state)


@pytest.fixture
def pair(tmp_path: Path, simulator: FixSimulator) -> Iterator[Pair]:
    """A session of its own, for tests that break sequence numbers or the connection."""
    logged_on = logged_on_pair(simulator, tmp_path / "node")
    yield logged_on
    logged_on.initiator.stop()


@pytest.fixture(scope="module")
def shared_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """One session for a module's order tests (each uses its own ClOrdIDs): QuickFIX's
    stop takes about a second per side, so a session per test would triple their time."""
    folder = tmp_path_factory.mktemp("fix")
    sim = start_simulator(folder / "sim", BookRules(top_size=Decimal(100_000)))
    logged_on = logged_on_pair(sim, folder / "node")
    yield logged_on
    logged_on.initiator.stop()
    sim.stop()


@pytest.fixture
def orders(shared_pair: Pair) -> Pair:
    """The shared session with its inbox emptied and the simulator's faults disarmed."""
    shared_pair.quiet(0)
    faults = shared_pair.sim.faults
    faults.drop_on_next_order = faults.duplicate_next_fill = False
    faults.delay_reports_seconds, faults.reject_next_orders = 0.0, 0
    return shared_pair


def report_for(pair: Pair, cl_ord_id: str, exec_type: ExecType) -> ExecutionReport:
    """The first ExecutionReport of `exec_type` for `cl_ord_id`."""
    message = pair.expect(
        lambda m: (
            isinstance(m, ExecutionReport) and m.cl_ord_id == cl_ord_id and m.exec_type is exec_type
        )
    )
    assert isinstance(message, ExecutionReport)
    return message


def send_order(pair: Pair, order: OrderRequest) -> None:
    pair.initiator.send(new_order_single(order))
