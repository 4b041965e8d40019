"""The durable applied-message ledger (live.state.PostgresLedger) on real JetStream and PostgreSQL.

The bus contract's crash test shares one in-memory ledger between "processes"; here the
consumer is a real OS process killed after committing and before acknowledging, and the next
consumer knows what was applied only from PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

import asyncpg
import nats
import pytest

from bus import Envelope, Subscription
from bus.jetstream import stream_name_for
from live.db import app_role, connect
from live.state import (
    AlreadyAppliedError,
    NotInTransactionError,
    PostgresLedger,
    prune_applied_messages,
)
from tests.fixtures.nats import BusBackend
from tests.fixtures.pg import PgSchema
from tests.integration.bus.crashing_consumer import ACK_WAIT, STATE_TABLE, insert_close
from tests.integration.bus.test_bus_contract import bar_envelope, drain

pytestmark = pytest.mark.services

DURABLE = "applier"


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


async def state_rows(schema: PgSchema) -> list[str]:
    conn = await connect(schema.dsn, schema=schema.name)
    try:
        return [r["message_id"] for r in await conn.fetch("SELECT message_id FROM bar_closes")]
    finally:
        await conn.close()


async def with_state_table(schema: PgSchema) -> None:
    conn = await connect(schema.dsn, schema=schema.name)
    try:
        await conn.execute(STATE_TABLE)
    finally:
        await conn.close()


async def consumer_state(backend: BusBackend, durable: str) -> tuple[int, int, int]:
    """(deliveries made, highest stream sequence acked contiguously, deliveries awaiting ack)."""
    assert backend.nats_url is not None
    nc = await nats.connect(backend.nats_url)
    try:
        info = await nc.jetstream().consumer_info(stream_name_for(backend.prefix), durable)
    finally:
        await nc.close()
    assert info.delivered is not None
    assert info.ack_floor is not None
    return (
        info.delivered.consumer_seq or 0,
        info.ack_floor.stream_seq or 0,
        info.num_ack_pending or 0,
    )


async def settled(backend: BusBackend, sub: Subscription, durable: str) -> tuple[int, int, int]:
    """Fetch (expecting nothing handed over) until the consumer has no unacknowledged delivery."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10.0
    while True:
        assert await sub.fetch(10, timeout=0.5) == []
        state = await consumer_state(backend, durable)
        if state[2] == 0 or loop.time() > deadline:
            return state


def inserting(envelope: Envelope) -> Callable[[asyncpg.Connection], Awaitable[None]]:
    async def apply(conn: asyncpg.Connection) -> None:
        await insert_close(conn, envelope)

    return apply


def test_consumer_process_killed_after_commit_is_not_applied_twice(
    jetstream_backend: BusBackend, pg_schema: PgSchema, repo_root: str
) -> None:
    backend = jetstream_backend

    async def scenario() -> None:
        await with_state_table(pg_schema)
        bus = await backend.connect()
        await bus.publish(bus.subjects.bars("EURUSD"), bar_envelope(7))
        assert backend.nats_url is not None
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.integration.bus.crashing_consumer",
            backend.nats_url, backend.prefix, pg_schema.dsn, pg_schema.name, DURABLE,
            cwd=repo_root, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert child.stdout is not None
        try:
            line = await asyncio.wait_for(child.stdout.readline(), timeout=20.0)
        finally:
            child.kill()  # SIGKILL: no cleanup, no ack, no unsubscribe
            await child.wait()
        assert line.decode().split() == ["applied", "bar-EURUSD-7", "True"]
        assert await consumer_state(backend, DURABLE) == (1, 0, 1)  # delivered, never acked

        ledger = await PostgresLedger.open(pg_schema.dsn, DURABLE, schema=pg_schema.name)
        assert ledger.seen("bar-EURUSD-7")  # learnt from PostgreSQL alone
        sub = await bus.subscribe(
            bus.subjects.topic("md.bars"), DURABLE, ack_wait=ACK_WAIT, ledger=ledger
        )
        # Redelivered (a second delivery), recognised, acknowledged, never handed over.
        assert await settled(backend, sub, DURABLE) == (2, 1, 0)
        assert await sub.fetch(10, timeout=ACK_WAIT + 0.5) == []  # and not delivered again
        assert await state_rows(pg_schema) == ["bar-EURUSD-7"]
        await bus.close()

    run(scenario)


