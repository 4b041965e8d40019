"""The mirror's writer against real PostgreSQL: real NautilusTrader events in, rows out;
a replay changes nothing; a row PostgreSQL refuses is dropped without holding back the rest."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

import pytest
from nautilus_trader.cache.cache import Cache
from nautilus_trader.model.enums import OmsType, OrderSide
from nautilus_trader.model.identifiers import ClientOrderId, PositionId, TradeId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.model.orders import Order
from nautilus_trader.model.position import Position
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.test_kit.stubs.events import TestEventStubs
from nautilus_trader.test_kit.stubs.execution import TestExecStubs

from live.db import apply_migrations, connect, drop_schema
from live.mirror import PostgresMirror
from tests.fixtures.pg import PgSchema, unique_schema
from tests.unit.test_mirror_rows import every_order_type, multi_currency_state

pytestmark = pytest.mark.services

EURUSD = TestInstrumentProvider.default_fx_ccy("EUR/USD")
GBPUSD = TestInstrumentProvider.default_fx_ccy("GBP/USD")
POSITION = PositionId("P-1")


def trade(cache: Cache, number: int = 1) -> list[object]:
    """The events of a limit buy of 1 000 filled in two parts, each fill adding to the one
    cached position P-1, and an account snapshot; applied to the cached order and position as
    the execution engine does before publishing."""
    order: Order = TestExecStubs.limit_order(
        instrument=EURUSD, order_side=OrderSide.BUY, price=Price.from_str("1.10000"),
        quantity=Quantity.from_int(1_000), client_order_id=ClientOrderId(f"O-{number}"),
    )  # fmt: skip
    cache.add_order(order)
    events: list[object] = [order.init_event]
    for event in (TestEventStubs.order_submitted(order), TestEventStubs.order_accepted(order)):
        order.apply(event)
        events.append(event)
    for part, px in (("a", "1.09990"), ("b", "1.10000")):
        fill = TestEventStubs.order_filled(
            order, EURUSD, trade_id=TradeId(f"T-{number}{part}"), position_id=POSITION,
            last_qty=Quantity.from_int(500), last_px=Price.from_str(px),
            ts_event=1_764_590_400_000_000_000,
        )  # fmt: skip
        order.apply(fill)
        events.append(fill)
        position = cache.position(POSITION)
        if position is None:
            position = Position(EURUSD, fill)
            cache.add_position(position, OmsType.NETTING)
            events.append(TestEventStubs.position_opened(position))
        else:
            position.apply(fill)
            events.append(TestEventStubs.position_changed(position))
    events.append(TestEventStubs.margin_account_state())
    return events


def cache_with_instrument() -> Cache:
    cache = Cache()
    cache.add_instrument(EURUSD)
    return cache


async def tables(dsn: str, schema: str) -> dict[str, list[dict[str, Any]]]:
    queries = {
        "instruments": "SELECT instrument, asset_class, tick_size, lot_size FROM instruments",
        "orders": "SELECT client_order_id, venue_order_id, status, quantity, limit_price FROM orders",
        "fills": "SELECT fill_id, quantity, price FROM fills ORDER BY fill_id",
        "positions": "SELECT strategy, instrument, quantity, avg_price FROM positions",
        "account_snapshots": "SELECT account, currency, balance, margin_used FROM account_snapshots",
        "audit_log": "SELECT actor, action, subject, details FROM audit_log ORDER BY id",
    }  # fmt: skip
    conn = await connect(dsn, schema=schema)
    try:
        return {name: [dict(r) for r in await conn.fetch(sql)] for name, sql in queries.items()}
    finally:
        await conn.close()


def test_events_become_rows_and_a_replay_changes_nothing(pg_schema: PgSchema) -> None:
    cache = cache_with_instrument()
    events = trade(cache)
    mirror = PostgresMirror(pg_schema.dsn, pg_schema.name, lookups=cache, actor="ops")
    mirror.start()
    for event in events:
        mirror(event)
    assert mirror.wait_idle(10)
    first = asyncio.run(tables(pg_schema.dsn, pg_schema.name))
    for event in events:  # as a reconciliation after a crash would re-emit them
        mirror(event)
    stats = mirror.stop(10)
    assert (stats.pending, stats.failed, stats.last_error) == (0, 0, None)
    assert asyncio.run(tables(pg_schema.dsn, pg_schema.name)) == first

    assert first["instruments"] == [
        {"instrument": "EUR/USD.SIM", "asset_class": "fx", "tick_size": Decimal("0.00001"),
         "lot_size": Decimal(1)}
    ]  # fmt: skip
    assert first["orders"] == [
        {"client_order_id": "O-1", "venue_order_id": "1", "status": "filled",
         "quantity": Decimal(1_000), "limit_price": Decimal("1.10000")}
    ]  # fmt: skip
    assert first["fills"] == [
        {"fill_id": "T-1a", "quantity": Decimal(500), "price": Decimal("1.09990")},
        {"fill_id": "T-1b", "quantity": Decimal(500), "price": Decimal("1.10000")},
    ]
    assert first["positions"] == [
        {"strategy": "S-001", "instrument": "EUR/USD.SIM", "quantity": Decimal(1_000),
         "avg_price": Decimal("1.09995")}
    ]  # fmt: skip
    assert first["account_snapshots"] == [
        {"account": "SIM-000", "currency": "USD", "balance": Decimal("1000000.00"),
         "margin_used": Decimal("10000.00")}
    ]  # fmt: skip
    audit = first["audit_log"]
    assert [(a["actor"], a["action"], a["subject"]) for a in audit] == [
        ("S-001", action, "O-1")
        for action in ("initialized", "submitted", "accepted", "filled", "filled")
    ]
    assert json.loads(audit[3]["details"])["event"]["last_px"] == "1.09990"


def test_a_refused_row_is_dropped_and_counted_and_the_rows_behind_it_are_written(
    pg_schema: PgSchema,
) -> None:
    cache = cache_with_instrument()
    orphan = TestExecStubs.limit_order(instrument=EURUSD, client_order_id=ClientOrderId("O-9"))
    cache.add_order(orphan)
    # Its fill without its order row: the fills foreign key refuses it.
    fill = TestEventStubs.order_filled(orphan, EURUSD, trade_id=TradeId("T-orphan"))
    orphan.apply(TestEventStubs.order_submitted(orphan))
    orphan.apply(TestEventStubs.order_accepted(orphan))
    orphan.apply(fill)
    mirror = PostgresMirror(pg_schema.dsn, pg_schema.name, lookups=cache, actor="ops")
    mirror.start()
    asyncio.run(_drop_order_rows_on_insert(pg_schema))
    mirror(fill)
    for event in trade(cache, 2):
        mirror(event)
    stats = mirror.stop(10)
    assert (stats.pending, stats.failed) == (0, 2)  # O-9's order row, then its fill
    assert stats.last_error is not None
    assert "refused" in stats.last_error
    rows = asyncio.run(tables(pg_schema.dsn, pg_schema.name))
    assert [f["fill_id"] for f in rows["fills"]] == ["T-2a", "T-2b"]
    assert [o["client_order_id"] for o in rows["orders"]] == ["O-2"]


async def _drop_order_rows_on_insert(schema: PgSchema) -> None:
    """A CHECK that refuses O-9's order row, so its fill then fails the foreign key."""
    conn = await connect(schema.dsn, schema=schema.name)
    try:
        await conn.execute("ALTER TABLE orders ADD CHECK (client_order_id <> 'O-9')")
    finally:
        await conn.close()


