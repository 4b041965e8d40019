"""`PostgresMirror`: a NautilusTrader event sink that copies orders, fills, positions, account
snapshots and the order audit trail to PostgreSQL without ever making the node wait on it.

`handle(event)` runs on the node's event loop thread: it maps the event to rows (rows.py,
reading the node's cache) and appends them to an in-memory queue; nothing there touches the
network. A dedicated writer thread with its own asyncio loop and one asyncpg connection drains
the queue in order, in batches of one transaction each.

PostgreSQL down or restarted: the batch stays at the head of the queue and the writer
reconnects with a bounded exponential backoff (50 ms doubling to `max_backoff`), then writes
it; new rows queue behind it meanwhile, so nothing is lost or reordered (up to `max_pending`
rows queued and in flight: below). The same holds for a schema not migrated yet or a missing
grant: the rows wait until it is fixed. A batch that PostgreSQL refuses for its data (a CHECK
or foreign-key violation: `is_row_fault`) is retried one row at a time; the refused rows are
logged, counted in `failed` and dropped, so one bad row cannot hold back the rows behind it.

Past `max_pending` (PostgreSQL down for long on a busy node) the queue stops growing: an event
whose rows would not fit is not queued, and neither is any event after it; each is counted in
`overflowed`, and `behind` says the tables now miss changes the node's cache holds. Nothing
queued before is dropped, so the tables stay a consistent past state (a prefix of the
events: no fill without its order row). Once PostgreSQL is back and the queue is
written, the next event (or `catch_up()`) runs `resync` on the node's thread: the rows of the
whole cache are queued, which writes every change the overflow left out (the statements are
idempotent), and events are queued again. That resync is the one burst past the bound: its
rows and those queued before it are not counted (as many as the cache holds, which is in
memory anyway), and it costs the node's thread the mapping of every cached event once (about
50 us each). Audit rows rebuilt this way carry the order's terms at the resync, not right
after their event (the event itself is exact).

Process death with rows queued: those rows are lost from the mirror, not from the venue nor
from NautilusTrader's cache (its Redis database when configured). Every statement is
idempotent (sql.py: orders upserted by client order id, fills keyed by the venue's trade id,
positions upserted, snapshots keyed by (account, taken_at, currency), audit rows by event
id), so writing the same events again converges instead of duplicating. Reconciliation at
the next start re-emits only what changed at the venue while the node was down
(NautilusTrader's choice): an order the persisted cache already holds as filled is not
re-emitted, so its lost rows would stay lost. `resync(cache)` after the start closes that
gap: it queues the rows of every order event, position and account state in the cache, and
the idempotent keys make what was written already a no-op. With an in-memory cache the
previous run's orders are gone from the node too; then only the venue's reconciliation (open
orders, positions) is replayed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass

import asyncpg

from live.db import connect
from live.mirror.rows import CacheContents, Row, RowMapper
from live.mirror.sql import write_rows

log = logging.getLogger(__name__)

# The node's message bus topics the mirror is meant for (NautilusTrader's wildcards).
TOPICS = ("events.order.*", "events.position.*", "events.account.*")
FIRST_BACKOFF_S = 0.05


@dataclass(frozen=True)
class MirrorStats:
    """What the live status shows about the mirror."""

    written: int  # rows committed (a replayed row counts, though it changed nothing)
    pending: int  # rows queued or being written
    retries: int  # attempts that failed, not for the rows' data, and were retried
    failed: int  # rows PostgreSQL refused for their data: logged and dropped
    skipped: int  # events (or parts of them) with no row: see rows.py
    overflowed: int  # events not queued because `max_pending` rows were pending
    behind: bool  # the tables miss what overflowed, until the catch-up resync queues it
    connected: bool
    last_error: str | None


def is_row_fault(exc: BaseException) -> bool:
    """PostgreSQL refused the rows' values (data exception, class 22; integrity constraint,
    class 23), or asyncpg could not encode them (ValueError/TypeError): writing the same rows
    again cannot help. Anything else (the connection, a server shutting down or starting, a
    schema not migrated yet, a missing grant) is the deployment's fault, not the rows': the
    rows are kept and retried."""
    return isinstance(
        exc,
        asyncpg.DataError | asyncpg.IntegrityConstraintViolationError | ValueError | TypeError,
    )


class PostgresMirror:
    """An event sink (`Callable[[Any], None]`) for the node's order, position and account
    topics. `lookups` is the node's cache (instruments and orders read while mapping, the
    whole of it at a catch-up), given here or, when the mirror is made before the node, with
    `bind`; `actor` names who runs the node in the audit log (audit.py says when it is used);
    `max_pending` bounds the rows held while PostgreSQL cannot take them (module docstring)."""

    def __init__(
        self,
        dsn: str,
        schema: str,
        *,
        lookups: CacheContents | None = None,
        actor: str = "node",
        batch_size: int = 500,
        max_pending: int = 100_000,
        max_backoff: float = 2.0,
        statement_timeout: float = 10.0,
    ) -> None:
        self._dsn, self._schema = dsn, schema
        self._actor = actor
        self._cache = lookups
        self._mapper = None if lookups is None else RowMapper(lookups, actor)
        self._batch_size = batch_size
        self._max_pending = max_pending
        self._max_backoff = max_backoff
        self._statement_timeout = statement_timeout
        self._cond = threading.Condition()
        self._queue: deque[Row] = deque()
        self._inflight: list[Row] = []
        self._stopping = False
        self._deadline: float | None = None
        self._conn: asyncpg.Connection | None = None
        self._thread: threading.Thread | None = None
        self._written = self._retries = self._failed = self._skipped = self._overflowed = 0
        self._behind = False
        self._exempt = 0  # the first pending rows, which max_pending does not count: resync
        self._last_error: str | None = None

    # -- the node's side: never blocks on PostgreSQL ------------------------------------

    def __call__(self, event: object) -> None:
        self.handle(event)

    def bind(self, lookups: CacheContents) -> None:
        """Read from `lookups` (the node's cache) from now on."""
        self._cache = lookups
        self._mapper = RowMapper(lookups, self._actor)

    def handle(self, event: object) -> None:
        self.catch_up()  # before mapping: the catch-up's fresh mapper re-emits lost instruments
        mapper = self._mapper
        if mapper is None:
            with self._cond:
                self._skipped += 1
                self._last_error = "not bound to a node's cache: call bind(node.kernel.cache)"
            return
        with self._cond:
            if self._behind:  # nothing queued until the catch-up: see the module docstring
                self._overflowed += 1
                return
        try:
            mapped = mapper.rows(event)
        except Exception as exc:  # any: raised here it would unwind into NautilusTrader's bus
            log.exception("mirror: cannot map %s", type(event).__name__)
            with self._cond:
                self._skipped += 1
                self._last_error = f"mapping {type(event).__name__}: {exc}"
            return
        if mapped.skipped is not None:
            log.debug("mirror: %s", mapped.skipped)
        with self._cond:
            self._skipped += mapped.skipped is not None
            held = self._pending() - self._exempt
            # No rows held takes any event: so an overflow always leaves rows for the writer,
            # and the queue running empty afterwards means PostgreSQL took them (catch_up).
            if held and held + len(mapped.rows) > self._max_pending:
                self._overflow()
                return
            self._queue.extend(mapped.rows)
            self._cond.notify_all()

    def catch_up(self) -> int:
        """Once an overflow's queue is written, `resync` from the bound cache, on the node's
        thread (handle does it at the next event; a node that may stay idle can call it on a
        timer). Returns the rows queued; 0 when there is nothing to catch up yet."""
        with self._cond:  # the queue empty again after an overflow: PostgreSQL is back
            due = self._behind and not self._pending()
        if not due or self._cache is None:
            return 0
        began = time.perf_counter()
        try:
            queued = self.resync(self._cache)
        except Exception as exc:  # any: raised here it would unwind into NautilusTrader's bus
            log.exception("mirror: catch-up resync failed; retried at the next event")
            with self._cond:
                self._last_error = f"catch-up resync: {exc}"
            return 0
        log.warning("mirror: caught up after an overflow: %d rows queued from the cache in "
                    "%.3f s", queued, time.perf_counter() - began)  # fmt: skip
        return queued

    def resync(self, cache: CacheContents) -> int:
        """Queue the rows of everything in the node's cache (rows.py `cache_rows`); call it
        once the node has started (its cache loaded and reconciled), on the node's thread.
        Returns the number of rows queued. Costs the mapping of every cached event (tens of
        microseconds each) on that thread, once. Its rows, and those queued before it, do not
        count towards `max_pending` (the cache bounds them), and it ends an overflow: events
        are queued again from here on, up to `max_pending` rows of their own."""
        # A fresh mapper: the old one may remember instruments whose rows an overflow dropped.
        mapper = RowMapper(cache, self._actor)
        self._cache, self._mapper = cache, mapper
        mapped = mapper.cache_rows(cache, time.time_ns())
        with self._cond:
            self._behind = False
            for one in mapped:
                self._queue.extend(one.rows)
            self._exempt = self._pending()  # the rows in flight and queued, up to here
            self._cond.notify_all()
        return sum(len(one.rows) for one in mapped)

    def _pending(self) -> int:
        return len(self._queue) + len(self._inflight)

    def _overflow(self) -> None:
        """Under the lock: the event being handled does not fit in `max_pending`."""
        self._overflowed += 1
        if not self._behind:
            self._behind = True
            log.error("mirror: %d rows pending (PostgreSQL: %s); events are no longer queued "
                      "until it is back and a resync catches up", self._max_pending,
                      self._last_error)  # fmt: skip
            self._last_error = f"overflow: {self._max_pending} rows pending; behind the cache"

    def stats(self) -> MirrorStats:
        with self._cond:
            return MirrorStats(
                written=self._written,
                pending=self._pending(),
                retries=self._retries,
                failed=self._failed,
                skipped=self._skipped,
                overflowed=self._overflowed,
                behind=self._behind,
                connected=self._conn is not None and not self._conn.is_closed(),
                last_error=self._last_error,
            )

    def status(self) -> dict[str, object]:
        """`stats()` as JSON-ready fields (the live session's status.json)."""
        return asdict(self.stats())

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the mirror is started already")
        self._thread = threading.Thread(target=self._run, name="postgres-mirror", daemon=True)
        self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """Until everything queued so far is written (or refused); False after `timeout`."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._inflight, timeout)

    def stop(self, timeout: float = 10.0) -> MirrorStats:
        """Write what is queued (giving up after `timeout` seconds), then close."""
        with self._cond:
            self._stopping = True
            self._deadline = time.monotonic() + timeout
            self._cond.notify_all()
        if self._thread is not None:
            # A connection attempt or statement in flight at the deadline finishes first.
            self._thread.join(timeout + self._statement_timeout + 1)
        stats = self.stats()
        if stats.pending:
            log.warning("mirror: stopped with %d rows not written (%s)", stats.pending,
                        stats.last_error)  # fmt: skip
        if stats.behind:
            log.warning("mirror: stopped behind the cache (%d events not queued): the next "
                        "run's resync rebuilds them", stats.overflowed)  # fmt: skip
        return stats

    # -- the writer thread --------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            while batch := self._next_batch():
                if not loop.run_until_complete(self._write(batch)):
                    break  # the stop deadline passed with PostgreSQL unreachable
        finally:
            loop.run_until_complete(self._disconnect())
            loop.close()

    def _next_batch(self) -> list[Row]:
        """The next rows to write, moved to `_inflight`; [] once stopping with nothing left."""
        with self._cond:
            self._release(len(self._inflight))
            self._inflight = []
            self._cond.notify_all()  # wait_idle: the previous batch is done
            self._cond.wait_for(lambda: self._queue or self._stopping)
            count = min(len(self._queue), self._batch_size)
            self._inflight = [self._queue.popleft() for _ in range(count)]
            return self._inflight

    def _release(self, count: int) -> None:
        """Under the lock: `count` rows at the head of the pending ones are done."""
        self._exempt = max(0, self._exempt - count)

    async def _write(self, batch: list[Row]) -> bool:
        """True once `batch` is written (or its refused rows dropped); False when the stop
        deadline passes first."""
        delay = FIRST_BACKOFF_S
        while True:
            try:
                conn = await self._connection()
                try:
                    await self._commit(conn, batch)
                except Exception as exc:  # any: sorted below, the rows' fault or not
                    if not is_row_fault(exc):
                        raise
                    await self._write_singly(conn, batch)
                return True
            except Exception as exc:  # any: not the rows' fault, so retried with them kept
                await self._lost(exc)
                if not await self._backoff(delay):
                    return False
                delay = min(delay * 2, self._max_backoff)

    async def _write_singly(self, conn: asyncpg.Connection, batch: list[Row]) -> None:
        """One transaction per row; rows PostgreSQL refuses are dropped. Other errors
        propagate with the rows not yet written still in `batch`."""
        while batch:
            try:
                await self._commit(conn, batch[:1])
            except Exception as exc:  # any: the row's fault drops it, others are re-raised
                if not is_row_fault(exc):
                    raise
                log.error("mirror: PostgreSQL refused %r: %s", batch[0], exc)
                with self._cond:
                    self._failed += 1
                    self._last_error = f"refused {type(batch[0]).__name__}: {exc}"
            with self._cond:
                batch.pop(0)
                self._release(1)

    async def _commit(self, conn: asyncpg.Connection, rows: list[Row]) -> None:
        await asyncio.wait_for(write_rows(conn, rows), self._statement_timeout)
        with self._cond:
            self._written += len(rows)

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = None
            self._conn = await connect(
                self._dsn,
                schema=self._schema,
                application_name="gauntlet-mirror",
                timeout=self._statement_timeout,
            )
        return self._conn

    async def _lost(self, exc: BaseException) -> None:
        log.warning(
            "mirror: cannot write to PostgreSQL (%s: %s); retrying", type(exc).__name__, exc
        )
        with self._cond:
            self._retries += 1
            self._last_error = f"{type(exc).__name__}: {exc}"
        await self._disconnect()

    async def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()  # no goodbye round trip to a server that may be gone

    async def _backoff(self, delay: float) -> bool:
        with self._cond:
            deadline = self._deadline
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            delay = min(delay, left)
        await asyncio.sleep(delay)
        return True
