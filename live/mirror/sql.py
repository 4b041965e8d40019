"""The mirror's statements: every one idempotent, so a batch written twice (a commit whose
acknowledgement was lost, a replay after a restart) leaves the tables as written once.

Orders and positions only move forward: an upsert whose row is older (by the node's clock)
than the one stored changes nothing, so replays cannot roll a status back. Positions are
written by live.state.durable's statement, the one every writer of that table uses; the mirror
calls it without durable's Redis half, so PostgreSQL rows are not held back while Redis is down.

An order's prices and time in force are never erased by a later row that lacks them (COALESCE):
a market-to-limit order gets its limit price only once it fills, and a row written before
migration 0006 gets its time in force from the next event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from live.mirror.audit import AuditRow
from live.mirror.rows import AccountRow, FillRow, InstrumentRow, OrderRow, Row
from live.state.durable import upsert_positions
from live.state.models import Position

INSTRUMENT = """
INSERT INTO instruments (instrument, venue, asset_class, tick_size, lot_size)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (instrument) DO UPDATE
SET venue = EXCLUDED.venue, asset_class = EXCLUDED.asset_class,
    tick_size = EXCLUDED.tick_size, lot_size = EXCLUDED.lot_size"""

ORDER = """
INSERT INTO orders (client_order_id, venue_order_id, strategy, instrument, side, order_type,
                    quantity, limit_price, trigger_price, time_in_force, status, created_at,
                    updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (client_order_id) DO UPDATE
SET venue_order_id = COALESCE(EXCLUDED.venue_order_id, orders.venue_order_id),
    quantity = EXCLUDED.quantity,
    limit_price = COALESCE(EXCLUDED.limit_price, orders.limit_price),
    trigger_price = COALESCE(EXCLUDED.trigger_price, orders.trigger_price),
    time_in_force = COALESCE(EXCLUDED.time_in_force, orders.time_in_force),
    status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
WHERE orders.updated_at <= EXCLUDED.updated_at"""

FILL = """
INSERT INTO fills (fill_id, client_order_id, instrument, side, quantity, price, commission,
                   filled_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (fill_id) DO NOTHING"""

ACCOUNT = """
INSERT INTO account_snapshots (account, taken_at, currency, balance, equity, margin_used)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (account, taken_at, currency) DO UPDATE
SET balance = EXCLUDED.balance, equity = EXCLUDED.equity, margin_used = EXCLUDED.margin_used"""

# audit_log is append-only (no UPDATE, no unique key but its identity): the event's UUID in
# the details makes a second insert of the same event a no-op. audit_log_subject indexes it.
AUDIT = """
INSERT INTO audit_log (actor, action, subject, details)
SELECT $1, $2, $3, $4::jsonb
WHERE NOT EXISTS (
    SELECT 1 FROM audit_log WHERE subject = $3 AND details->>'event_id' = $5)"""


Tabled = InstrumentRow | OrderRow | FillRow | AccountRow | AuditRow  # positions: durable.py


def statement(row: Tabled) -> tuple[str, tuple[Any, ...]]:
    """The SQL and its arguments for one row."""
    match row:
        case InstrumentRow():
            return INSTRUMENT, (row.instrument, row.venue, row.asset_class, row.tick_size,
                                row.lot_size)  # fmt: skip
        case OrderRow():
            return ORDER, (row.client_order_id, row.venue_order_id, row.strategy, row.instrument,
                           row.side, row.order_type, row.quantity, row.limit_price,
                           row.trigger_price, row.time_in_force, row.status, row.created_at,
                           row.updated_at)  # fmt: skip
        case FillRow():
            return FILL, (row.fill_id, row.client_order_id, row.instrument, row.side,
                          row.quantity, row.price, row.commission, row.filled_at)  # fmt: skip
        case AccountRow():
            return ACCOUNT, (row.account, row.taken_at, row.currency, row.balance, row.equity,
                             row.margin_used)  # fmt: skip
        case AuditRow():
            details = json.dumps({**row.details, "event_id": row.event_id}, default=str)
            return AUDIT, (row.actor, row.action, row.subject, details, row.event_id)


# Tables in foreign-key order (positions reference instruments only, accounts and the audit log
# nothing). Within a transaction only this order matters to PostgreSQL, and rows of one table
# keep their queue order, so a batch is written as one executemany per table (a round trip
# each) instead of one per row.
_BEFORE_POSITIONS = (INSTRUMENT, ORDER, FILL)
_AFTER_POSITIONS = (ACCOUNT, AUDIT)


async def write_rows(conn: asyncpg.Connection, rows: Sequence[Row]) -> None:
    """Write `rows` in one transaction: parents before children, each table's rows in order."""
    by_table: dict[str, list[tuple[Any, ...]]] = {
        sql: [] for sql in _BEFORE_POSITIONS + _AFTER_POSITIONS
    }
    positions: list[Position] = []
    for row in rows:
        if isinstance(row, Position):
            positions.append(row)
        else:
            sql, args = statement(row)
            by_table[sql].append(args)
    async with conn.transaction():
        for sql in _BEFORE_POSITIONS:
            await _write_many(conn, sql, by_table[sql])
        if positions:
            await upsert_positions(conn, positions)  # the one position statement: durable.py
        for sql in _AFTER_POSITIONS:
            await _write_many(conn, sql, by_table[sql])


async def _write_many(conn: asyncpg.Connection, sql: str, many: list[tuple[Any, ...]]) -> None:
    if many:
        await conn.executemany(sql, many)
