"""The FIX data and execution clients in a real NautilusTrader TradingNode, against the FIX
simulator over TLS: quotes in, a market order filled into a position, a limit order
accepted then canceled, and a restarted node reconciling what the venue holds."""

from __future__ import annotations

from collections.abc import Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pytest
from execution_engine.adapters.fix.codes import OrdType, Side
from execution_engine.adapters.fix.config import FIX_CLIENT
from execution_engine.adapters.fix.execution import FixExecutionClient
from execution_engine.adapters.fix.messages import OrderRequest, new_order_single
from execution_engine.adapters.fix.reports import parse_message
from execution_engine.adapters.fix.sim.book import BookRules
from execution_engine.adapters.fix.sim.server import FixSimulator
from execution_engine.adapters.fix.sinks import Inbound
from execution_engine.live.node import build_fix_node, run_until, start_node, stop_node
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import GenerateOrderStatusReport
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide, OrderStatus, PositionSide, TimeInForce
from nautilus_trader.model.identifiers import ClientId, ClientOrderId, InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.model.orders import Order
from nautilus_trader.trading.strategy import Strategy

from tests.integration.fix.conftest import (
    SECRETS,
    quote,
    resolver,
    start_simulator,
    venue_config,
)

pytestmark = pytest.mark.slow

EURUSD = InstrumentId.from_str("EUR/USD.FIX")
ACCEPTED = OrderStatus.ACCEPTED
T = TypeVar("T")


