"""asyncpg connections and pools pinned to one schema (tests use one schema each)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import asyncpg

DEFAULT_SCHEMA = "gauntlet"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,57}$")  # leaves room for the "_app" role suffix


class DbConfigError(ValueError):
    """A schema name or DSN we refuse to use."""


def check_schema(schema: str) -> str:
    """Schema names are interpolated into DDL (they cannot be bind parameters), so only plain ones."""
    if not _SCHEMA_NAME.match(schema):
        raise DbConfigError(
            f"schema name {schema!r}: use lower-case letters, digits and _ (max 58 chars)"
        )
    return schema


POSTGRES_SCHEMES = ("postgresql", "postgres")  # the two asyncpg accepts


def check_dsn(dsn: str) -> str:
    """A URL asyncpg can connect to, refused before connecting otherwise. The message never
    quotes the URL: it may carry a password."""
    try:
        parts = urlsplit(dsn.strip())
    except ValueError:  # "Invalid IPv6 URL": an unclosed [ around the host
        raise DbConfigError(
            "not a URL (a bracket of its host is not closed); expected "
            "postgresql://user@host:port/database"
        ) from None
    if parts.scheme not in POSTGRES_SCHEMES:
        scheme = f" (scheme {parts.scheme})" if parts.scheme else ""
        raise DbConfigError(
            f"not a PostgreSQL URL{scheme}; expected postgresql://user@host:port/database"
        )
    if "," not in parts.netloc:  # a multi-host DSN (h1:5432,h2:5432) has one port per host
        try:
            parts.port  # noqa: B018 -- reading it is the check: a non-number raises here
        except ValueError:
            raise DbConfigError(
                "the port is not a number from 1 to 65535; expected postgresql://user@host:port/database"
            ) from None
    return dsn


def _settings(schema: str, read_only: bool, application_name: str = "gauntlet") -> dict[str, str]:
    settings = {
        "search_path": check_schema(schema),
        "timezone": "UTC",
        "application_name": application_name,
    }
    if read_only:
        settings["default_transaction_read_only"] = "on"
    return settings


async def connect(
    dsn: str,
    *,
    schema: str = DEFAULT_SCHEMA,
    read_only: bool = False,
    application_name: str = "gauntlet",
    timeout: float = 10,
) -> asyncpg.Connection:
    """One connection whose unqualified names resolve in `schema`, session time zone UTC."""
    settings = _settings(schema, read_only, application_name)
    return await asyncpg.connect(dsn, server_settings=settings, timeout=timeout)


async def create_pool(
    dsn: str, *, schema: str = DEFAULT_SCHEMA, min_size: int = 1, max_size: int = 10
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, server_settings=_settings(schema, False), min_size=min_size, max_size=max_size
    )
    assert pool is not None  # create_pool only returns None when awaited without init; we await it
    return pool


def app_role(schema: str) -> str:
    """The NOLOGIN role holding the application's grants in `schema` (see 0002_audit_log.sql)."""
    return f"{check_schema(schema)}_app"


async def drop_schema(dsn: str, schema: str) -> None:
    """Remove a schema and its application role (roles are cluster-wide, so they must go too)."""
    conn = await asyncpg.connect(dsn)
    try:
        role = app_role(schema)
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
            await conn.execute(f'DROP OWNED BY "{role}"')
            await conn.execute(f'DROP ROLE "{role}"')
    finally:
        await conn.close()
