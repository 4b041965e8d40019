"""The mirror subscribed on a real NautilusTrader node trading on the FIX simulator over TLS:
the PostgreSQL rows match the simulator's ledger (same fills, quantities and prices, the
position they add up to) and every order action is in the audit log. Then a restarted node
(empty cache) reconciling into the same tables changes no fill and no position; and a run
whose mirror wrote nothing, recovered at the next start from NautilusTrader's Redis cache."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from execution_engine.adapters.fix.sim.book import BookRules
from execution_engine.adapters.fix.sim.server import FixSimulator
from execution_engine.live.node import build_fix_node, run_until, start_node, stop_node
from nautilus_trader.config import CacheConfig, DatabaseConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide, OrderStatus
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.orders import Order

from live.mirror import RISK_ENGINE, TOPICS, PostgresMirror
from tests.fixtures.pg import PgSchema
from tests.integration.fix.conftest import (
    SECRETS,
    Desk,
    quote,
    resolver,
    start_simulator,
    venue_config,
)
from tests.integration.storage.test_mirror import tables

pytestmark = [pytest.mark.slow, pytest.mark.services]

EURUSD = InstrumentId.from_str("EUR/USD.FIX")
ACCEPTED = OrderStatus.ACCEPTED


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[FixSimulator]:
    simulator = start_simulator(tmp_path / "sim", BookRules(top_size=Decimal(1_000_000)))
    simulator.push_quote(quote("1.20000", "1.20010"))
    yield simulator
    simulator.stop()


def _mirrored_node(
    sim: FixSimulator,
    state: Path,
    pg: PgSchema,
    *,
    cache: CacheConfig | None = None,
    trader_id: str = "MIRROR-001",
    writing: bool = True,
) -> tuple[TradingNode, Desk, PostgresMirror]:
    """A node with a mirror made before it, as the live session makes its event sinks.
    `writing=False`: the mirror's writer never starts, as if the process died before it
    wrote anything."""
    desk = Desk(quotes=True)
    mirror = PostgresMirror(pg.dsn, pg.name, actor="ops")
    node = build_fix_node(
        venue_config(sim), state, resolver(SECRETS), [desk], trader_id=trader_id,
        request_timeout_seconds=2.0, cache=cache,
    )  # fmt: skip
    mirror.bind(node.kernel.cache)
    for topic in TOPICS:  # before the start, so reconciliation's events are mirrored too
        node.kernel.msgbus.subscribe(topic=topic, handler=mirror)
    if writing:
        mirror.start()
    return node, desk, mirror


def _status(node: TradingNode, order: Order) -> OrderStatus:
    cached = node.cache.order(order.client_order_id)
    return OrderStatus.INITIALIZED if cached is None else cached.status


def _actions(audit: list[dict[str, Any]], subject: str) -> list[tuple[str, str]]:
    return [(a["actor"], a["action"]) for a in audit if a["subject"] == subject]


def _trade(node: TradingNode, desk: Desk, sim: FixSimulator) -> dict[str, Order]:
    """Two market orders filled, a limit canceled, one rejected by the venue, one denied by
    the risk engine, and a limit left open."""
    run_until(node, lambda: node.cache.quote_tick(EURUSD) is not None)
    orders: dict[str, Order] = {}

    def until(name: str, order: Order, status: OrderStatus) -> Order:
        run_until(node, lambda: _status(node, order) is status)
        orders[name] = order
        return order

    until("bought", desk.market(OrderSide.BUY, "1000"), OrderStatus.FILLED)
    until("sold", desk.market(OrderSide.SELL, "400"), OrderStatus.FILLED)
    resting = until("resting", desk.limit(OrderSide.SELL, "500", "1.30000"), ACCEPTED)
    desk.cancel_order(node.cache.order(resting.client_order_id))
    until("resting", resting, OrderStatus.CANCELED)
    sim.faults.reject_next_orders = 1
    until("refused", desk.market(OrderSide.BUY, "100"), OrderStatus.REJECTED)
    # EUR/USD trades whole units: the risk engine denies 1.5.
    until("denied", desk.market(OrderSide.BUY, "1.5"), OrderStatus.DENIED)
    until("still_open", desk.limit(OrderSide.BUY, "200", "1.10000"), ACCEPTED)
    return orders


def _check_against_the_venue(
    rows: dict[str, list[dict[str, Any]]], sim: FixSimulator, orders: dict[str, Order]
) -> None:
    # Fills: the venue's, one row each, same ids, quantities and prices.
    venue_fills = [e for e in sim.ledger.entries() if e.kind == "fill"]
    assert [(f["fill_id"], f["quantity"], f["price"]) for f in rows["fills"]] == sorted(
        (e.exec_id, Decimal(e.quantity or "0"), Decimal(e.price or "0")) for e in venue_fills
    )
    assert len(venue_fills) == 2
    # The position is what the venue's fills add up to.
    signed = sum(Decimal(e.quantity or 0) * (1 if e.side == "BUY" else -1) for e in venue_fills)
    assert [(p["instrument"], p["quantity"]) for p in rows["positions"]] == [
        ("EUR/USD.FIX", signed)
    ]
    assert signed == Decimal(600)
    # Orders: each with its final status; the denied one never reached the venue.
    statuses = {o["client_order_id"]: o["status"] for o in rows["orders"]}
    assert statuses == {orders[name].client_order_id.value: status for name, status in (
        ("bought", "filled"), ("sold", "filled"), ("resting", "canceled"),
        ("refused", "rejected"), ("denied", "denied"), ("still_open", "accepted"),
    )}  # fmt: skip
    assert rows["instruments"] == [
        {"instrument": "EUR/USD.FIX", "asset_class": "fx", "tick_size": Decimal("0.00001"),
         "lot_size": Decimal(1)}
    ]  # fmt: skip
    assert rows["account_snapshots"], "the execution client's account state is mirrored"
    # Audit: who and what for every action.
    audit = rows["audit_log"]
    strategy = orders["bought"].strategy_id.value
    assert _actions(audit, orders["resting"].client_order_id.value) == [
        (strategy, a)
        for a in ("initialized", "submitted", "accepted", "pending_cancel", "canceled")
    ]
    assert _actions(audit, orders["denied"].client_order_id.value) == [
        (strategy, "initialized"), (RISK_ENGINE, "denied")]  # fmt: skip
    rejection = next(a for a in audit if a["action"] == "rejected")
    assert json.loads(rejection["details"])["event"]["reason"]  # the venue's text: the why


def test_a_trading_node_is_mirrored_and_a_reconciling_restart_converges(
    sim: FixSimulator, tmp_path: Path, pg_schema: PgSchema
) -> None:
    node, desk, mirror = _mirrored_node(sim, tmp_path / "node", pg_schema)
    start_node(node)
    try:
        orders = _trade(node, desk, sim)
    finally:
        stop_node(node)
    stats = mirror.stop(10)
    assert (stats.pending, stats.failed, stats.skipped, stats.last_error) == (0, 0, 0, None)
    rows = asyncio.run(tables(pg_schema.dsn, pg_schema.name))
    _check_against_the_venue(rows, sim, orders)

    # A restarted node with an empty cache reconciles with the venue into the same tables.
    restarted, _, second = _mirrored_node(sim, tmp_path / "node", pg_schema)
    start_node(restarted)
    try:
        still_open = orders["still_open"].client_order_id
        run_until(restarted, lambda: restarted.cache.order(still_open) is not None)
    finally:
        stop_node(restarted)
    assert second.stop(10).pending == 0
    after = asyncio.run(tables(pg_schema.dsn, pg_schema.name))
    assert (
        after["fills"] == rows["fills"]
    )  # the alignment fill is NautilusTrader's, not the venue's
    assert after["positions"] == rows["positions"]
    assert after["orders"] == rows["orders"]


def test_rows_a_dead_process_never_wrote_come_back_from_the_persisted_cache(
    sim: FixSimulator, tmp_path: Path, pg_schema: PgSchema, redis_url: str
) -> None:
    trader_id = f"MIRROR-{uuid.uuid4().hex[:8]}"  # NautilusTrader's Redis keys are per trader
    parts = urlsplit(redis_url)
    cache = CacheConfig(
        database=DatabaseConfig(type="redis", host=parts.hostname, port=parts.port or 6379),
        use_instance_id=False, flush_on_start=False,
    )  # fmt: skip
    try:
        node, desk, lost = _mirrored_node(
            sim, tmp_path / "node", pg_schema, cache=cache, trader_id=trader_id, writing=False
        )
        start_node(node)
        try:
            orders = _trade(node, desk, sim)
        finally:
            stop_node(node)
        assert lost.stats().pending > 0  # the "dead" process's rows: never written
        assert asyncio.run(tables(pg_schema.dsn, pg_schema.name))["fills"] == []

        restarted, _, mirror = _mirrored_node(
            sim, tmp_path / "node", pg_schema, cache=cache, trader_id=trader_id
        )
        start_node(restarted)
        try:
            assert mirror.resync(restarted.kernel.cache) > 0
            assert mirror.resync(restarted.kernel.cache) > 0  # twice: still once each
        finally:
            stop_node(restarted)
        stats = mirror.stop(10)
        assert (stats.pending, stats.failed, stats.last_error) == (0, 0, None)
        _check_against_the_venue(asyncio.run(tables(pg_schema.dsn, pg_schema.name)), sim, orders)
    finally:
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"trader-{trader_id}:*", count=1000))
        if keys:
            client.unlink(*keys)
        client.close()
