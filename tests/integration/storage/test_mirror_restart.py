"""PostgreSQL stopped and started again under a running mirror (an embedded server we own):
the node's side never waits, rows queue, and all of them land once the server is back. Then
a mirror that dies with rows queued, and the next run's resync from the node's cache."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from live.db import apply_migrations
from live.mirror import PostgresMirror
from live.stack.postgres import EmbeddedPostgres
from tests.fixtures.pg import embedded_pg_dir
from tests.integration.storage.test_mirror import cache_with_instrument, tables, trade

pytestmark = [pytest.mark.services, pytest.mark.slow]

SCHEMA = "mirror_restart"


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    with embedded_pg_dir() as folder:
        yield folder


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_rows_queued_while_postgres_is_down_are_written_when_it_is_back(pg_dir: Path) -> None:
    server = EmbeddedPostgres()
    try:
        dsn = server.start(pg_dir).url
        asyncio.run(apply_migrations(dsn, schema=SCHEMA))
        cache = cache_with_instrument()
        mirror = PostgresMirror(dsn, SCHEMA, lookups=cache, max_backoff=0.2)
        mirror.start()
        for event in trade(cache, 1):
            mirror(event)
        assert mirror.wait_idle(10)

        server.stop(pg_dir)
        events = trade(cache, 2)
        began = time.perf_counter()
        for event in events:
            mirror(event)
        handled = time.perf_counter() - began
        # The node's thread queued 8 events without waiting on PostgreSQL (a connection
        # attempt alone would take seconds to time out); generous for a loaded CI machine.
        assert handled < 0.5
        _until(lambda: mirror.stats().retries >= 2)
        down = mirror.stats()
        assert down.pending > 0
        assert not down.connected
        assert down.last_error is not None

        assert server.start(pg_dir).url == dsn  # same port: the writer's DSN still holds
        assert mirror.wait_idle(30)
        stats = mirror.stop(10)
        assert (stats.pending, stats.failed) == (0, 0)
        rows = asyncio.run(tables(dsn, SCHEMA))
        assert [f["fill_id"] for f in rows["fills"]] == ["T-1a", "T-1b", "T-2a", "T-2b"]
        assert [(o["client_order_id"], o["status"]) for o in rows["orders"]] == [
            ("O-1", "filled"), ("O-2", "filled")]  # fmt: skip
        assert len(rows["audit_log"]) == 10  # five actions per order, each once
        assert [p["quantity"] for p in rows["positions"]] == [Decimal(2_000)]

        # A mirror whose process "dies" with rows queued: stopped with the server down.
        server.stop(pg_dir)
        doomed = PostgresMirror(dsn, SCHEMA, lookups=cache, max_backoff=0.2)
        doomed.start()
        for event in trade(cache, 3):
            doomed(event)
        assert doomed.stop(0.5).pending > 0  # lost from the mirror, not from the cache
        # The next run resyncs from the cache (NautilusTrader's, persisted in Redis when
        # configured): the lost rows are written, everything else once, nothing twice.
        server.start(pg_dir)
        rerun = PostgresMirror(dsn, SCHEMA, lookups=cache)
        rerun.start()
        assert rerun.resync(cache) > 0
        assert rerun.stop(10).pending == 0
        after = asyncio.run(tables(dsn, SCHEMA))
        assert [f["fill_id"] for f in after["fills"]] == [
            "T-1a", "T-1b", "T-2a", "T-2b", "T-3a", "T-3b"]  # fmt: skip
        assert [(o["client_order_id"], o["status"]) for o in after["orders"]] == [
            ("O-1", "filled"), ("O-2", "filled"), ("O-3", "filled")]  # fmt: skip
        assert [p["quantity"] for p in after["positions"]] == [Decimal(3_000)]
        assert len(after["audit_log"]) == 15
        assert after["account_snapshots"] == rows["account_snapshots"]  # same state, same key
    finally:
        server.stop(pg_dir)


def test_past_max_pending_with_postgres_down_a_catch_up_writes_what_overflowed(
    pg_dir: Path,
) -> None:
    server = EmbeddedPostgres()
    try:
        dsn = server.start(pg_dir).url
        asyncio.run(apply_migrations(dsn, schema=SCHEMA))
        cache = cache_with_instrument()
        mirror = PostgresMirror(dsn, SCHEMA, lookups=cache, max_backoff=0.2, max_pending=6)
        mirror.start()
        for event in trade(cache, 1):
            mirror(event)
            assert mirror.wait_idle(10)  # written before the next: never more than 6 pending

        server.stop(pg_dir)
        for event in trade(cache, 2):
            mirror(event)
        down = mirror.stats()
        # O-2's first three events (2 rows each) are held; its first fill (3 rows) does not
        # fit, and neither does anything after it.
        assert (down.pending, down.overflowed, down.behind) == (6, 5, True)

        server.start(pg_dir)
        assert mirror.wait_idle(30)
        assert mirror.stats().behind  # the held rows are written; the overflowed ones are not
        assert mirror.catch_up() > 0  # an idle node's timer (or the node's next event)
        assert mirror.catch_up() == 0  # caught up: nothing more to do
        stats = mirror.stop(10)
        assert (stats.pending, stats.failed, stats.overflowed, stats.behind) == (0, 0, 5, False)
        rows = asyncio.run(tables(dsn, SCHEMA))
        assert [f["fill_id"] for f in rows["fills"]] == ["T-1a", "T-1b", "T-2a", "T-2b"]
        assert [(o["client_order_id"], o["status"]) for o in rows["orders"]] == [
            ("O-1", "filled"), ("O-2", "filled")]  # fmt: skip
        assert len(rows["audit_log"]) == 10  # five actions per order, each once
        assert [p["quantity"] for p in rows["positions"]] == [Decimal(2_000)]
    finally:
        server.stop(pg_dir)
