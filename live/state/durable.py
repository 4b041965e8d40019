"""PostgreSQL is the source of truth for positions and component status; Redis mirrors it.

Writers go through here so both stores change together (PostgreSQL first: if Redis is down or
flushed, `rebuild_from_postgres` restores it from what was committed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from live.state.models import ComponentStatus, Position
from live.state.store import RealtimeState


@dataclass(frozen=True)
class RebuildReport:
    positions: int
    statuses: int


# The one statement that writes a position, for save_position and the live mirror
# (live/mirror/sql.py). Positions only move forward by their own clock: a row older than the one
# stored changes nothing, so a replayed or late write cannot roll a position back.
UPSERT_POSITION = """
INSERT INTO positions (strategy, instrument, quantity, avg_price, updated_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (strategy, instrument) DO UPDATE
SET quantity = EXCLUDED.quantity, avg_price = EXCLUDED.avg_price, updated_at = EXCLUDED.updated_at
WHERE positions.updated_at <= EXCLUDED.updated_at"""


def _position_args(position: Position) -> tuple[object, ...]:
    return (position.strategy, position.instrument, position.quantity, position.avg_price,
            position.updated_at)  # fmt: skip


async def upsert_position(conn: asyncpg.Connection, position: Position) -> bool:
    """PostgreSQL only. False when the stored row is newer and was kept."""
    status: str = await conn.execute(UPSERT_POSITION, *_position_args(position))
    return status != "INSERT 0 0"


async def upsert_positions(conn: asyncpg.Connection, positions: Sequence[Position]) -> None:
    """`upsert_position` for many in one round trip (the mirror's batches)."""
    await conn.executemany(UPSERT_POSITION, [_position_args(p) for p in positions])


async def save_position(conn: asyncpg.Connection, state: RealtimeState, position: Position) -> None:
    """PostgreSQL, then Redis. A position older than the stored one changes neither store: the
    newer one went to both when it was saved."""
    if await upsert_position(conn, position):
        await state.set_position(position)


async def save_status(
    conn: asyncpg.Connection, state: RealtimeState, status: ComponentStatus
) -> None:
    await conn.execute(
        """INSERT INTO component_status (kind, name, status, detail, updated_at)
           VALUES ($1, $2, $3, $4::jsonb, $5)
           ON CONFLICT (kind, name) DO UPDATE
           SET status = EXCLUDED.status, detail = EXCLUDED.detail, updated_at = EXCLUDED.updated_at""",
        status.kind, status.name, status.status, json.dumps(status.detail), status.updated_at,
    )  # fmt: skip
    await state.set_status(status)


async def rebuild_from_postgres(conn: asyncpg.Connection, state: RealtimeState) -> RebuildReport:
    """Replace the durable Redis state (positions, statuses) under `state.prefix` with PostgreSQL's.

    Quotes and heartbeats are not rebuilt: they expire within seconds anyway and the feeds and
    components write fresh ones.
    """
    positions = [
        Position.model_validate(dict(row))
        for row in await conn.fetch(
            "SELECT strategy, instrument, quantity, avg_price, updated_at FROM positions"
        )
    ]
    statuses = [
        ComponentStatus.model_validate({**dict(row), "detail": json.loads(row["detail"])})
        for row in await conn.fetch(
            "SELECT kind, name, status, detail, updated_at FROM component_status"
        )
    ]
    await state.clear(kinds=("position", "status"))
    for position in positions:
        await state.set_position(position)
    for status in statuses:
        await state.set_status(status)
    return RebuildReport(len(positions), len(statuses))
