"""Vanilla PostgreSQL path (no TimescaleDB here): monthly partitions on demand, SQL roll-ups."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

from live.db import connect
from live.marketdata import ingest_bars
from tests.fixtures.bars import make_bars
from tests.fixtures.pg import PgSchema

pytestmark = pytest.mark.services


async def _fetch(schema: PgSchema, query: str, *args: object) -> list[dict[str, object]]:
    conn = await connect(schema.dsn, schema=schema.name)
    try:
        return [dict(row) for row in await conn.fetch(query, *args)]
    finally:
        await conn.close()


def test_storage_is_native_partitioning(pg_schema: PgSchema) -> None:
    assert asyncio.run(_fetch(pg_schema, "SELECT storage FROM market_data_storage")) == [
        {"storage": "native_partitions"}
    ]


def test_ingest_creates_one_partition_per_utc_month_and_rows_land_in_it(
    pg_schema: PgSchema,
) -> None:
    bars = make_bars(24 * 75, seed=3, freq="1h")  # 2024-01-01 .. mid-March
    asyncio.run(
        ingest_bars(pg_schema.dsn, bars, instrument="EURUSD", timeframe="1h", schema=pg_schema.name)
    )
    per_partition = asyncio.run(
        _fetch(
            pg_schema,
            "SELECT tableoid::regclass::text AS part, min(ts) AS first, count(*) AS n "
            "FROM bars GROUP BY 1 ORDER BY 1",
        )
    )
    assert [row["part"] for row in per_partition] == [
        "bars_y2024m01",
        "bars_y2024m02",
        "bars_y2024m03",
    ]
    assert [row["n"] for row in per_partition] == [31 * 24, 29 * 24, 75 * 24 - 60 * 24]
    assert per_partition[1]["first"] == pd.Timestamp("2024-02-01", tz="UTC")


def test_partition_boundaries_are_utc_whatever_the_session_time_zone(pg_schema: PgSchema) -> None:
    async def create_in_new_york() -> str:
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        try:
            await conn.execute("SET TIME ZONE 'America/New_York'")
            await conn.execute(
                "SELECT ensure_market_partitions('ticks', '2024-03-10 12:00+00', '2024-03-10 13:00+00')"
            )
            await conn.execute("SET TIME ZONE 'UTC'")
            return str(await conn.fetchval(
                "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'ticks_y2024m03'"
            ))  # fmt: skip
        finally:
            await conn.close()

    assert asyncio.run(create_in_new_york()) == (
        "FOR VALUES FROM ('2024-03-01 00:00:00+00') TO ('2024-04-01 00:00:00+00')"
    )


@pytest.mark.parametrize(
    ("bucket", "rule"), [("1 hour", "1h"), ("1 day", "1D"), ("15 minutes", "15min")]
)
def test_rollup_matches_pandas_resample(pg_schema: PgSchema, bucket: str, rule: str) -> None:
    bars = make_bars(3 * 24 * 60 + 17, seed=11, freq="1min")  # ragged last bucket on purpose
    asyncio.run(
        ingest_bars(pg_schema.dsn, bars, instrument="GBPUSD", timeframe="1m", schema=pg_schema.name)
    )
    rows = asyncio.run(
        _fetch(pg_schema, "SELECT * FROM bars_rollup('GBPUSD', '1m', $1::text::interval, $2, $3)",
               bucket, bars.index[0].to_pydatetime(), (bars.index[-1] + pd.Timedelta("1min")).to_pydatetime())
    )  # fmt: skip
    got = pd.DataFrame(rows).set_index("ts").rename_axis("timestamp")
    expected = bars.resample(rule, label="left", closed="left").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    pd.testing.assert_frame_equal(got, expected, check_freq=False, check_exact=False, rtol=1e-12)


def test_rollup_only_sees_its_instrument_timeframe_and_range(pg_schema: PgSchema) -> None:
    one = make_bars(120, seed=1, freq="1min")
    other = make_bars(120, seed=2, freq="1min") * 2
    for instrument, bars in (("AAA", one), ("BBB", other)):
        asyncio.run(
            ingest_bars(
                pg_schema.dsn, bars, instrument=instrument, timeframe="1m", schema=pg_schema.name
            )
        )
    rows = asyncio.run(
        _fetch(pg_schema, "SELECT * FROM bars_rollup('AAA', '1m', '1 hour', $1, $2)",
               one.index[60].to_pydatetime(), one.index[-1].to_pydatetime())
    )  # fmt: skip
    assert len(rows) == 1
    assert rows[0]["open"] == one["open"].iloc[60]
    assert rows[0]["close"] == one["close"].iloc[-2]  # end is exclusive
    assert rows[0]["high"] == one["high"].iloc[60:-1].max()
