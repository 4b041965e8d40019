"""Forward-only migrations: idempotent, checksummed, safe to run concurrently."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from live.db import (
    MigrationError,
    apply_migrations,
    connect,
    create_pool,
    drop_schema,
    load_migrations,
)
from live.db.migrate import MIGRATIONS_DIR
from tests.fixtures.pg import PgSchema, unique_schema

pytestmark = pytest.mark.services


async def _ledger(dsn: str, schema: str) -> list[tuple[int, str]]:
    conn = await connect(dsn, schema=schema)
    try:
        rows = await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
    finally:
        await conn.close()
    return [(row["version"], row["name"]) for row in rows]


def test_applying_twice_is_a_no_op(pg_schema: PgSchema) -> None:
    expected = [(m.version, m.path.name) for m in load_migrations()]
    assert asyncio.run(apply_migrations(pg_schema.dsn, schema=pg_schema.name)) == []
    assert asyncio.run(_ledger(pg_schema.dsn, pg_schema.name)) == expected


def test_every_table_exists_and_pooled_sessions_see_the_schema(pg_schema: PgSchema) -> None:
    async def tables() -> set[str]:
        pool = await create_pool(pg_schema.dsn, schema=pg_schema.name, max_size=2)
        try:
            # Unqualified names: resolved through the pool's search_path, not by naming the schema.
            rows = await pool.fetch(
                "SELECT c.relname FROM pg_class c WHERE c.relkind IN ('r', 'p') "
                "AND c.relnamespace = current_schema()::regnamespace AND NOT c.relispartition"
            )
        finally:
            await pool.close()
        return {row[0] for row in rows}

    wanted = {"instruments", "bars", "ticks", "orders", "fills", "positions", "account_snapshots",
              "promotion_records", "audit_log", "component_status", "ingest_batches", "schema_migrations",
              "strategy_stages", "applied_messages"}  # fmt: skip
    assert asyncio.run(tables()) == wanted | {"market_data_storage"}


@pytest.fixture
def own_migrations(tmp_path: Path, pg_dsn: str) -> Iterator[tuple[Path, str]]:
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    schema = unique_schema()
    yield folder, schema
    asyncio.run(drop_schema(pg_dsn, schema))


def _next_version() -> int:
    """The version a new migration file gets: one past the last one shipped."""
    return len(load_migrations()) + 1


def test_an_edited_applied_migration_is_refused(
    pg_dsn: str, own_migrations: tuple[Path, str]
) -> None:
    folder, schema = own_migrations
    asyncio.run(apply_migrations(pg_dsn, schema=schema, folder=folder))
    edited = folder / "0001_core.sql"
    edited.write_text(edited.read_text() + "\n-- a harmless looking edit\n")
    with pytest.raises(MigrationError, match=r"0001_core\.sql was edited after it was applied"):
        asyncio.run(apply_migrations(pg_dsn, schema=schema, folder=folder))


def test_a_new_migration_is_applied_and_a_failing_one_leaves_the_schema_as_it_was(
    pg_dsn: str, own_migrations: tuple[Path, str]
) -> None:
    folder, schema = own_migrations
    asyncio.run(apply_migrations(pg_dsn, schema=schema, folder=folder))
    new = _next_version()
    (folder / f"{new:04d}_notes.sql").write_text("CREATE TABLE notes (id int PRIMARY KEY);")
    assert asyncio.run(apply_migrations(pg_dsn, schema=schema, folder=folder)) == [new]
    (folder / f"{new + 1:04d}_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nSELECT no_such_function();"
    )
    with pytest.raises(asyncpg.UndefinedFunctionError):
        asyncio.run(apply_migrations(pg_dsn, schema=schema, folder=folder))
    ledger = asyncio.run(_ledger(pg_dsn, schema))
    assert ledger[-1] == (new, f"{new:04d}_notes.sql")


def test_a_database_ahead_of_the_code_is_refused(
    pg_dsn: str, own_migrations: tuple[Path, str]
) -> None:
    folder, schema = own_migrations
    newer = folder / f"{_next_version():04d}_newer.sql"
    newer.write_text("SELECT 1;")
    asyncio.run(apply_migrations(pg_dsn, schema=schema, folder=folder))
    newer.unlink()
    with pytest.raises(MigrationError, match=rf"{_next_version():04d} .*applied by newer code"):
        asyncio.run(apply_migrations(pg_dsn, schema=schema, folder=folder))


def test_a_gap_in_versions_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"0003_c\.sql: expected version 0002"):
        load_migrations(tmp_path)


def test_concurrent_runners_apply_each_migration_once(pg_dsn: str) -> None:
    schema = unique_schema()

    async def race() -> list[list[int]]:
        return list(
            await asyncio.gather(*(apply_migrations(pg_dsn, schema=schema) for _ in range(3)))
        )

    try:
        results = asyncio.run(race())
        versions = [m.version for m in load_migrations()]
        assert sorted(v for applied in results for v in applied) == versions
        assert [v for v, _ in asyncio.run(_ledger(pg_dsn, schema))] == versions
    finally:
        asyncio.run(drop_schema(pg_dsn, schema))


# Every order type the live path can send, in the names the mirror writes (live/mirror/rows.py).
ORDER_TYPES = ("market", "limit", "stop", "stop_limit", "market_to_limit", "limit_if_touched",
               "market_if_touched", "trailing_stop_market", "trailing_stop_limit")  # fmt: skip
_ORDER = """INSERT INTO orders (client_order_id, strategy, instrument, side, order_type, quantity,
                               limit_price, trigger_price, time_in_force, status)
            VALUES ($1, 's', 'EURUSD', 'buy', $2, 1, 1.1, $3, $4, 'accepted')"""
_SNAPSHOT = """INSERT INTO account_snapshots (account, taken_at, currency, balance, equity)
               VALUES ('A-1', '2025-12-01T12:00:00Z', $1, $2, $2)"""


def test_0006_orders_take_every_order_type_a_trigger_and_a_time_in_force(
    pg_schema: PgSchema,
) -> None:
    async def scenario() -> list[tuple[str, object, str]]:
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        try:
            # As the application role: the columns 0006 adds are covered by 0002's table grants.
            await conn.execute(f'SET ROLE "{pg_schema.name}_app"')
            await conn.execute("INSERT INTO instruments VALUES ('EURUSD', 'sim', 'fx', 0.00001, 1)")
            for number, order_type in enumerate(ORDER_TYPES):
                await conn.execute(_ORDER, f"O-{number}", order_type, Decimal("1.09"), "gtd")
            with pytest.raises(asyncpg.CheckViolationError, match="orders_order_type_check"):
                await conn.execute(_ORDER, "O-bad", "iceberg", None, "gtc")
            with pytest.raises(asyncpg.CheckViolationError, match="time_in_force"):
                await conn.execute(_ORDER, "O-bad", "limit", None, "good_till_lunch")
            rows = await conn.fetch(
                "SELECT order_type, trigger_price, time_in_force FROM orders ORDER BY client_order_id"
            )
        finally:
            await conn.close()
        return [(r["order_type"], r["trigger_price"], r["time_in_force"]) for r in rows]

    assert asyncio.run(scenario()) == [(t, Decimal("1.09"), "gtd") for t in ORDER_TYPES]


def test_0006_keeps_one_account_snapshot_per_currency(pg_schema: PgSchema) -> None:
    async def scenario() -> list[tuple[str, Decimal]]:
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        try:
            await conn.execute(_SNAPSHOT, "USD", Decimal(100))
            await conn.execute(_SNAPSHOT, "EUR", Decimal(50))  # same account and moment
            with pytest.raises(asyncpg.UniqueViolationError):
                await conn.execute(_SNAPSHOT, "USD", Decimal(101))
            rows = await conn.fetch("SELECT currency, balance FROM account_snapshots ORDER BY 1")
        finally:
            await conn.close()
        return [(r["currency"], r["balance"]) for r in rows]

    assert asyncio.run(scenario()) == [("EUR", Decimal(50)), ("USD", Decimal(100))]


def test_0006_upgrades_a_schema_holding_rows_written_before_it(tmp_path: Path, pg_dsn: str) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for migration in load_migrations()[:5]:
        shutil.copy(migration.path, before)
    schema = unique_schema()

    async def scenario() -> tuple[list[int], list[tuple[object, ...]], list[tuple[object, ...]]]:
        await apply_migrations(pg_dsn, schema=schema, folder=before)
        conn = await connect(pg_dsn, schema=schema)
        try:
            await conn.execute("INSERT INTO instruments VALUES ('EURUSD', 'sim', 'fx', 0.00001, 1)")
            await conn.execute(
                "INSERT INTO orders (client_order_id, strategy, instrument, side, order_type, "
                "quantity, status) VALUES ('O-1', 's', 'EURUSD', 'sell', 'stop', 5, 'filled')"
            )
            await conn.execute(_SNAPSHOT, "USD", Decimal(100))
            applied = await apply_migrations(pg_dsn, schema=schema)
            await conn.execute(_SNAPSHOT, "EUR", Decimal(50))  # 0001 keyed on (account, taken_at)
            orders = await conn.fetch(
                "SELECT client_order_id, order_type, trigger_price, time_in_force FROM orders"
            )
            snapshots = await conn.fetch(
                "SELECT currency, balance FROM account_snapshots ORDER BY 1"
            )
        finally:
            await conn.close()
        return applied, [tuple(r) for r in orders], [tuple(r) for r in snapshots]

    try:
        applied, orders, snapshots = asyncio.run(scenario())
    finally:
        asyncio.run(drop_schema(pg_dsn, schema))
    assert applied == [6]
    assert orders == [("O-1", "stop", None, None)]  # kept; what 0001 did not record is NULL
    assert snapshots == [("EUR", Decimal(50)), ("USD", Decimal(100))]
