"""More of the execution client on the simulated terminal: requotes, a modify, a volume
change refused, a stop order triggered by a tick, an answer that comes too late (timeout:
the order is looked up, not resent), and an account whose margin mode the config misstates."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from execution_engine.adapters.mt5 import keys
from execution_engine.adapters.mt5.codes import MarginMode
from execution_engine.live.node import run_until, start_node
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide, OrderStatus, TimeInForce
from nautilus_trader.model.events import OrderModifyRejected, OrderRejected, OrderUpdated
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.model.orders import Order

from tests.integration.mt5.conftest import (
    EURUSD,
    Desk,
    Sim,
    Venue,
    build_node,
    exec_client,
    first_quote,
)

pytestmark = pytest.mark.slow
Stop = Callable[[TradingNode | Sim], None]


def running(
    venue: Venue, tmp_path: Path, stop_later: Stop, **engine: Any
) -> tuple[Sim, TradingNode, Desk]:
    sim = venue.terminal(**engine)
    stop_later(sim)
    desk = Desk()
    node = build_node(venue, tmp_path / "node", [desk])
    stop_later(node)
    start_node(node)
    first_quote(node, sim, desk)
    return sim, node, desk


def key(order: Order) -> str:
    return keys.comment_key(order.client_order_id.value)


def events_of(desk: Desk, kind: type, order: Order) -> list[Any]:
    mine = [e for e in desk.events if e.client_order_id == order.client_order_id]
    return [e for e in mine if isinstance(e, kind)]


def test_requotes_are_sent_again_then_fill(venue: Venue, tmp_path: Path, stop_later: Stop) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    sim.engine.faults.requotes = 2
    order = desk.market(OrderSide.BUY, 10_000)
    run_until(node, lambda: order.status == OrderStatus.FILLED)
    assert len(desk.fills(order)) == 1
    assert sim.engine.requests_with_key(key(order)) == 3  # two requotes executed nothing


def test_a_requote_storm_rejects_after_max_requotes(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    sim.engine.faults.requotes = 10
    order = desk.market(OrderSide.BUY, 10_000)
    run_until(node, lambda: order.status == OrderStatus.REJECTED)
    (rejected,) = events_of(desk, OrderRejected, order)
    assert rejected.reason == "requoted 4 times"
    assert sim.engine.net_volume("EURUSD") == 0


def test_modify_a_limit_and_refuse_a_volume_change(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    order = desk.limit(OrderSide.BUY, 10_000, "1.09000")
    run_until(node, lambda: order.status == OrderStatus.ACCEPTED)
    desk.modify_order(order, price=Price.from_str("1.09100"))
    run_until(node, lambda: len(events_of(desk, OrderUpdated, order)) == 1)
    assert order.price == Price.from_str("1.09100")
    (row,) = sim.engine.handle("orders", {"comment": key(order)})["orders"]
    assert row["price_open"] == "1.09100"
    desk.modify_order(order, quantity=Quantity.from_int(20_000))
    run_until(node, lambda: len(events_of(desk, OrderModifyRejected, order)) == 1)
    (refused,) = events_of(desk, OrderModifyRejected, order)
    assert refused.reason == "MetaTrader cannot change a pending order's volume"
    desk.cancel_order(order)  # its answer comes after the modify's ORDER_UPDATE event
    run_until(node, lambda: order.status == OrderStatus.CANCELED)
    assert len(events_of(desk, OrderUpdated, order)) == 1  # the answer and the event: one


def test_a_stop_order_fills_when_a_tick_triggers_it(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    order = desk.order_factory.stop_market(
        EURUSD, OrderSide.BUY, Quantity.from_int(10_000), Price.from_str("1.10100")
    )
    desk.submit_order(order)
    run_until(node, lambda: order.status == OrderStatus.ACCEPTED)
    sim.push_tick(Decimal("1.10105"), Decimal("1.10107"))
    run_until(node, lambda: order.status == OrderStatus.FILLED)
    (fill,) = desk.fills(order)
    assert fill.venue_order_id == order.venue_order_id


def test_an_answer_too_late_is_looked_up_not_resent(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    sim.link.faults.delay_seconds = 4.0  # beyond the config's 3 s request timeout
    order = desk.market(OrderSide.BUY, 10_000)
    run_until(node, lambda: order.client_order_id in exec_client(node).in_doubt, timeout=5)
    sim.link.faults.delay_seconds = 0.0
    run_until(node, lambda: order.status == OrderStatus.FILLED, timeout=10)
    assert sim.engine.requests_with_key(key(order)) == 1
    assert len(desk.fills(order)) == 1


def test_a_misstated_margin_mode_stops_the_connection_with_the_fix(
    venue: Venue, tmp_path: Path, stop_later: Stop, capfd: pytest.CaptureFixture[str]
) -> None:
    sim = venue.terminal(margin_mode=MarginMode.NETTING)
    stop_later(sim)
    node = build_node(venue, tmp_path / "node", [], connect_timeout_seconds=3.0)
    stop_later(node)
    start_node(node)
    assert not exec_client(node).is_connected
    logs = capfd.readouterr().err  # NautilusTrader prints errors on stderr
    assert "margin mode is ACCOUNT_MARGIN_MODE_RETAIL_NETTING" in logs
    assert "margin_mode = 'hedging': set it to match the account" in logs


def test_a_dropped_answer_of_a_limit_finds_it_accepted(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    sim.link.faults.drop_after_next = "order_send"
    order = desk.limit(OrderSide.SELL, 10_000, "1.11000")
    run_until(node, lambda: order.status == OrderStatus.ACCEPTED, timeout=10)
    (row,) = sim.engine.handle("orders", {"comment": key(order)})["orders"]
    assert order.venue_order_id is not None
    assert order.venue_order_id.value == str(row["ticket"])
    assert sim.engine.requests_with_key(key(order)) == 1


def test_a_hedging_close_names_the_position_ticket(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    first = desk.market(OrderSide.BUY, 10_000)
    second = desk.market(OrderSide.BUY, 20_000)
    run_until(node, lambda: first.is_closed and second.is_closed)
    positions = node.cache.positions_open(instrument_id=EURUSD)
    assert len(positions) == 2  # hedging: one per ticket
    (small,) = [p for p in positions if p.quantity == Quantity.from_int(10_000)]
    desk.close_position(small)
    run_until(node, lambda: small.is_closed)
    assert sim.engine.net_volume("EURUSD") == Decimal("0.20")
    (left,) = sim.engine.handle("positions", {})["positions"]
    assert left["volume"] == "0.20"


def test_a_netting_account(venue: Venue, tmp_path: Path, stop_later: Stop) -> None:
    sim = venue.terminal(margin_mode=MarginMode.NETTING)
    stop_later(sim)
    desk = Desk()
    node = build_node(venue, tmp_path / "node", [desk], margin_mode="netting")
    stop_later(node)
    start_node(node)
    first_quote(node, sim, desk)
    buy = desk.market(OrderSide.BUY, 30_000)
    sell = desk.market(OrderSide.SELL, 10_000)
    run_until(node, lambda: buy.is_closed and sell.is_closed)
    (position,) = node.cache.positions_open(instrument_id=EURUSD)
    assert position.quantity == Quantity.from_int(20_000)
    assert sim.engine.net_volume("EURUSD") == Decimal("0.20")


def test_a_partial_ioc_fill_cancels_the_rest(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    sim.engine.faults.liquidity_lots = Decimal("0.05")
    order = desk.order_factory.market(
        EURUSD, OrderSide.BUY, Quantity.from_int(10_000), time_in_force=TimeInForce.IOC
    )
    desk.submit_order(order)
    run_until(node, lambda: order.status == OrderStatus.CANCELED)
    assert order.filled_qty == Quantity.from_int(5_000)
    assert len(desk.fills(order)) == 1


def test_a_trade_server_rejection_names_the_retcode(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    sim.engine.faults.reject_next = "dealer says no"
    order = desk.market(OrderSide.BUY, 10_000)
    run_until(node, lambda: order.status == OrderStatus.REJECTED)
    (rejected,) = events_of(desk, OrderRejected, order)
    assert rejected.reason == "10006 request rejected: dealer says no"


def test_no_terminal_connected_rejects_and_sends_nothing(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    sim.link.stop()
    run_until(node, lambda: not _bridge_connected(node))
    order = desk.market(OrderSide.BUY, 10_000)
    run_until(node, lambda: order.status == OrderStatus.REJECTED)
    (rejected,) = events_of(desk, OrderRejected, order)
    assert rejected.reason == "the MetaTrader terminal is not connected: nothing was sent"
    assert sim.engine.requests_with_key(key(order)) == 0


def test_a_gtd_limit_expires_on_the_terminal(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    expire = pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=1)
    order = desk.order_factory.limit(
        EURUSD, OrderSide.BUY, Quantity.from_int(10_000), Price.from_str("1.09000"),
        time_in_force=TimeInForce.GTD, expire_time=expire,
    )  # fmt: skip
    desk.submit_order(order)
    run_until(node, lambda: order.status == OrderStatus.ACCEPTED)
    time.sleep(1.2)
    sim.push_tick()
    run_until(node, lambda: order.status == OrderStatus.EXPIRED)


def test_cancel_all_cancels_every_open_order(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    low = desk.limit(OrderSide.BUY, 10_000, "1.09000")
    high = desk.limit(OrderSide.SELL, 10_000, "1.11000")
    run_until(node, lambda: low.status == high.status == OrderStatus.ACCEPTED)
    desk.cancel_all_orders(EURUSD)
    run_until(node, lambda: low.status == high.status == OrderStatus.CANCELED)
    assert sim.engine.handle("orders", {})["orders"] == []


def _bridge_connected(node: TradingNode) -> bool:
    return bool(exec_client(node)._hub.connected)  # the hub the client shares


def test_a_fill_while_disconnected_is_read_back_after_the_reconnect(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    order = desk.limit(OrderSide.BUY, 10_000, "1.10000")
    run_until(node, lambda: order.status == OrderStatus.ACCEPTED)
    sim.link.faults.delay_seconds = 0.5  # the first requests after the reconnect wait a bit
    sim.link.restart()  # the connection drops...
    sim.push_tick(Decimal("1.09990"), Decimal("1.09992"))  # ...and the fill's event is lost
    run_until(node, lambda: order.status == OrderStatus.FILLED, timeout=10)
    assert sim.link.connects == 2
    (fill,) = desk.fills(order)
    assert fill.last_px == Price.from_str("1.09992")  # the deal's price: the ask reached


class QuietDesk(Desk):
    def on_start(self) -> None:
        """No quote subscription: a market order has no cached price."""


def test_a_market_order_without_quotes_is_priced_by_the_terminal(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim = venue.terminal()
    stop_later(sim)
    sim.push_tick()
    desk = QuietDesk()
    node = build_node(venue, tmp_path / "node", [desk])
    stop_later(node)
    start_node(node)
    order = desk.market(OrderSide.BUY, 10_000)
    run_until(node, lambda: order.status == OrderStatus.FILLED)
    assert desk.quotes == []


def test_an_order_that_never_reached_the_trade_server_is_rejected_as_never_sent(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    sim.engine.set_trade_allowed(False)  # the terminal answers 10027 without sending...
    sim.link.faults.delay_seconds = 4.0  # ...too late: the node never hears it
    order = desk.market(OrderSide.BUY, 10_000)
    run_until(node, lambda: order.client_order_id in exec_client(node).in_doubt, timeout=5)
    sim.link.faults.delay_seconds = 0.0
    run_until(node, lambda: order.status == OrderStatus.REJECTED, timeout=10)
    (rejected,) = events_of(desk, OrderRejected, order)
    assert rejected.reason == "never reached the terminal (looked up by its key after reconnect)"
    assert sim.engine.requests_with_key(key(order)) == 0


def test_no_terminal_dialing_in_fails_the_connect_with_what_to_check(
    venue: Venue, tmp_path: Path, stop_later: Stop, capfd: pytest.CaptureFixture[str]
) -> None:
    node = build_node(venue, tmp_path / "node", [], connect_timeout_seconds=1.0)
    stop_later(node)
    start_node(node)
    assert not exec_client(node).is_connected
    logs = capfd.readouterr().err
    assert "no MetaTrader terminal 'sim-terminal-1' dialed in" in logs
    assert "is the EA running, with this host, port and its token?" in logs


@pytest.mark.parametrize("mode", ["hedging", "netting"])
def test_a_close_the_node_did_not_send_closes_its_position_too(
    venue: Venue, tmp_path: Path, stop_later: Stop, mode: str
) -> None:
    """A person's close (as a stop loss, a take profit or a stop-out would be): a deal of
    an order the node never sent, reconciled as an external order."""
    margin = MarginMode.HEDGING if mode == "hedging" else MarginMode.NETTING
    sim = venue.terminal(margin_mode=margin)
    stop_later(sim)
    desk = Desk()
    node = build_node(venue, tmp_path / "node", [desk], margin_mode=mode)
    stop_later(node)
    start_node(node)
    first_quote(node, sim, desk)
    order = desk.market(OrderSide.BUY, 20_000)
    run_until(node, lambda: order.status == OrderStatus.FILLED)
    (position,) = node.cache.positions_open(instrument_id=EURUSD)
    (row,) = sim.engine.handle("positions", {})["positions"]
    by_hand = {
        "action": "TRADE_ACTION_DEAL", "magic": 0, "symbol": "EURUSD", "volume": "0.20",
        "type": "ORDER_TYPE_SELL", "price": "1.10010", "deviation": 10,
        "type_filling": "ORDER_FILLING_FOK", "comment": "by hand",
    }  # fmt: skip
    if mode == "hedging":
        by_hand["position"] = row["ticket"]
    assert sim.engine.handle("order_send", {"request": by_hand})["retcode"] == 10009
    run_until(node, lambda: node.portfolio.net_position(EURUSD) == 0)
    if mode == "hedging":  # the close names the position's ticket: that position closes
        assert position.is_closed
        assert node.cache.positions_open(instrument_id=EURUSD) == []
    # netting: NautilusTrader nets per strategy, so the external close is the EXTERNAL
    # strategy's (a strategy claims such orders with external_order_claims)
