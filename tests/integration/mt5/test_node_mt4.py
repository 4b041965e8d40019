"""The same adapter on a MetaTrader 4 terminal (the EA polls the bridge over HTTPS): a market
order fills, and a stop-limit (MT4 has none) is refused before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from execution_engine.adapters.mt5 import keys
from execution_engine.live.node import run_until, start_node
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide, OrderStatus
from nautilus_trader.model.events import OrderRejected
from nautilus_trader.model.objects import Price, Quantity

from tests.integration.mt5.conftest import EURUSD, Desk, Sim, Venue, build_node, first_quote

pytestmark = pytest.mark.slow
Stop = Callable[[TradingNode | Sim], None]


def test_an_mt4_terminal_trades_through_the_polling_transport(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim = venue.terminal(platform="mt4")
    stop_later(sim)
    desk = Desk()
    node = build_node(venue, tmp_path / "node", [desk], platform="mt4")
    stop_later(node)
    start_node(node)
    first_quote(node, sim, desk)
    order = desk.market(OrderSide.BUY, 10_000)
    run_until(node, lambda: order.status == OrderStatus.FILLED)
    assert len(desk.fills(order)) == 1
    stop_limit = desk.order_factory.stop_limit(
        EURUSD, OrderSide.BUY, Quantity.from_int(10_000), Price.from_str("1.12010"),
        Price.from_str("1.12000"),
    )  # fmt: skip
    desk.submit_order(stop_limit)
    run_until(node, lambda: stop_limit.status == OrderStatus.REJECTED)
    (rejected,) = [e for e in desk.events if isinstance(e, OrderRejected)]
    assert rejected.reason == "MetaTrader 4 has no stop-limit orders"
    assert sim.engine.requests_with_key(keys.comment_key(stop_limit.client_order_id.value)) == 0
