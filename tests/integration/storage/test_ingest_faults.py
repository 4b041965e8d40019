"""Faults during ingestion: the server drops or restarts mid-batch; retries commit each batch once.

The ingesting session is made to stop inside batch 2 deterministically: the test holds the
advisory lock that ensure_market_partitions() takes before creating February's partition, waits
until pg_stat_activity shows the ingester blocked on it, then kills (or restarts) the server side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import asyncpg
import pandas as pd
import pytest

from live.db import apply_migrations, connect
from live.marketdata import IngestFailedError, RetryPolicy, ingest_bars
from live.marketdata.api import BAR_COLUMNS
from live.marketdata.writer import (
    IngestReport,
    Target,
    _copy_direct,
    _copy_via_stage,
    _open,
    make_batches,
)
from live.stack.postgres import EmbeddedPostgres
from tests.fixtures.bars import make_bars
from tests.fixtures.pg import PgSchema, embedded_pg_dir

pytestmark = pytest.mark.services

BARS = make_bars(24 * 45, seed=21, freq="1h")  # 2024-01-01 .. 2024-02-14
JANUARY = 24 * 31  # batch 1 is January exactly; batch 2 needs the February partition
FAST_RETRY = RetryPolicy(attempts=8, first_delay_s=0.05, max_delay_s=1.0)


async def _block_february(dsn: str, schema: str) -> asyncpg.Connection:
    blocker = await connect(dsn, schema=schema)
    await blocker.execute("SELECT pg_advisory_lock(hashtext($1))", f"{schema}.bars_y2024m02")
    return blocker


async def _blocked_ingester_pid(watcher: asyncpg.Connection, schema: str) -> int:
    for _ in range(400):
        pid = await watcher.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
            f"gauntlet-ingest:{schema}",
        )
        if pid is not None:
            return int(pid)
        await asyncio.sleep(0.025)
    raise AssertionError("the ingester never blocked on the February partition lock")


async def _stored(dsn: str, schema: str) -> tuple[int, int, list[int]]:
    conn = await connect(dsn, schema=schema)
    try:
        rows = await conn.fetchval("SELECT count(*) FROM bars")
        distinct = await conn.fetchval("SELECT count(DISTINCT ts) FROM bars")
        batches = [
            r["rows_inserted"]
            for r in await conn.fetch("SELECT rows_inserted FROM ingest_batches ORDER BY first_ts")
        ]
        return int(rows), int(distinct), batches
    finally:
        await conn.close()


def _ingest(
    dsn: str, schema: str, retry: RetryPolicy = FAST_RETRY
) -> Coroutine[Any, Any, IngestReport]:
    return ingest_bars(
        dsn,
        BARS,
        instrument="EURUSD",
        timeframe="1h",
        schema=schema,
        batch_rows=JANUARY,
        retry=retry,
    )


def test_connection_killed_mid_batch_is_retried_and_committed_once(pg_schema: PgSchema) -> None:
    async def scenario() -> IngestReport:
        blocker = await _block_february(pg_schema.dsn, pg_schema.name)
        try:
            ingest = asyncio.create_task(_ingest(pg_schema.dsn, pg_schema.name))
            pid = await _blocked_ingester_pid(blocker, pg_schema.name)
            assert await blocker.fetchval("SELECT pg_terminate_backend($1)", pid)
            await blocker.execute(
                "SELECT pg_advisory_unlock(hashtext($1))", f"{pg_schema.name}.bars_y2024m02"
            )
            return await ingest
        finally:
            await blocker.close()

    report = asyncio.run(scenario())
    assert (report.retries, report.committed, report.rows_inserted) == (1, [1, 2], len(BARS))
    assert asyncio.run(_stored(pg_schema.dsn, pg_schema.name)) == (
        len(BARS),
        len(BARS),
        [JANUARY, len(BARS) - JANUARY],
    )
    rerun = asyncio.run(_ingest(pg_schema.dsn, pg_schema.name))
    assert (rerun.batches_skipped, rerun.rows_inserted) == (2, 0)


@pytest.mark.slow
def test_server_restarted_mid_batch() -> None:
    """A real restart of an embedded server: connections refused for a while, then back."""
    with embedded_pg_dir() as data_dir:
        _restart_mid_batch(data_dir)


def _restart_mid_batch(tmp_path: Path) -> None:
    server = EmbeddedPostgres()
    dsn = server.start(tmp_path).url
    try:
        asyncio.run(apply_migrations(dsn, schema="restart"))

        async def scenario() -> IngestReport:
            blocker = await _block_february(dsn, "restart")
            ingest = asyncio.create_task(_ingest(dsn, "restart"))
            await _blocked_ingester_pid(blocker, "restart")
            await asyncio.to_thread(server.stop, tmp_path)  # fast shutdown ends every session
            blocker.terminate()
            await asyncio.sleep(0.3)  # the ingester now meets refused connections
            await asyncio.to_thread(server.start, tmp_path)
            return await ingest

        report = asyncio.run(scenario())
        assert report.retries >= 2
        assert report.committed == [1, 2]
        assert asyncio.run(_stored(dsn, "restart")) == (
            len(BARS),
            len(BARS),
            [JANUARY, len(BARS) - JANUARY],
        )
    finally:
        server.stop(tmp_path)


def test_unreachable_server_gives_up_with_a_clear_message(pg_schema: PgSchema) -> None:
    dead = "postgresql://postgres@127.0.0.1:9/test"  # port 9 (discard): nothing listens there
    retry = RetryPolicy(attempts=2, first_delay_s=0.01)
    with pytest.raises(IngestFailedError) as caught:
        asyncio.run(_ingest(dead, pg_schema.name, retry))
    message = str(caught.value)
    assert message.startswith(f"<frame>: gave up on batch 1 (rows 1-{JANUARY}) after 2 attempts: ")
    assert message.endswith(
        "no batch committed; re-run the ingest to resume (committed batches are skipped)"
    )


def test_a_concurrent_writer_inside_the_range_falls_back_to_the_conflict_safe_path(
    pg_schema: PgSchema,
) -> None:
    """Between our emptiness check and our COPY another writer stored one of our rows: the
    direct COPY fails at its savepoint and the batch still commits through ON CONFLICT."""
    target = Target("bars", {"instrument": "EURUSD", "timeframe": "1h"}, BAR_COLUMNS)
    checked = BARS.iloc[:100]
    values = {name: checked[name].to_numpy() for name in ("open", "high", "low", "close", "volume")}
    [batch] = make_batches(
        target, pd.DatetimeIndex(checked.index).asi8 // 1000, values, batch_rows=100
    )

    async def scenario() -> tuple[int | None, int, int]:
        conn = await _open(pg_schema.dsn, pg_schema.name, target)
        try:
            async with conn.transaction():
                await conn.execute(
                    "SELECT ensure_market_partitions('bars', '2024-01-01', '2024-01-05')"
                )
                await conn.execute(
                    "INSERT INTO bars VALUES ('EURUSD', '1h', $1, 1, 1, 1, 1, 0)", checked.index[50]
                )
                direct = await _copy_direct(conn, target, batch)
                staged = await _copy_via_stage(conn, target, batch)
            return direct, staged, int(await conn.fetchval("SELECT count(*) FROM bars"))
        finally:
            await conn.close()

    assert asyncio.run(scenario()) == (None, 99, 100)


def test_two_ingesters_racing_on_the_same_file_commit_each_batch_once(pg_schema: PgSchema) -> None:
    async def race() -> list[IngestReport]:
        return list(
            await asyncio.gather(*(_ingest(pg_schema.dsn, pg_schema.name) for _ in range(2)))
        )

    reports = asyncio.run(race())
    assert sum(r.rows_inserted for r in reports) == len(BARS)
    assert sorted(n for r in reports for n in r.committed) == [1, 2]  # each batch by exactly one
    assert sum(r.batches_skipped for r in reports) == 2
    assert asyncio.run(_stored(pg_schema.dsn, pg_schema.name)) == (
        len(BARS),
        len(BARS),
        [JANUARY, len(BARS) - JANUARY],
    )
