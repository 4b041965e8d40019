"""The mirror's statements: every one idempotent, so a batch written twice (a commit whose
acknowledgement was lost, a replay after a restart) leaves the tables as written once.

Orders and positions only move forward: an upsert whose row is older (by the node's clock)
than the one stored changes nothing, so replays cannot roll a status back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

import asyncpg

from live.mirror.audit import AuditRow
from live.mirror.rows import AccountRow, FillRow, InstrumentRow, OrderRow, Row
from live.state.models import Position

INSTRUMENT = """
INSERT INTO instruments (instrument, venue, asset_class, tick_size, lot_size)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (instrument) DO UPDATE
SET venue = EXCLUDED.venue, asset_class = EXCLUDED.asset_class,
    tick_size = EXCLUDED.tick_size, lot_size = EXCLUDED.lot_size"""

ORDER = """
INSERT INTO orders (client_order_id, venue_order_id, strategy, instrument, side, order_type,
                    quantity, limit_price, status, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (client_order_id) DO UPDATE
SET venue_order_id = COALESCE(EXCLUDED.venue_order_id, orders.venue_order_id),
    quantity = EXCLUDED.quantity, limit_price = EXCLUDED.limit_price,
    status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
WHERE orders.updated_at <= EXCLUDED.updated_at"""

FILL = """
INSERT INTO fills (fill_id, client_order_id, instrument, side, quantity, price, commission,
                   filled_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (fill_id) DO NOTHING"""

# Same columns and conflict rule as live.state.durable.save_position, without its Redis half:
# the mirror must not hold PostgreSQL rows back while Redis is down.
POSITION = """
INSERT INTO positions (strategy, instrument, quantity, avg_price, updated_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (strategy, instrument) DO UPDATE
SET quantity = EXCLUDED.quantity, avg_price = EXCLUDED.avg_price, updated_at = EXCLUDED.updated_at
WHERE positions.updated_at <= EXCLUDED.updated_at"""

ACCOUNT = """
INSERT INTO account_snapshots (account, taken_at, currency, balance, equity, margin_used)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (account, taken_at) DO UPDATE
SET currency = EXCLUDED.currency, balance = EXCLUDED.balance, equity = EXCLUDED.equity,
    margin_used = EXCLUDED.margin_used"""

# audit_log is append-only (no UPDATE, no unique key but its identity): the event's UUID in
# the details makes a second insert of the same event a no-op. audit_log_subject indexes it.
AUDIT = """
INSERT INTO audit_log (actor, action, subject, details)
SELECT $1, $2, $3, $4::jsonb
WHERE NOT EXISTS (
    SELECT 1 FROM audit_log WHERE subject = $3 AND details->>'event_id' = $5)"""


def statement(row: Row) -> tuple[str, tuple[Any, ...]]:
    """The SQL and its arguments for one row."""
    match row:
        case InstrumentRow():
            return INSTRUMENT, (row.instrument, row.venue, row.asset_class, row.tick_size,
                                row.lot_size)  # fmt: skip
        case OrderRow():
            return ORDER, (row.client_order_id, row.venue_order_id, row.strategy, row.instrument,
                           row.side, row.order_type, row.quantity, row.limit_price, row.status,
                           row.created_at, row.updated_at)  # fmt: skip
        case FillRow():
            return FILL, (row.fill_id, row.client_order_id, row.instrument, row.side,
                          row.quantity, row.price, row.commission, row.filled_at)  # fmt: skip
        case Position():
            return POSITION, (row.strategy, row.instrument, row.quantity, row.avg_price,
                              row.updated_at)  # fmt: skip
        case AccountRow():
            return ACCOUNT, (row.account, row.taken_at, row.currency, row.balance, row.equity,
                             row.margin_used)  # fmt: skip
        case AuditRow():
            details = json.dumps({**row.details, "event_id": row.event_id}, default=str)
            return AUDIT, (row.actor, row.action, row.subject, details, row.event_id)


# Tables in foreign-key order. Within a transaction only this order matters to PostgreSQL, and
# rows of one table keep their queue order, so a batch is written as one executemany per table
# (a round trip each) instead of one per row.
_TABLE_ORDER = {INSTRUMENT: 0, ORDER: 1, FILL: 2, POSITION: 3, ACCOUNT: 4, AUDIT: 5}


async def write_rows(conn: asyncpg.Connection, rows: Sequence[Row]) -> None:
    """Write `rows` in one transaction: parents before children, each table's rows in order."""
    statements = sorted((statement(row) for row in rows), key=lambda s: _TABLE_ORDER[s[0]])
    async with conn.transaction():
        for sql, run in groupby(statements, key=itemgetter(0)):
            await conn.executemany(sql, [args for _, args in run])
