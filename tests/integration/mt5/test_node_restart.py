"""A node restarted with an empty cache on the same terminal: reconciliation brings back its
open order (its client order id recovered from the intent journal by the comment key) and
its position; an order of another magic number comes back as external."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from execution_engine.adapters.mt5 import keys
from execution_engine.adapters.mt5.intents import Intent, IntentJournal
from execution_engine.live.node import run_until, start_node, stop_node
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide, OrderStatus, PositionSide
from nautilus_trader.model.events import OrderRejected
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.objects import Price, Quantity

from tests.integration.mt5.conftest import (
    EURUSD,
    Desk,
    Sim,
    Venue,
    build_node,
    first_quote,
)

pytestmark = pytest.mark.slow
Stop = Callable[[TradingNode | Sim], None]


def test_restart_with_an_empty_cache_reconciles_order_and_position(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim = venue.terminal()
    stop_later(sim)
    state = tmp_path / "node"
    desk = Desk()
    first = build_node(venue, state, [desk])
    start_node(first)
    first_quote(first, sim, desk)
    bought = desk.market(OrderSide.BUY, 20_000)
    resting = desk.limit(OrderSide.BUY, 10_000, "1.09000")
    run_until(first, lambda: bought.is_closed and resting.status == OrderStatus.ACCEPTED)
    stop_node(first)

    again = Desk()
    second = build_node(venue, state, [again])
    stop_later(second)
    start_node(second)
    order = second.cache.order(resting.client_order_id)
    assert order is not None
    assert order.status == OrderStatus.ACCEPTED
    assert order.price == Price.from_str("1.09000")
    assert order.quantity == Quantity.from_int(10_000)
    assert order.venue_order_id == resting.venue_order_id
    (position,) = second.cache.positions_open(instrument_id=EURUSD)
    assert position.side == PositionSide.LONG
    assert position.quantity == Quantity.from_int(20_000)
    assert sim.engine.requests_with_key(keys.comment_key(resting.client_order_id.value)) == 1


def test_a_client_order_id_already_journaled_is_refused_and_not_sent(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    """An earlier session's order id (in the journal, not in the new cache) comes again."""
    sim = venue.terminal()
    stop_later(sim)
    state = tmp_path / "node"
    reused = ClientOrderId("O-20260101-000000-001-000-1")
    earlier = Intent(
        key=keys.comment_key(reused.value), client_order_id=reused.value,
        strategy_id="Desk-000", instrument_id=str(EURUSD), side="BUY", quantity="10000",
        ts_ns=1,
    )  # fmt: skip
    journal = IntentJournal(state / "mt5" / "sim-terminal-1" / "intents.jsonl")
    journal.record(earlier)
    journal.close()
    desk = Desk()
    node = build_node(venue, state, [desk])
    stop_later(node)
    start_node(node)
    first_quote(node, sim, desk)
    order = desk.order_factory.market(
        EURUSD, OrderSide.BUY, Quantity.from_int(10_000), client_order_id=reused
    )
    desk.submit_order(order)
    run_until(node, lambda: order.status == OrderStatus.REJECTED)
    (rejected,) = [e for e in desk.events if isinstance(e, OrderRejected)]
    assert rejected.reason == f"duplicate client order id {reused}"
    assert sim.engine.requests_with_key(earlier.key) == 0


def test_orders_of_another_magic_are_external(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim = venue.terminal()
    stop_later(sim)
    sim.push_tick()
    someone = {
        "action": "TRADE_ACTION_PENDING", "magic": 99, "symbol": "EURUSD", "volume": "0.03",
        "type": "ORDER_TYPE_SELL_LIMIT", "price": "1.12000", "type_filling": "ORDER_FILLING_RETURN",
        "type_time": "ORDER_TIME_GTC", "comment": "by hand",
    }  # fmt: skip
    placed = sim.engine.handle("order_send", {"request": someone})
    node = build_node(venue, tmp_path / "node", [])
    stop_later(node)
    start_node(node)
    (order,) = node.cache.orders_open(instrument_id=EURUSD)
    assert order.venue_order_id is not None
    assert order.venue_order_id.value == str(placed["order"])
    assert order.quantity == Quantity.from_int(3_000)
    assert order.strategy_id.value == "EXTERNAL"