def test_a_mirror_not_bound_to_a_cache_says_so_instead_of_failing_the_node() -> None:
    mirror = PostgresMirror("postgresql://127.0.0.1:1/none", "unused")
    mirror(TestEventStubs.margin_account_state())  # no exception into the message bus
    stats = mirror.stats()
    assert (stats.skipped, stats.pending) == (1, 0)
    assert stats.last_error == "not bound to a node's cache: call bind(node.kernel.cache)"


def test_rows_wait_for_a_schema_that_is_not_migrated_yet(pg_dsn: str) -> None:
    schema = unique_schema()  # no tables yet: the deployment's fault, not the rows'
    cache = cache_with_instrument()
    mirror = PostgresMirror(pg_dsn, schema, lookups=cache, max_backoff=0.1)
    mirror.start()
    try:
        for event in trade(cache):
            mirror(event)
        deadline = time.monotonic() + 10
        while mirror.stats().retries < 2:
            assert time.monotonic() < deadline, "the writer did not retry"
            time.sleep(0.02)
        waiting = mirror.stats()
        assert (waiting.failed, waiting.written) == (0, 0)
        # 8 events: 1 instrument, 5 order upserts, 2 fills, 2 positions, 1 snapshot, 5 audits.
        assert waiting.pending == 16
        asyncio.run(apply_migrations(pg_dsn, schema=schema))
        assert mirror.wait_idle(10)
        stats = mirror.stop(10)
        assert (stats.written, stats.failed) == (waiting.pending, 0)
        rows = asyncio.run(tables(pg_dsn, schema))
        assert [f["fill_id"] for f in rows["fills"]] == ["T-1a", "T-1b"]
    finally:
        mirror.stop(1)
        asyncio.run(drop_schema(pg_dsn, schema))


