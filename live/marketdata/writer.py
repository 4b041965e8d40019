"""Batched, idempotent COPY ingestion of checked bars and ticks.

One batch = one transaction:
  1. claim the batch id in ingest_batches (a hash of the batch's content; if it is already there,
     an earlier run committed this exact batch and we skip it: no batch is ever committed twice,
     even when a connection died after the server committed but before we heard back);
  2. create the month partitions the batch needs;
  3. new ground (no stored row of this instrument in the batch's time range, the usual case):
     binary COPY straight into the table, inside a savepoint;
     otherwise, or when a concurrent writer got there first (unique violation at the savepoint):
     COPY into a session temp table, then INSERT ... SELECT ... ON CONFLICT DO NOTHING, so rows
     ingested before by a differently cut batch add nothing.
The direct COPY skips a second pass over the rows; it made ingestion about 1.5x faster here.
A dropped connection rolls the open transaction back on the server; we reconnect with
exponential backoff and redo that batch from step 1.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import numpy as np

from live.db.connection import DEFAULT_SCHEMA, connect
from live.marketdata import pgcopy
from live.marketdata.errors import IngestFailedError

log = logging.getLogger(__name__)
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ROWS_INSERTED = "SELECT rows_inserted FROM ingest_batches WHERE batch_id = $1"

# Errors after which the server has (or may have) dropped our session: worth a reconnect.
RETRYABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, pg_terminate_backend, restart
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,  # retried only when the connection is closed (see _connection_lost)
)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    first_delay_s: float = 0.2
    max_delay_s: float = 5.0

    def delay(self, attempt: int) -> float:
        return min(self.first_delay_s * 2.0**attempt, self.max_delay_s)


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class Target:
    """Where rows go: the table, its constant key columns and the per-row columns we COPY."""

    table: str  # "bars" | "ticks"
    keys: dict[str, str]  # text columns constant over an ingest, e.g. instrument, timeframe
    columns: tuple[tuple[str, str], ...]  # (name, pg type) per row, "ts" first

    @property
    def stage(self) -> str:
        return f"stage_{self.table}"

    @property
    def names(self) -> list[str]:
        return [*self.keys, *(name for name, _ in self.columns)]


@dataclass(frozen=True)
class Batch:
    number: int  # 1-based, in source order
    first_row: int  # 0-based index into the source
    unix_us: np.ndarray
    payload: bytes
    batch_id: str


@dataclass
class IngestReport:
    source: str
    rows: int = 0
    batches: int = 0
    batches_skipped: int = 0  # committed by an earlier run
    rows_inserted: int = 0
    retries: int = 0
    committed: list[int] = field(default_factory=list)

    @property
    def rows_already_present(self) -> int:
        return self.rows - self.rows_inserted


def make_batches(
    target: Target, unix_us: np.ndarray, values: dict[str, np.ndarray], batch_rows: int
) -> Iterator[Batch]:
    for number, start in enumerate(range(0, len(unix_us), batch_rows), start=1):
        stop = start + batch_rows
        ts = unix_us[start:stop]
        columns: list[tuple[str, np.ndarray | str]] = [
            ("text", key) for key in target.keys.values()
        ]
        columns.append(("timestamptz", pgcopy.unix_us_to_pg(ts)))
        columns += [(pg_type, values[name][start:stop]) for name, pg_type in target.columns[1:]]
        payload = pgcopy.encode(len(ts), columns)
        digest = hashlib.sha256(target.table.encode())
        digest.update(payload)  # the payload carries the key columns too
        yield Batch(number, start, ts, payload, digest.hexdigest())


async def write_batches(
    dsn: str, target: Target, batches: Iterator[Batch], *, source: str, rows: int,
    schema: str = DEFAULT_SCHEMA, retry: RetryPolicy = DEFAULT_RETRY,
) -> IngestReport:  # fmt: skip
    report = IngestReport(source, rows=rows)
    conn: asyncpg.Connection | None = None
    try:
        async for batch in _encoded_ahead(batches):
            report.batches += 1
            attempt = 0
            while True:
                try:
                    if conn is None or conn.is_closed():
                        conn = await _open(dsn, schema, target)
                    inserted = await _write_one(conn, target, batch, retrying=attempt > 0)
                    break
                except RETRYABLE as exc:
                    if not _connection_lost(exc, conn):
                        raise
                    await _discard(conn)
                    conn = None
                    if attempt + 1 >= retry.attempts:
                        raise IngestFailedError(_gave_up(report, batch, retry, exc)) from exc
                    log.warning(
                        "ingest %s batch %d: %s; retrying", source, batch.number, type(exc).__name__
                    )
                    await asyncio.sleep(retry.delay(attempt))
                    attempt += 1
                    report.retries += 1
            if inserted is None:
                report.batches_skipped += 1
            else:
                report.rows_inserted += inserted
                report.committed.append(batch.number)
    finally:
        await _discard(conn)
    return report


def _connection_lost(exc: BaseException, conn: asyncpg.Connection | None) -> bool:
    """InterfaceError also means client misuse; it is a lost connection only if the socket is gone
    (e.g. "cannot call Transaction.__aexit__(): the underlying connection is closed")."""
    if isinstance(exc, asyncpg.exceptions.ClientConfigurationError):
        return False  # a bad DSN option (sslmode=bogus) stays bad: retrying only delays the error
    if isinstance(exc, asyncpg.InterfaceError):
        return conn is None or conn.is_closed()
    return True


async def _encoded_ahead(batches: Iterator[Batch]) -> AsyncIterator[Batch]:
    """Encode batch n+1 on a worker thread while the server writes batch n (numpy and hashlib
    release the GIL), so client and server work overlap instead of taking turns."""
    upcoming = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
    try:
        while (batch := await upcoming) is not None:
            upcoming = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
            yield batch
    finally:
        upcoming.cancel()


async def _open(dsn: str, schema: str, target: Target) -> asyncpg.Connection:
    conn = await connect(dsn, schema=schema, application_name=f"gauntlet-ingest:{schema}")
    # Temp table per session, emptied at each commit: no per-batch CREATE/DROP catalog churn.
    await conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {target.stage} (LIKE {target.table}) ON COMMIT DELETE ROWS"
    )
    return conn


async def _discard(conn: asyncpg.Connection | None) -> None:
    if conn is not None and not conn.is_closed():
        conn.terminate()  # close() would wait on a server that may be gone


async def _write_one(
    conn: asyncpg.Connection, target: Target, batch: Batch, *, retrying: bool
) -> int | None:
    """Rows inserted by this batch, or None when an earlier run already committed it."""
    first, last = _utc(batch.unix_us.min()), _utc(batch.unix_us.max())
    async with conn.transaction():
        claimed = await conn.fetchval(
            """INSERT INTO ingest_batches (batch_id, target, instrument, first_ts, last_ts, row_count, rows_inserted)
               VALUES ($1, $2, $3, $4, $5, $6, 0) ON CONFLICT (batch_id) DO NOTHING RETURNING 1""",
            batch.batch_id, target.table, target.keys["instrument"], first, last, len(batch.unix_us),
        )  # fmt: skip
        if claimed is None and retrying:
            # Our previous attempt lost its connection around COMMIT, and the COMMIT went through.
            return int(await conn.fetchval(_ROWS_INSERTED, batch.batch_id))
        if claimed is None:
            return None
        await conn.execute("SELECT ensure_market_partitions($1, $2, $3)", target.table, first, last)
        inserted = None
        if await _range_is_empty(conn, target, first, last):
            inserted = await _copy_direct(conn, target, batch)
        if inserted is None:
            inserted = await _copy_via_stage(conn, target, batch)
        await conn.execute(
            "UPDATE ingest_batches SET rows_inserted = $2 WHERE batch_id = $1",
            batch.batch_id,
            inserted,
        )
    return inserted


async def _range_is_empty(
    conn: asyncpg.Connection, target: Target, first: datetime, last: datetime
) -> bool:
    keys = " AND ".join(f"{name} = ${i}" for i, name in enumerate(target.keys, start=3))
    query = f"SELECT NOT EXISTS (SELECT FROM {target.table} WHERE ts BETWEEN $1 AND $2 AND {keys})"
    return bool(await conn.fetchval(query, first, last, *target.keys.values()))


async def _copy_direct(conn: asyncpg.Connection, target: Target, batch: Batch) -> int | None:
    """COPY into the table itself; None when a concurrent writer filled part of the range first."""
    try:
        async with conn.transaction():  # a savepoint: a unique violation undoes only this COPY
            await conn.copy_to_table(
                target.table,
                source=io.BytesIO(batch.payload),
                columns=target.names,
                format="binary",
            )
    except asyncpg.UniqueViolationError:
        return None
    return len(batch.unix_us)


async def _copy_via_stage(conn: asyncpg.Connection, target: Target, batch: Batch) -> int:
    await conn.copy_to_table(
        target.stage, source=io.BytesIO(batch.payload), columns=target.names, format="binary"
    )
    names = ", ".join(target.names)
    status = await conn.execute(
        f"INSERT INTO {target.table} ({names}) SELECT {names} FROM {target.stage} ON CONFLICT DO NOTHING"
    )
    return int(status.split()[-1])  # "INSERT 0 <n>"


def _utc(unix_us: np.integer) -> datetime:
    return _UNIX_EPOCH + timedelta(microseconds=int(unix_us))


def _gave_up(report: IngestReport, batch: Batch, retry: RetryPolicy, exc: BaseException) -> str:
    done = (
        f"batches {report.committed[0]}-{report.committed[-1]} committed"
        if report.committed
        else "no batch committed"
    )
    return (
        f"{report.source}: gave up on batch {batch.number} (rows {batch.first_row + 1}-"
        f"{batch.first_row + len(batch.unix_us)}) after {retry.attempts} attempts: {type(exc).__name__}: "
        f"{exc}; {done}; re-run the ingest to resume (committed batches are skipped)"
    )
