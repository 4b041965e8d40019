"""A consumer process for test_durable_ledger: it applies one bar in a PostgreSQL transaction
(state row and ledger row together), commits, says so on stdout, and then waits to be killed:
the crash between "applied" and "acknowledged" happens to a real process.

    python -m tests.integration.bus.crashing_consumer NATS_URL PREFIX DSN SCHEMA DURABLE
"""

from __future__ import annotations

import asyncio
import sys

import asyncpg

from bus import Bar, Envelope
from bus.jetstream import JetStreamBus
from live.state import PostgresLedger

ACK_WAIT = 1.0
STATE_TABLE = """CREATE TABLE bar_closes (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id text NOT NULL,  -- deliberately not unique: a second apply would show
    close      numeric NOT NULL
)"""


async def insert_close(conn: asyncpg.Connection, envelope: Envelope) -> None:
    """The consumer's state change: not idempotent on its own."""
    assert isinstance(envelope.payload, Bar)
    await conn.execute(
        "INSERT INTO bar_closes (message_id, close) VALUES ($1, $2)",
        envelope.id,
        str(envelope.payload.close),
    )


async def main(nats_url: str, prefix: str, dsn: str, schema: str, durable: str) -> None:
    bus = await JetStreamBus.connect(nats_url, prefix=prefix)
    ledger = await PostgresLedger.open(dsn, durable, schema=schema)
    sub = await bus.subscribe(
        bus.subjects.topic("md.bars"), durable, ack_wait=ACK_WAIT, ledger=ledger
    )
    deliveries = []
    while not deliveries:
        deliveries = await sub.fetch(1, timeout=1.0)
    envelope = deliveries[0].envelope

    async def apply(conn: asyncpg.Connection) -> None:
        await insert_close(conn, envelope)

    applied = await ledger.apply(dsn, envelope.id, apply, schema=schema)
    print(f"applied {envelope.id} {applied}", flush=True)
    await asyncio.Event().wait()  # killed here: committed, never acknowledged


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
