"""A node restarted with an empty cache on the same terminal: reconciliation brings back its
open order (its client order id recovered from the intent journal by the comment key) and
its position; an order of another magic number comes back as external."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from execution_engine.adapters.mt5 import keys
from execution_engine.live.node import run_until, start_node, stop_node
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide, OrderStatus, PositionSide
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
