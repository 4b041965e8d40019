"""Helpers shared by the registry tests: example specs and direct reads of PostgreSQL and MLflow."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from mlflow.tracking import MlflowClient

from live.db import connect
from tests.fixtures.pg import PgSchema


def spec_for(name: str, fast: int = 10, code: str = "c0ffee") -> dict[str, Any]:
    return {
        "name": name,
        "strategy": "sma_cross",
        "params": {"fast": fast, "slow": 50},
        "instruments": ["EURUSD"],
        "code_version": code,
        "data_fingerprint": "f1ng3r",
    }


def fetch(schema: PgSchema, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Rows read on a fresh owner connection (what another session sees after COMMIT)."""

    async def query() -> list[asyncpg.Record]:
        conn = await connect(schema.dsn, schema=schema.name)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    return asyncio.run(query())


def execute(schema: PgSchema, sql: str) -> None:
    async def run() -> None:
        conn = await connect(schema.dsn, schema=schema.name)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def pg_state(schema: PgSchema, name: str) -> tuple[list[tuple[Any, ...]], int]:
    """(the strategy's stage row as tuples, its number of promotion records)."""
    rows = fetch(
        schema,
        "SELECT stage, revision, model_version FROM strategy_stages WHERE strategy = $1",
        name,
    )
    count = fetch(schema, "SELECT count(*) AS n FROM promotion_records WHERE strategy = $1", name)
    return [tuple(r) for r in rows], int(count[0]["n"])


def aliases(client: MlflowClient, name: str) -> dict[str, str]:
    return {a: str(v) for a, v in client.get_registered_model(f"gauntlet.{name}").aliases.items()}
