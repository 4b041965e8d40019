"""live.state.durable's one position statement: positions only move forward by their own
clock, in PostgreSQL and, through save_position, in Redis too."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import redis.asyncio as aioredis

from live.db import connect
from live.state import Position, RealtimeState, save_position
from live.state.durable import upsert_position, upsert_positions
from tests.fixtures.pg import PgSchema

pytestmark = pytest.mark.services

LATER = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
EARLIER = LATER - timedelta(seconds=1)


def _position(quantity: str, at: datetime) -> Position:
    return Position(strategy="sma_cross", instrument="EURUSD", quantity=Decimal(quantity),
                    avg_price=Decimal("1.08501"), updated_at=at)  # fmt: skip


def test_an_older_position_changes_neither_postgres_nor_redis(
    pg_schema: PgSchema, redis_url: str, redis_prefix: str
) -> None:
    async def scenario() -> tuple[list[bool], list[Decimal], list[Position]]:
        client = aioredis.Redis.from_url(redis_url)
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        state = RealtimeState(client, redis_prefix)
        try:
            await conn.execute("INSERT INTO instruments VALUES ('EURUSD', 'sim', 'fx', 0.00001, 1)")
            applied = [
                await upsert_position(conn, _position("2", LATER)),  # inserted
                await upsert_position(conn, _position("2.5", LATER)),  # same moment: updated
                await upsert_position(conn, _position("1", EARLIER)),  # a late replay: kept out
            ]
            await save_position(conn, state, _position("9", EARLIER))
            await upsert_positions(conn, [_position("7", EARLIER), _position("3", LATER)])
            stored = [r["quantity"] for r in await conn.fetch("SELECT quantity FROM positions")]
            return applied, stored, await state.positions()
        finally:
            await conn.close()
            await client.aclose()

    applied, stored, in_redis = asyncio.run(scenario())
    assert applied == [True, True, False]
    assert stored == [Decimal(3)]
    assert in_redis == []  # save_position's older row reached neither store
