"""Forward-only, versioned SQL migrations (live/db/migrations/NNNN_name.sql).

Each applied file is recorded in <schema>.schema_migrations with its SHA-256. Applying is
idempotent (applied versions are skipped), refuses a file edited after it was applied (the fix is
a new migration, never a rewrite), and is safe to run from several processes at once: a
session-level advisory lock per schema queues concurrent runners. Each migration runs in its own
transaction, so a failing file leaves the schema at the previous version.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from live.db.connection import DEFAULT_SCHEMA, check_schema, connect

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


class MigrationError(ValueError):
    """The migration files and the database disagree in a way we must not paper over."""


@dataclass(frozen=True)
class Migration:
    version: int
    path: Path
    sql: str
    checksum: str


def load_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; versions must run 1, 2, 3 ... without gaps."""
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: migration files are named NNNN_lower_case_name.sql")
        raw = path.read_bytes()
        found.append(Migration(int(match[1]), path, raw.decode(), hashlib.sha256(raw).hexdigest()))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"{migration.path}: expected version {expected:04d} (no gaps or duplicates)"
            )
    return found


async def apply_migrations(
    dsn: str, *, schema: str = DEFAULT_SCHEMA, folder: Path = MIGRATIONS_DIR
) -> list[int]:
    """Bring `schema` (created if missing) up to date; returns the versions applied by this call."""
    migrations = load_migrations(folder)
    conn = await connect(dsn, schema=check_schema(schema))
    lock_key = f"gauntlet.migrate.{schema}"
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", lock_key)
        try:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(_LEDGER)
            pending = await _pending(conn, schema, migrations)
            for migration in pending:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        migration.version,
                        migration.path.name,
                        migration.checksum,
                    )
            return [migration.version for migration in pending]
        finally:
            if not conn.is_closed():  # a dead session has released its locks already
                await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", lock_key)
    finally:
        await conn.close()


async def _pending(
    conn: asyncpg.Connection, schema: str, migrations: list[Migration]
) -> list[Migration]:
    applied = {
        row["version"]: row
        for row in await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
    }
    known = {migration.version for migration in migrations}
    for version, row in sorted(applied.items()):
        if version not in known:
            raise MigrationError(
                f"schema {schema} has migration {version:04d} ({row['name']}) that this code does not "
                "have; it was applied by newer code"
            )
    for migration in migrations:
        row = applied.get(migration.version)
        if row is not None and row["checksum"] != migration.checksum:
            raise MigrationError(
                f"{migration.path} was edited after it was applied to schema {schema}; "
                "migrations are forward-only: revert the edit and add a new migration"
            )
    return [migration for migration in migrations if migration.version not in applied]
