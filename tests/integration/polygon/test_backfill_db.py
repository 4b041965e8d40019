"""Backfill into the catalog and a real PostgreSQL (its own schema per test): the rows land
once however often it runs, and the days PostgreSQL missed (it was down) are ingested from the
catalog on the next run."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from execution_engine.adapters.polygon.rest import PolygonRest
from execution_engine.adapters.polygon.sim import sources
from execution_engine.adapters.polygon.sim.server import PolygonSimConfig, PolygonSimulator
from pydantic import SecretStr

from live.db import connect
from live.marketdata.backfill import BackfillReport, backfill
from marketdata import Catalog
from tests.fixtures.pg import PgSchema

pytestmark = pytest.mark.services

KEY = "sim-key"
BARS = 60_000  # fx-week minute bars from 2020-01-01 to 2020-02-24
FIRST, LAST = date(2020, 1, 1), date(2020, 2, 29)


@pytest.fixture(scope="module")
def sim() -> Iterator[PolygonSimulator]:
    simulator = PolygonSimulator(
        PolygonSimConfig(api_key=KEY, series=sources.synthetic_minutes(BARS))
    )
    simulator.start()
    yield simulator
    simulator.stop()


def run(sim: PolygonSimulator, catalog: Catalog, dsn: str | None, schema: str) -> BackfillReport:
    async def go() -> BackfillReport:
        async with PolygonRest(SecretStr(KEY), base_url=sim.base_url) as rest:
            return await backfill(
                rest, "C:EURUSD", FIRST, LAST, catalog=catalog, dsn=dsn, schema=schema
            )

    return asyncio.run(go())


async def _stored(schema: PgSchema) -> tuple[int, int]:
    conn = await connect(schema.dsn, schema=schema.name)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT ts) AS distinct_ts FROM bars "
            "WHERE instrument = 'EURUSD' AND timeframe = '1m'"
        )
        assert row is not None
        return int(row["n"]), int(row["distinct_ts"])
    finally:
        await conn.close()


def test_bars_land_once_in_postgres(
    sim: PolygonSimulator, pg_schema: PgSchema, tmp_path: Path
) -> None:
    catalog = Catalog(tmp_path)
    first = run(sim, catalog, pg_schema.dsn, pg_schema.name)
    assert (first.rows_written, first.db_rows_inserted) == (BARS, BARS)
    again = run(sim, catalog, pg_schema.dsn, pg_schema.name)
    assert (again.pages, again.db_rows_inserted, again.db_days_synced) == (0, 0, 0)
    assert asyncio.run(_stored(pg_schema)) == (BARS, BARS)


def test_days_postgres_missed_come_from_the_catalog(
    sim: PolygonSimulator, pg_schema: PgSchema, tmp_path: Path
) -> None:
    catalog = Catalog(tmp_path)
    run(sim, catalog, None, pg_schema.name)  # as if PostgreSQL had been down: catalog only
    pages = sim.stats.pages
    synced = run(sim, catalog, pg_schema.dsn, pg_schema.name)
    assert sim.stats.pages == pages  # nothing asked of Polygon again
    assert synced.db_rows_inserted == BARS
    assert synced.db_days_synced > 0
    assert asyncio.run(_stored(pg_schema)) == (BARS, BARS)


def test_unreachable_postgres_fails_before_fetching(
    sim: PolygonSimulator, pg_schema: PgSchema, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pages = sim.stats.pages
    with pytest.raises(ConnectionRefusedError):
        run(sim, Catalog(tmp_path), f"postgresql://postgres@127.0.0.1:{port}/x", pg_schema.name)
    assert sim.stats.pages == pages
    assert Catalog(tmp_path).list() == []
