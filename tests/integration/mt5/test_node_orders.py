"""The MetaTrader clients in a real TradingNode, on the bridge and a simulated terminal over
loopback TLS: a market order fills once, a limit rests and is canceled, an order whose
answer is lost is found by its key, AutoTrading off and a volume off the step are refused."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from execution_engine.adapters.mt5 import keys
from execution_engine.adapters.mt5.sim.config import DEFAULT_SYMBOLS
from execution_engine.live.node import run_until, start_node
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide, OrderStatus
from nautilus_trader.model.events import OrderRejected
from nautilus_trader.model.objects import Currency, Money, Price, Quantity
from nautilus_trader.model.orders import Order

from tests.integration.mt5.conftest import (
    EURUSD,
    Desk,
    Sim,
    Venue,
    build_node,
    exec_client,
    first_quote,
    settle,
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


def rejection(desk: Desk, order: Order) -> str:
    (rejected,) = [
        e
        for e in desk.events
        if isinstance(e, OrderRejected) and e.client_order_id == order.client_order_id
    ]
    return str(rejected.reason)


def test_a_market_buy_fills_once(venue: Venue, tmp_path: Path, stop_later: Stop) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    order = desk.market(OrderSide.BUY, 10_000)
    run_until(node, lambda: order.status == OrderStatus.FILLED)
    settle(node, 3.2)  # past the request timeout: the result's stand-in fill stays unused
    (fill,) = desk.fills(order)
    assert fill.last_qty == Quantity.from_int(10_000)
    assert fill.last_px == Price.from_str("1.10012")
    (deal,) = sim.engine.handle("history_deals", {"comment": key(order)})["deals"]
    assert fill.trade_id.value == str(deal["ticket"])
    paid = -(Decimal(deal["commission"]) + Decimal(deal["fee"]))
    assert fill.commission == Money(paid, Currency.from_str("USD"))
    assert sim.engine.requests_with_key(key(order)) == 1
    assert sim.engine.net_volume("EURUSD") == Decimal("0.10")
    (position,) = node.cache.positions_open(instrument_id=EURUSD)
    assert position.quantity == Quantity.from_int(10_000)


def test_intents_flushed_not_fsynced_trade_the_same(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim = venue.terminal()
    stop_later(sim)
    desk = Desk()
    node = build_node(venue, tmp_path / "node", [desk], intent_sync="flush")
    stop_later(node)
    start_node(node)
    first_quote(node, sim, desk)
    order = desk.market(OrderSide.BUY, 10_000)
    run_until(node, lambda: order.status == OrderStatus.FILLED)
    journal = tmp_path / "node" / "mt5" / "sim-terminal-1" / "intents.jsonl"
    assert key(order) in journal.read_text(encoding="utf-8")


def test_a_duplicate_deal_event_applies_once(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    sim.engine.faults.duplicate_next_deal = True
    order = desk.market(OrderSide.SELL, 20_000)
    run_until(node, lambda: order.status == OrderStatus.FILLED)
    run_until(node, lambda: len(sim.engine.deal_events_with_key(key(order))) >= 2)
    assert len(desk.fills(order)) == 1
    assert order.filled_qty == Quantity.from_int(20_000)


def test_a_limit_rests_then_is_canceled(venue: Venue, tmp_path: Path, stop_later: Stop) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    order = desk.limit(OrderSide.BUY, 10_000, "1.09000")
    run_until(node, lambda: order.status == OrderStatus.ACCEPTED)
    assert order.venue_order_id is not None
    assert order.venue_order_id.value.isdigit()
    desk.cancel_order(order)
    run_until(node, lambda: order.status == OrderStatus.CANCELED)
    assert sim.engine.net_volume("EURUSD") == 0
    assert desk.fills(order) == []


def test_a_dropped_answer_is_found_by_its_key_and_never_resent(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    sim.link.faults.drop_after_next = "order_send"
    order = desk.market(OrderSide.BUY, 30_000)
    run_until(node, lambda: order.status == OrderStatus.FILLED, timeout=10)
    assert sim.engine.requests_with_key(key(order)) == 1
    assert len(desk.fills(order)) == 1
    assert exec_client(node).in_doubt == {}


def test_autotrading_off_rejects_with_what_to_do(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    sim.engine.set_trade_allowed(False)
    order = desk.market(OrderSide.BUY, 10_000)
    run_until(node, lambda: order.status == OrderStatus.REJECTED)
    assert "AutoTrading is disabled in the terminal" in rejection(desk, order)
    assert "Algo Trading" in rejection(desk, order)
    assert sim.engine.net_volume("EURUSD") == 0


def test_a_volume_off_the_step_is_rejected_and_nothing_sent(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    order = desk.market(OrderSide.BUY, 1_500)
    run_until(node, lambda: order.status == OrderStatus.REJECTED)
    assert "volume step 0.01 lots" in rejection(desk, order)
    assert sim.engine.requests_with_key(key(order)) == 0


def test_a_brokers_suffixed_symbol_is_the_pair(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    suffixed = DEFAULT_SYMBOLS[0].model_copy(update={"name": "EURUSD.m"})
    sim = venue.terminal(symbols=(suffixed,))
    stop_later(sim)
    desk = Desk()
    node = build_node(venue, tmp_path / "node", [desk], symbols=("EURUSD.m",))
    stop_later(node)
    start_node(node)
    first_quote(node, sim, desk)
    order = desk.market(OrderSide.BUY, 10_000)  # on EUR/USD.MT5
    run_until(node, lambda: order.status == OrderStatus.FILLED)
    assert sim.engine.net_volume("EURUSD.m") == Decimal("0.10")
    status = exec_client(node).bridge_status()
    assert status["connected"] is True
    assert (status["terminal"], status["platform"], status["in_doubt"]) == (
        "sim-terminal-1",
        "mt5",
        0,
    )


def test_each_order_event_is_told_once(venue: Venue, tmp_path: Path, stop_later: Stop) -> None:
    """An answer and its transaction event in one loop turn: NautilusTrader's live engine
    applies events from a queue, so the client must not rely on the order's status alone."""
    _, node, desk = running(venue, tmp_path, stop_later)
    engine = node.kernel.exec_engine
    before = engine.event_count
    market = desk.market(OrderSide.BUY, 10_000)
    limit = desk.limit(OrderSide.BUY, 10_000, "1.09000")
    run_until(node, lambda: market.is_closed and limit.status == OrderStatus.ACCEPTED)
    desk.cancel_order(limit)
    run_until(node, lambda: limit.status == OrderStatus.CANCELED)
    settle(node, 0.3)
    # submitted, accepted, filled; submitted, accepted, canceled (each answer's event too
    # came: a second acceptance or cancel would count here)
    assert engine.event_count - before == 6
