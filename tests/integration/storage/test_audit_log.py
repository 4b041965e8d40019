"""The audit log is append-only: no grant for UPDATE/DELETE, and a trigger for everybody else."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from live.db import app_role, connect
from tests.fixtures.pg import PgSchema

pytestmark = pytest.mark.services

INSERT = "INSERT INTO audit_log (actor, action, subject, details) VALUES ('risk', 'limit', 'EURUSD', $1::jsonb)"


async def _as_app_role(schema: PgSchema, statement: str) -> None:
    conn = await connect(schema.dsn, schema=schema.name)
    try:
        await conn.execute(INSERT, json.dumps({"max_lots": 2}))
        await conn.execute(f'SET ROLE "{app_role(schema.name)}"')
        await conn.execute(statement)
    finally:
        await conn.close()


def test_app_role_can_insert_and_read(pg_schema: PgSchema) -> None:
    async def scenario() -> list[str]:
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        try:
            await conn.execute(f'SET ROLE "{app_role(pg_schema.name)}"')
            await conn.execute(INSERT, json.dumps({"max_lots": 3}))
            return [row["action"] for row in await conn.fetch("SELECT action FROM audit_log")]
        finally:
            await conn.close()

    assert asyncio.run(scenario()) == ["limit"]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log", "TRUNCATE audit_log",
     "UPDATE promotion_records SET decided_by = 'x'", "DELETE FROM promotion_records"],
)  # fmt: skip
def test_app_role_cannot_rewrite_history(pg_schema: PgSchema, statement: str) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
        asyncio.run(_as_app_role(pg_schema, statement))


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"]
)
def test_trigger_stops_even_the_owner(pg_schema: PgSchema, statement: str) -> None:
    async def as_owner() -> int:
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        try:
            await conn.execute(INSERT, "{}")
            with pytest.raises(
                asyncpg.InsufficientPrivilegeError, match="audit_log is append-only"
            ):
                await conn.execute(statement)
            return int(await conn.fetchval("SELECT count(*) FROM audit_log"))
        finally:
            await conn.close()

    assert asyncio.run(as_owner()) == 1