class OrderDesk(Strategy):  # type: ignore[misc]  # NautilusTrader is untyped (Cython)
    """A strategy the test drives: it sends what it is told and keeps the quotes it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.quotes: list[object] = []

    def on_start(self) -> None:
        self.subscribe_quote_ticks(EURUSD, client_id=ClientId(FIX_CLIENT))

    def on_quote_tick(self, tick: object) -> None:
        self.quotes.append(tick)

    def market(self, side: OrderSide, quantity: int) -> Order:
        order = self.order_factory.market(EURUSD, side, Quantity.from_int(quantity))
        self.submit_order(order)
        return order

    def limit(
        self,
        side: OrderSide,
        quantity: int,
        price: str,
        tif: TimeInForce = TimeInForce.GTC,
        expire_time: pd.Timestamp | None = None,
    ) -> Order:
        order = self.order_factory.limit(
            EURUSD, side, Quantity.from_int(quantity), Price.from_str(price), tif, expire_time
        )
        self.submit_order(order)
        return order

    def stop_market(self, side: OrderSide, quantity: int, trigger: str) -> Order:
        order = self.order_factory.stop_market(
            EURUSD,
            side,
            Quantity.from_int(quantity),
            Price.from_str(trigger),
            time_in_force=TimeInForce.GTC,
        )
        self.submit_order(order)
        return order

    def stop_limit(self, side: OrderSide, quantity: int, trigger: str, price: str) -> Order:
        order = self.order_factory.stop_limit(
            EURUSD,
            side,
            Quantity.from_int(quantity),
            Price.from_str(price),
            Price.from_str(trigger),
            time_in_force=TimeInForce.DAY,
        )
        self.submit_order(order)
        return order


def _node(sim: FixSimulator, node_state: Path) -> tuple[TradingNode, OrderDesk]:
    desk = OrderDesk()
    node = build_fix_node(
        venue_config(sim),
        node_state,
        resolver(SECRETS),
        [desk],
        trader_id="FIXTEST-001",
        request_timeout_seconds=2.0,
    )
    return node, desk


def _run(node: TradingNode, work: Coroutine[Any, Any, T]) -> T:
    return node.get_event_loop().run_until_complete(work)  # type: ignore[union-attr]  # built


def _status(node: TradingNode, order: Order) -> OrderStatus:
    cached = node.cache.order(order.client_order_id)
    return OrderStatus.INITIALIZED if cached is None else cached.status


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[FixSimulator]:
    simulator = start_simulator(tmp_path / "sim", BookRules(top_size=Decimal(1_000_000)))
    simulator.push_quote(quote("1.20000", "1.20010"))
    yield simulator
    simulator.stop()


def test_a_node_trades_on_fix_and_a_restarted_node_reconciles(
    sim: FixSimulator, tmp_path: Path
) -> None:
    node, desk = _node(sim, tmp_path / "node")
    start_node(node)
    try:
        # Quotes: the subscription's snapshot, then a refresh the simulator pushes.
        run_until(node, lambda: len(desk.quotes) >= 1)
        sim.push_quote(quote("1.20002", "1.20012"))
        run_until(node, lambda: node.cache.quote_tick(EURUSD) is not None and
               str(node.cache.quote_tick(EURUSD).ask_price) == "1.20012")  # fmt: skip

        bought = desk.market(OrderSide.BUY, 1_000)
        run_until(node, lambda: _status(node, bought) is OrderStatus.FILLED)
        filled = node.cache.order(bought.client_order_id)
        assert filled is not None
        assert str(filled.avg_px) == "1.20012"  # bought at the ask of the last quote
        position = node.cache.positions_open(instrument_id=EURUSD)
        assert [(p.side, p.quantity.as_decimal()) for p in position] == [
            (PositionSide.LONG, Decimal(1_000))
        ]

        resting = desk.limit(OrderSide.SELL, 500, "1.30000")
        run_until(node, lambda: _status(node, resting) is OrderStatus.ACCEPTED)
        desk.cancel_order(node.cache.order(resting.client_order_id))
        run_until(node, lambda: _status(node, resting) is OrderStatus.CANCELED)

        still_open = desk.limit(OrderSide.BUY, 200, "1.10000")
        run_until(node, lambda: _status(node, still_open) is OrderStatus.ACCEPTED)
    finally:
        stop_node(node)

    # The venue's ledger: each order once, ClOrdID = the node's ClientOrderId.
    sent = [e for e in sim.ledger.entries() if e.kind == "order"]
    assert [e.cl_ord_id for e in sent] == [
        bought.client_order_id.value,
        resting.client_order_id.value,
        still_open.client_order_id.value,
    ]

    # A new node (empty cache) on the same state folder reconciles from the venue.
    restarted, _ = _node(sim, tmp_path / "node")
    start_node(restarted)
    try:
        clients = restarted.kernel.exec_engine._clients  # no public lookup of one client
        client = clients[ClientId(FIX_CLIENT)]
        assert isinstance(client, FixExecutionClient)
        mass = _run(restarted, client.generate_mass_status())
        assert mass is not None
        orders = mass.order_reports
        assert [str(r.client_order_id) for r in orders.values()] == [
            still_open.client_order_id.value
        ]
        report = next(iter(orders.values()))
        assert (report.order_status, str(report.price)) == (OrderStatus.ACCEPTED, "1.10000")
        positions = [p for reports in mass.position_reports.values() for p in reports]
        assert [(p.position_side, p.quantity.as_decimal()) for p in positions] == [
            (PositionSide.LONG, Decimal(1_000))
        ]
        # One order asked about by its ClientOrderId: the filled market order.
        asked = GenerateOrderStatusReport(EURUSD, bought.client_order_id, None, UUID4(), 0)
        status = _run(restarted, client.generate_order_status_report(asked))
        assert status is not None
        assert (status.order_status, status.filled_qty.as_decimal()) == (
            OrderStatus.FILLED,
            Decimal(1_000),
        )
        # The start-up reconciliation put the venue's open order in the new node's cache.
        reconciled = restarted.cache.order(still_open.client_order_id)
        assert reconciled is not None
        assert reconciled.status is OrderStatus.ACCEPTED
        # ...and the venue's position: NautilusTrader books the difference to its (empty)
        # cache as one synthetic INTERNAL-DIFF fill at the venue's quantity.
        held = restarted.cache.positions_open(instrument_id=EURUSD)
        assert [(p.side, p.quantity.as_decimal()) for p in held] == [
            (PositionSide.LONG, Decimal(1_000))
        ]
    finally:
        stop_node(restarted)


def _fix_client(node: TradingNode) -> FixExecutionClient:
    clients = node.kernel.exec_engine._clients  # no public lookup of one client
    client = clients[ClientId(FIX_CLIENT)]
    assert isinstance(client, FixExecutionClient)
    return client


def test_every_order_kind_and_the_venue_reports_that_must_not_be_applied(
    sim: FixSimulator, tmp_path: Path
) -> None:
    node, desk = _node(sim, tmp_path / "node")
    start_node(node)
    client = _fix_client(node)
    try:
        run_until(node, lambda: len(desk.quotes) >= 1)  # the market: 1.20000 / 1.20010

        sim.faults.reject_next_orders = 1
        refused = desk.market(OrderSide.BUY, 100)
        run_until(node, lambda: _status(node, refused) is OrderStatus.REJECTED)

        # An order type the FIX adapter does not send: refused here, nothing reaches the venue.
        unsendable = desk.order_factory.market_to_limit(EURUSD, OrderSide.BUY, Quantity.from_int(1))
        desk.submit_order(unsendable)
        run_until(node, lambda: _status(node, unsendable) is OrderStatus.REJECTED)
        assert unsendable.client_order_id.value not in {e.cl_ord_id for e in sim.ledger.entries()}

        stop = desk.stop_market(OrderSide.BUY, 100, trigger="1.25000")
        stop_limit = desk.stop_limit(OrderSide.SELL, 100, trigger="1.15000", price="1.14000")
        run_until(node, lambda: _status(node, stop) is _status(node, stop_limit) is ACCEPTED)
        sim.push_quote(quote("1.25000", "1.25010"))  # the buy stop triggers at the ask
        run_until(node, lambda: _status(node, stop) is OrderStatus.FILLED)
        assert node.cache.order(stop.client_order_id).last_event.last_px == Price.from_str(
            "1.25010"
        )
        desk.cancel_order(node.cache.order(stop_limit.client_order_id))
        run_until(node, lambda: _status(node, stop_limit) is OrderStatus.CANCELED)

        ioc = desk.limit(OrderSide.BUY, 100, "1.00000", TimeInForce.IOC)
        run_until(node, lambda: _status(node, ioc) is OrderStatus.CANCELED)  # nothing at 1.0

        expiry = pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=1.5)
        gtd = desk.limit(OrderSide.BUY, 100, "1.10000", TimeInForce.GTD, expiry)
        run_until(node, lambda: _status(node, gtd) is ACCEPTED)
        desk.modify_order(node.cache.order(gtd.client_order_id), price=Price.from_str("1.11000"))
        run_until(node, lambda: str(node.cache.order(gtd.client_order_id).price) == "1.11000")
        run_until(node, lambda: _status(node, gtd) is OrderStatus.EXPIRED)  # its GTD kept

        # A fill sent twice (the copy with PossDupFlag=Y) is applied once.
        sim.faults.duplicate_next_fill = True
        doubled = desk.market(OrderSide.BUY, 300)
        run_until(node, lambda: _status(node, doubled) is OrderStatus.FILLED)
        run_until(node, lambda: [r.header.poss_dup for r in client.duplicate_fills] == [True])
        assert len(node.cache.order(doubled.client_order_id).trade_ids) == 1
        net = sum(p.signed_qty for p in node.cache.positions_open(instrument_id=EURUSD))
        assert net == 400.0  # the stop's 100 + 300, the copy not counted

        # A report for a ClOrdID the node never sent is logged and kept, not applied.
        client.fix_session.send(
            new_order_single(
                OrderRequest("external-1", "EURUSD", Side.BUY, Decimal(50), OrdType.MARKET)
            )
        )
        run_until(node, lambda: {r.cl_ord_id for r in client.unknown_reports} == {"external-1"})
        assert node.cache.order(ClientOrderId("external-1")) is None

        # A fill larger than what is left of the order is flagged and not applied beyond it.
        fills_before = len(node.cache.order(doubled.client_order_id).trade_ids)
        client._on_message(_overfill(doubled, node))
        assert [r.exec_id for r in client.overfills] == ["overfill-1"]
        assert len(node.cache.order(doubled.client_order_id).trade_ids) == fills_before
        # ... and halts the strategy: its next order is refused before it reaches the venue.
        sent_before = len(sim.ledger.entries("order"))
        refused = desk.market(OrderSide.BUY, 100)
        run_until(node, lambda: _status(node, refused) is OrderStatus.REJECTED)
        assert "halted" in str(node.cache.order(refused.client_order_id).events[-1].reason)
        assert len(sim.ledger.entries("order")) == sent_before

        # The venue drops the line: the session logs on again and quotes resume, because
        # the data client asks for them again (the venue forgot the subscription).
        sim.disconnect()
        run_until(node, lambda: not client.fix_session.is_logged_on)
        run_until(node, lambda: client.fix_session.is_logged_on, timeout=10.0)
        sim.push_quote(quote("1.26000", "1.26010"))
        run_until(node, lambda: str(node.cache.quote_tick(EURUSD).ask_price) == "1.26010")
    finally:
        stop_node(node)


def _overfill(order: Order, node: TradingNode) -> Inbound:
    """An ExecutionReport (as the venue would send it) filling 500 more of a filled order."""
    venue_order_id = node.cache.order(order.client_order_id).venue_order_id
    fields = {
        35: "8", 34: "999", 52: "20261201-12:00:00.000", 37: str(venue_order_id),
        11: order.client_order_id.value, 17: "overfill-1", 150: "F", 39: "2", 55: "EURUSD",
        54: "1", 38: "300", 14: "800", 151: "0", 6: "1.2", 32: "500", 31: "1.20010",
    }  # fmt: skip
    return parse_message("".join(f"{tag}={value}\x01" for tag, value in fields.items()))
