"""PostgreSQL: schema-pinned asyncpg connections and the forward-only migrations."""

from live.db.connection import (
    DEFAULT_SCHEMA,
    DbConfigError,
    app_role,
    check_dsn,
    connect,
    create_pool,
    drop_schema,
)
from live.db.migrate import MigrationError, apply_migrations, load_migrations

__all__ = [
    "DEFAULT_SCHEMA",
    "DbConfigError",
    "MigrationError",
    "app_role",
    "apply_migrations",
    "check_dsn",
    "connect",
    "create_pool",
    "drop_schema",
    "load_migrations",
]