def test_a_rolled_back_apply_is_not_recorded_so_the_redelivery_is_applied(
    jetstream_backend: BusBackend, pg_schema: PgSchema
) -> None:
    backend = jetstream_backend

    async def scenario() -> None:
        await with_state_table(pg_schema)
        bus = await backend.connect()
        await bus.publish(bus.subjects.bars("EURUSD"), bar_envelope(3))
        ledger = await PostgresLedger.open(pg_schema.dsn, DURABLE, schema=pg_schema.name)
        sub = await bus.subscribe(
            bus.subjects.topic("md.bars"), DURABLE, ack_wait=ACK_WAIT, ledger=ledger
        )
        [first] = await drain(sub, 1)
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)

        async def apply_then_fail() -> None:
            async with conn.transaction():
                await insert_close(conn, first.envelope)
                await ledger.record_in(conn, first.envelope.id)
                raise RuntimeError("venue rejected")  # fails after recording: all rolls back

        try:
            with pytest.raises(RuntimeError, match="venue rejected"):
                await apply_then_fail()
        finally:
            await conn.close()
        assert not ledger.seen(first.envelope.id)
        fresh = await PostgresLedger.open(pg_schema.dsn, DURABLE, schema=pg_schema.name)
        assert not fresh.seen(first.envelope.id)
        assert await state_rows(pg_schema) == []

        [again] = await drain(sub, 1)  # not acked, so redelivered after ack_wait
        assert (again.envelope.id, again.attempt) == ("bar-EURUSD-3", 2)
        assert await ledger.handle(
            again, pg_schema.dsn, inserting(again.envelope), schema=pg_schema.name
        )
        assert await settled(backend, sub, DURABLE) == (2, 1, 0)
        assert await state_rows(pg_schema) == ["bar-EURUSD-3"]
        await bus.close()

    run(scenario)


async def blocked_on_a_lock(monitor: asyncpg.Connection, pid: int) -> None:
    """Wait until backend `pid` waits for a lock (the other transaction's claim of the id)."""
    for _ in range(200):
        if await monitor.fetchval(
            "SELECT count(*) FROM pg_locks WHERE pid = $1 AND NOT granted", pid
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"backend {pid} never waited for the row lock")


def test_concurrent_duplicate_deliveries_cannot_both_apply(
    jetstream_backend: BusBackend, pg_schema: PgSchema
) -> None:
    backend = jetstream_backend

    async def scenario() -> None:
        await with_state_table(pg_schema)
        conns = [await connect(pg_schema.dsn, schema=pg_schema.name) for _ in range(3)]
        a_conn, b_conn, monitor = conns
        bus_a, bus_b = await backend.connect(), await backend.connect()
        await bus_a.publish(bus_a.subjects.bars("EURUSD"), bar_envelope(5))
        # Two instances of one durable, both started before anything was applied.
        ledger_a = await PostgresLedger.open(a_conn, DURABLE)
        ledger_b = await PostgresLedger.open(b_conn, DURABLE)
        topic = bus_a.subjects.topic("md.bars")
        sub_a = await bus_a.subscribe(topic, DURABLE, ack_wait=ACK_WAIT, ledger=ledger_a)
        sub_b = await bus_b.subscribe(topic, DURABLE, ack_wait=ACK_WAIT, ledger=ledger_b)
        [slow] = await drain(sub_a, 1)
        claimed = asyncio.Event()

        async def slow_apply(conn: asyncpg.Connection) -> None:
            await insert_close(conn, slow.envelope)
            claimed.set()
            # Outlives ack_wait, so the message goes to B; commit only once B waits on our claim.
            await blocked_on_a_lock(monitor, b_conn.get_server_pid())

        a_task = asyncio.create_task(ledger_a.handle(slow, a_conn, slow_apply))
        await claimed.wait()
        [dup] = await drain(sub_b, 1)
        assert (dup.envelope.id, dup.attempt) == ("bar-EURUSD-5", 2)
        b_applied = await ledger_b.handle(dup, b_conn, inserting(dup.envelope))
        assert (await a_task, b_applied) == (True, False)
        assert ledger_b.seen("bar-EURUSD-5")  # the loser learnt it, and acked
        assert (await settled(backend, sub_b, DURABLE))[1:] == (1, 0)
        assert await state_rows(pg_schema) == ["bar-EURUSD-5"]
        for closing in (bus_a, bus_b, *conns):
            await closing.close()

    run(scenario)


