"""Research's read-only view of the bars table (research may not import live)."""

from __future__ import annotations

import asyncio

import asyncpg
import pandas as pd
import pytest

from live.marketdata import ingest_bars
from live.marketdata.reader import PgBarSource, PgSourceError, _connect
from marketdata import CatalogEntry
from tests.fixtures.bars import make_bars
from tests.fixtures.pg import PgSchema

pytestmark = pytest.mark.services


def test_research_reads_what_live_ingested(pg_schema: PgSchema) -> None:
    bars = make_bars(500, seed=4, freq="1h")
    asyncio.run(
        ingest_bars(pg_schema.dsn, bars, instrument="EURUSD", timeframe="1h", schema=pg_schema.name)
    )
    source = PgBarSource(pg_schema.dsn, schema=pg_schema.name)
    got = source.read("EURUSD", "1h")
    assert isinstance(got, pd.DataFrame)
    pd.testing.assert_frame_equal(got, bars.rename_axis("timestamp"), check_freq=False)
    assert got.attrs == {
        "source": f"postgresql:{pg_schema.name}.bars",
        "instrument": "EURUSD",
        "timeframe": "1h",
    }
    assert source.list() == [CatalogEntry("EURUSD", "1h", 500, bars.index[0], bars.index[-1], 0)]


def test_unknown_instrument_and_empty_range_are_clear_errors(pg_schema: PgSchema) -> None:
    source = PgBarSource(pg_schema.dsn, schema=pg_schema.name)
    with pytest.raises(PgSourceError, match="no bars for instrument 'GBPUSD' timeframe '1h'"):
        source.read("GBPUSD", "1h")
    with pytest.raises(PgSourceError, match=r"start .* is not before end"):
        source.read("GBPUSD", "1h", "2024-02-01", "2024-01-01")


def test_sessions_are_read_only(pg_schema: PgSchema) -> None:
    async def try_write() -> None:
        conn = await _connect(pg_schema.dsn, pg_schema.name)
        try:
            await conn.execute(
                "INSERT INTO ingest_batches VALUES ('x', 'bars', 'X', now(), now(), 0, 0)"
            )
        finally:
            await conn.close()

    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        asyncio.run(try_write())
