"""Real-time state in Redis: TTLs, the dashboard channel, and rebuild from PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest
import redis.asyncio as aioredis

from live.db import connect
from live.state import (
    ComponentStatus,
    Position,
    Quote,
    RealtimeState,
    StateTTL,
    rebuild_from_postgres,
    save_position,
    save_status,
)
from tests.fixtures.pg import PgSchema

pytestmark = pytest.mark.services

Snapshot = dict[str, dict[str, object]]
NOW = datetime(2024, 6, 3, 14, 30, tzinfo=UTC)
QUOTE = Quote(instrument="EURUSD", bid=Decimal("1.08512"), ask=Decimal("1.08519"), ts=NOW)


def test_quotes_and_heartbeats_expire_positions_do_not(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> tuple[Quote | None, int, bool, Quote | None, bool, list[Position]]:
        client = aioredis.Redis.from_url(redis_url)
        state = RealtimeState(client, redis_prefix, StateTTL(quote_s=1.0, heartbeat_s=1.0))
        try:
            await state.set_quote(QUOTE)
            await state.beat("risk-agent")
            await state.set_position(_position("sma_cross", "EURUSD", "1"))
            fresh, ttl_ms, alive = (
                await state.quote("EURUSD"),
                await client.pttl(state.key("quote", "EURUSD")),
                await state.alive("risk-agent"),
            )
            await asyncio.sleep(1.2)
            return (
                fresh,
                ttl_ms,
                alive,
                await state.quote("EURUSD"),
                await state.alive("risk-agent"),
                await state.positions(),
            )
        finally:
            await client.aclose()

    fresh, ttl_ms, alive, stale, still_alive, positions = asyncio.run(scenario())
    assert fresh == QUOTE
    assert 0 < ttl_ms <= 1000
    assert alive
    assert stale is None
    assert not still_alive
    assert positions == [_position("sma_cross", "EURUSD", "1")]  # durable state has no TTL


def test_every_write_reaches_the_dashboard_channel_in_order(
    redis_url: str, redis_prefix: str
) -> None:
    position = Position(strategy="sma_cross", instrument="EURUSD", quantity=Decimal("-0.30"),
                        avg_price=Decimal("1.0850"), updated_at=NOW)  # fmt: skip

    async def scenario() -> list[tuple[str, str]]:
        client = aioredis.Redis.from_url(redis_url)
        state = RealtimeState(client, redis_prefix)
        try:
            async with state.updates() as queue:
                await state.set_quote(QUOTE)
                await state.set_position(position)
                await state.beat("risk-agent")
                got = [await asyncio.wait_for(queue.get(), 5) for _ in range(3)]
        finally:
            await client.aclose()
        assert Position.model_validate(got[1].data) == position
        return [(update.kind, update.key) for update in got]

    assert asyncio.run(scenario()) == [
        ("quote", f"{redis_prefix}:quote:EURUSD"),
        ("position", f"{redis_prefix}:position:sma_cross:EURUSD"),
        ("heartbeat", f"{redis_prefix}:heartbeat:risk-agent"),
    ]


def _position(
    strategy: str, instrument: str, quantity: str, avg_price: str = "1.08501"
) -> Position:
    return Position(
        strategy=strategy,
        instrument=instrument,
        quantity=Decimal(quantity),
        avg_price=Decimal(avg_price),
        updated_at=NOW,
    )


async def _write_trading_state(conn: asyncpg.Connection, state: RealtimeState) -> None:
    """What the runtime does: every change goes to PostgreSQL first, then to Redis."""
    await conn.execute(
        "INSERT INTO instruments VALUES ('EURUSD', 'sim', 'fx', 0.00001, 1000), "
        "('USDJPY', 'sim', 'fx', 0.001, 1000)"
    )
    await save_position(conn, state, _position("sma_cross", "EURUSD", "1.5"))
    await save_position(conn, state, _position("sma_cross", "USDJPY", "-2"))
    await save_position(conn, state, _position("rsi_reversion", "EURUSD", "0"))
    await save_position(conn, state, _position("sma_cross", "EURUSD", "2.25", "1.08601"))  # update
    detail = {"since": "2024-06-01", "gates": [1, 2]}
    paper = ComponentStatus(
        kind="strategy", name="sma_cross", status="paper", detail=detail, updated_at=NOW
    )
    await save_status(conn, state, paper)
    running = ComponentStatus(kind="agent", name="risk", status="running", updated_at=NOW)
    await save_status(conn, state, running)


def test_state_is_rebuilt_from_postgres_after_redis_loses_it(
    pg_schema: PgSchema, redis_url: str, redis_prefix: str
) -> None:
    neighbour = f"{redis_prefix}-neighbour"  # another deployment on the same Redis: untouched

    async def scenario() -> tuple[Snapshot, Snapshot, Snapshot, int]:
        client = aioredis.Redis.from_url(redis_url)
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        state, other = RealtimeState(client, redis_prefix), RealtimeState(client, neighbour)
        try:
            await _write_trading_state(conn, state)
            await other.set_position(_position("x", "EURUSD", "1"))
            before, neighbour_before = (
                await state.durable_snapshot(),
                await other.durable_snapshot(),
            )
            await state.clear()  # Redis loses our data (only our prefix: the db is shared)
            assert await state.durable_snapshot() == {}
            report = await rebuild_from_postgres(conn, state)
            return before, await state.durable_snapshot(), neighbour_before, report.positions
        finally:
            await other.clear()  # redis_prefix's clean-up does not match the neighbour's keys
            await conn.close()
            await client.aclose()

    before, after, neighbour_before, rebuilt = asyncio.run(scenario())
    assert rebuilt == 3
    assert len(before) == 5
    assert after == before
    assert before[f"{redis_prefix}:position:sma_cross:EURUSD"]["quantity"] == "2.25"
    assert list(neighbour_before) == [f"{neighbour}:position:x:EURUSD"]