async def _ledger_rows(conn: asyncpg.Connection, rows: list[tuple[str, str, str]]) -> None:
    await conn.executemany(
        "INSERT INTO applied_messages (consumer, message_id, applied_at) "
        "VALUES ($1, $2, now() - $3::interval)",
        [(c, m, timedelta(hours=float(age))) for c, m, age in rows],
    )


def test_open_loads_the_consumers_newest_ids_within_the_horizon(pg_schema: PgSchema) -> None:
    async def scenario() -> None:
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        try:
            await _ledger_rows(
                conn,
                [("c", "old", "48"), ("c", "older-in", "3"), ("c", "mid", "2"),
                 ("c", "new", "1"), ("other", "theirs", "1")],
            )  # fmt: skip
            ledger = await PostgresLedger.open(conn, "c", horizon=timedelta(hours=24), capacity=2)
        finally:
            await conn.close()
        assert [i for i in ("old", "older-in", "mid", "new", "theirs") if ledger.seen(i)] == [
            "mid",
            "new",
        ]

    run(scenario)


def test_an_id_beyond_the_horizon_is_still_caught_by_the_database(pg_schema: PgSchema) -> None:
    async def scenario() -> None:
        await with_state_table(pg_schema)
        envelope = bar_envelope(9)
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        try:
            await _ledger_rows(conn, [(DURABLE, envelope.id, "72")])
            ledger = await PostgresLedger.open(conn, DURABLE, horizon=timedelta(hours=1))
            assert not ledger.seen(envelope.id)
            assert await ledger.apply(conn, envelope.id, inserting(envelope)) is False
            assert ledger.seen(envelope.id)
            with pytest.raises(AlreadyAppliedError, match="bar-EURUSD-9 was applied already"):
                async with conn.transaction():
                    await ledger.record_in(conn, envelope.id)
            with pytest.raises(NotInTransactionError):
                await ledger.record_in(conn, "outside")  # would commit apart from the state
        finally:
            await conn.close()
        assert await state_rows(pg_schema) == []

    run(scenario)


def test_record_alone_is_memory_only(pg_schema: PgSchema) -> None:
    async def scenario() -> None:
        ledger = await PostgresLedger.open(pg_schema.dsn, DURABLE, schema=pg_schema.name)
        ledger.record("acked-but-never-recorded-in")
        assert ledger.seen("acked-but-never-recorded-in")
        fresh = await PostgresLedger.open(pg_schema.dsn, DURABLE, schema=pg_schema.name)
        assert not fresh.seen("acked-but-never-recorded-in")

    run(scenario)


def test_app_role_applies_and_prunes_but_cannot_rewrite(pg_schema: PgSchema) -> None:
    async def scenario() -> None:
        await with_state_table(pg_schema)
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        try:
            await conn.execute(
                f'GRANT SELECT, INSERT ON bar_closes TO "{app_role(pg_schema.name)}"'
            )
            await _ledger_rows(conn, [(DURABLE, "stale", "200"), ("other", "stale-too", "200")])
            await conn.execute(f'SET ROLE "{app_role(pg_schema.name)}"')
            ledger = await PostgresLedger.open(conn, DURABLE)
            envelope = bar_envelope(1)
            assert await ledger.apply(conn, envelope.id, inserting(envelope))
            kept = timedelta(days=7)
            assert await prune_applied_messages(conn, older_than=kept, consumer=DURABLE) == 1
            assert await prune_applied_messages(conn, older_than=kept) == 1  # every consumer
            remaining = await conn.fetch("SELECT consumer, message_id FROM applied_messages")
            assert [tuple(r) for r in remaining] == [(DURABLE, envelope.id)]
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("UPDATE applied_messages SET message_id = 'rewritten'")
        finally:
            await conn.close()

    run(scenario)