def test_every_order_type_and_every_currency_of_an_account_is_written(pg_schema: PgSchema) -> None:
    cache = cache_with_instrument()
    orders = every_order_type(cache)
    trailing = orders[7]  # its trigger is set later, by an update: the row follows it
    mirror = PostgresMirror(pg_schema.dsn, pg_schema.name, lookups=cache, actor="ops")
    mirror.start()
    for order in orders:
        mirror(order.init_event)
    for event in (
        TestEventStubs.order_submitted(trailing),
        TestEventStubs.order_accepted(trailing),
        TestEventStubs.order_updated(trailing, trigger_price=Price.from_str("1.09500")),
    ):
        trailing.apply(event)  # as the execution engine does before publishing
        mirror(event)
    mirror(multi_currency_state())
    stats = mirror.stop(10)
    assert (stats.pending, stats.failed, stats.last_error) == (0, 0, None)
    assert stats.skipped == 1  # the JPY margin the state holds no balance in

    async def read() -> tuple[dict[str, tuple[Any, ...]], list[tuple[Any, ...]]]:
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        try:
            orders = await conn.fetch(
                "SELECT client_order_id, order_type, limit_price, trigger_price, time_in_force "
                "FROM orders"
            )
            snapshots = await conn.fetch(
                "SELECT currency, balance, margin_used FROM account_snapshots ORDER BY currency"
            )
        finally:
            await conn.close()
        return {r[0]: tuple(r[1:]) for r in orders}, [tuple(r) for r in snapshots]

    rows, snapshots = asyncio.run(read())
    limit, trigger = Decimal("1.10000"), Decimal("1.09000")
    assert rows == {
        order.client_order_id.value: terms
        for order, terms in zip(orders, [
            ("market", None, None, "ioc"),
            ("limit", limit, None, "day"),
            ("stop", None, trigger, "gtc"),
            ("stop_limit", limit, trigger, "gtc"),
            ("market_to_limit", None, None, "gtc"),
            ("market_if_touched", None, trigger, "gtc"),
            ("limit_if_touched", limit, trigger, "gtc"),
            ("trailing_stop_market", None, Decimal("1.09500"), "gtc"),  # set by the update
            ("trailing_stop_market", None, trigger, "gtc"),
            ("trailing_stop_limit", None, None, "gtc"),
        ], strict=True)
    }  # fmt: skip
    assert snapshots == [
        ("EUR", Decimal("320.50"), Decimal("4.50")),
        ("USD", Decimal("1500.25"), Decimal("12.00")),
    ]


def test_past_max_pending_events_are_counted_and_a_catch_up_from_the_cache_writes_them(
    pg_dsn: str,
) -> None:
    """PostgreSQL cannot take rows (a schema not migrated yet: the writer retries as it does
    for a server that is down) while more events come than `max_pending` rows can hold."""
    schema = unique_schema()
    cache = cache_with_instrument()
    cache.add_instrument(GBPUSD)
    mirror = PostgresMirror(pg_dsn, schema, lookups=cache, max_backoff=0.1, max_pending=4)
    mirror.start()
    try:
        events = trade(cache)  # O-1: its first event is 3 rows, its second 2: past the bound
        cable = TestExecStubs.limit_order(instrument=GBPUSD, client_order_id=ClientOrderId("O-G"))
        cache.add_order(cable)  # an instrument first seen while overflowing
        for event in [*events, cable.init_event]:
            mirror(event)
        down = mirror.stats()
        assert (down.pending, down.overflowed, down.behind) == (3, 8, True)
        assert down.last_error == "overflow: 4 rows pending; behind the cache"

        asyncio.run(apply_migrations(pg_dsn, schema=schema))  # PostgreSQL takes rows again
        assert mirror.wait_idle(10)
        back = mirror.stats()
        assert (back.written, back.behind) == (3, True)  # the queue written; the rest is not
        mirror(TestEventStubs.margin_account_state())  # the node's next event: the catch-up
        assert mirror.wait_idle(10)
        stats = mirror.stop(10)
        assert (stats.pending, stats.failed, stats.overflowed, stats.behind) == (0, 0, 8, False)

        rows = asyncio.run(tables(pg_dsn, schema))
        assert sorted(i["instrument"] for i in rows["instruments"]) == [
            "EUR/USD.SIM", "GBP/USD.SIM"]  # fmt: skip
        assert sorted((o["client_order_id"], o["status"]) for o in rows["orders"]) == [
            ("O-1", "filled"), ("O-G", "initialized")]  # fmt: skip
        assert [f["fill_id"] for f in rows["fills"]] == ["T-1a", "T-1b"]
        assert [p["quantity"] for p in rows["positions"]] == [Decimal(1_000)]
        assert len(rows["account_snapshots"]) == 1
        assert sorted((a["subject"], a["action"]) for a in rows["audit_log"]) == sorted(
            [("O-1", a) for a in ("initialized", "submitted", "accepted", "filled", "filled")]
            + [("O-G", "initialized")]
        )
    finally:
        mirror.stop(1)
        asyncio.run(drop_schema(pg_dsn, schema))
