"""COPY ingestion: idempotent re-ingest, round trip to pandas/polars, bad rows rejected by row."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from live.db import connect
from live.marketdata import IngestRejectedError, IngestReport, ingest_bars, ingest_ticks, read_bars
from tests.fixtures.bars import make_bars
from tests.fixtures.pg import PgSchema

pytestmark = pytest.mark.services


async def _count(schema: PgSchema, table: str) -> int:
    conn = await connect(schema.dsn, schema=schema.name)
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()


def _write_csv(bars: pd.DataFrame, path: Path) -> Path:
    bars.rename_axis("timestamp").to_csv(path)
    return path


def test_reingesting_the_same_file_adds_nothing(pg_schema: PgSchema, tmp_path: Path) -> None:
    path = _write_csv(make_bars(5_000, seed=5, freq="1min"), tmp_path / "eurusd.csv")

    def ingest(batch_rows: int) -> IngestReport:
        return asyncio.run(ingest_bars(pg_schema.dsn, path, instrument="EURUSD", timeframe="1m",
                                       schema=pg_schema.name, batch_rows=batch_rows))  # fmt: skip

    first = ingest(2_000)
    assert (first.rows, first.rows_inserted, first.batches, first.batches_skipped) == (
        5_000,
        5_000,
        3,
        0,
    )
    again = ingest(2_000)  # same cut: every batch id is known, nothing is even sent
    assert (again.rows_inserted, again.batches_skipped) == (0, 3)
    recut = ingest(1_500)  # other batch ids, same rows: ON CONFLICT DO NOTHING
    assert (recut.rows_inserted, recut.rows_already_present) == (0, 5_000)
    assert asyncio.run(_count(pg_schema, "bars")) == 5_000


def test_bars_come_back_as_pandas_and_polars(pg_schema: PgSchema) -> None:
    bars = make_bars(3_000, seed=8, freq="5min")
    asyncio.run(
        ingest_bars(pg_schema.dsn, bars, instrument="USDJPY", timeframe="5m", schema=pg_schema.name)
    )
    start, end = bars.index[100], bars.index[200]
    as_pandas = asyncio.run(
        read_bars(pg_schema.dsn, "USDJPY", "5m", start, end, schema=pg_schema.name)
    )
    assert isinstance(as_pandas, pd.DataFrame)
    pd.testing.assert_frame_equal(
        as_pandas, bars.iloc[100:200].rename_axis("timestamp"), check_freq=False
    )
    as_polars = asyncio.run(
        read_bars(pg_schema.dsn, "USDJPY", "5m", start, end, schema=pg_schema.name, as_="polars")
    )
    assert isinstance(as_polars, pl.DataFrame)
    assert as_polars.columns == ["timestamp", "open", "high", "low", "close", "volume"]
    assert as_polars["timestamp"].dtype == pl.Datetime("us", "UTC")
    np.testing.assert_array_equal(as_polars["close"].to_numpy(), bars["close"].to_numpy()[100:200])


BAD_CSV = """timestamp,open,high,low,close,volume
2024-01-01T00:00:00Z,1.10,1.11,1.09,1.105,10
2024-01-01T00:01:00Z,1.10,1.11,1.09,abc,10
2024-01-01T00:02:00Z,1.10,1.08,1.09,1.105,10
not a date,1.10,1.11,1.09,1.105,10
2024-01-01T00:04:00Z,1.10,1.11,1.09,1.105,-5
2024-01-01T00:03:00Z,1.10,1.11,1.09,1.105,10
"""


def test_malformed_and_out_of_order_rows_are_named_and_nothing_is_written(
    pg_schema: PgSchema, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    with pytest.raises(IngestRejectedError) as caught:
        asyncio.run(
            ingest_bars(
                pg_schema.dsn, path, instrument="EURUSD", timeframe="1m", schema=pg_schema.name
            )
        )
    message = str(caught.value)
    assert message.startswith(f"{path}: 5 bad row(s), nothing ingested; ")
    assert "row 2 (2024-01-01T00:01:00+00:00): close is not a number" in message
    assert "row 3 (2024-01-01T00:02:00+00:00): high < max(open, close)" in message
    assert "row 4: timestamp is missing or not a date" in message
    assert "row 5 (2024-01-01T00:04:00+00:00): volume is negative or not finite" in message
    assert "\n" not in message
    assert asyncio.run(_count(pg_schema, "bars")) == 0
    assert asyncio.run(_count(pg_schema, "ingest_batches")) == 0


def test_out_of_order_row_is_reported_with_its_row_number(pg_schema: PgSchema) -> None:
    bars = make_bars(50, seed=1, freq="1h")
    swapped = bars.iloc[[*range(30), 31, 30, *range(32, 50)]]
    with pytest.raises(
        IngestRejectedError,
        match=r"row 32 \(2024-01-02T06:00:00\+00:00\): timestamp not after the previous row",
    ):
        asyncio.run(
            ingest_bars(
                pg_schema.dsn,
                swapped,
                instrument="X",
                timeframe="1h",
                schema=pg_schema.name,
                batch_rows=10,
            )
        )
    assert asyncio.run(_count(pg_schema, "bars")) == 0


def test_a_missing_column_is_named(pg_schema: PgSchema, tmp_path: Path) -> None:
    path = tmp_path / "no_high.csv"
    path.write_text("timestamp,open,low,close\n2024-01-01T00:00:00Z,1,1,1\n")
    with pytest.raises(IngestRejectedError, match=r"no_high.csv: missing column\(s\) high"):
        asyncio.run(
            ingest_bars(pg_schema.dsn, path, instrument="X", timeframe="1m", schema=pg_schema.name)
        )


def test_ticks_sharing_a_timestamp_keep_source_order_and_reingest_adds_nothing(
    pg_schema: PgSchema,
) -> None:
    stamps = pd.to_datetime(["2024-05-01 10:00:00.000001", "2024-05-01 10:00:00.000001",
                             "2024-05-01 10:00:00.5", "2024-05-01 10:00:00.5", "2024-05-01 10:00:00.5"], utc=True)  # fmt: skip
    ticks = pl.DataFrame(
        {
            "timestamp": stamps,
            "bid": [1.0, 1.1, 1.2, 1.3, 1.4],
            "ask": [1.01, 1.11, 1.21, 1.31, 1.41],
        }
    )

    def ingest() -> int:
        report = asyncio.run(
            ingest_ticks(pg_schema.dsn, ticks, instrument="EURUSD", schema=pg_schema.name)
        )
        return report.rows_inserted

    assert ingest() == 5
    assert ingest() == 0

    async def stored() -> list[tuple[int, float]]:
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        try:
            return [
                (r["seq"], r["bid"])
                for r in await conn.fetch("SELECT seq, bid FROM ticks ORDER BY ts, seq")
            ]
        finally:
            await conn.close()

    assert asyncio.run(stored()) == [(0, 1.0), (1, 1.1), (0, 1.2), (1, 1.3), (2, 1.4)]


def test_crossed_or_backwards_ticks_are_rejected(pg_schema: PgSchema) -> None:
    stamps = pd.to_datetime(
        ["2024-05-01 10:00:01", "2024-05-01 10:00:00", "2024-05-01 10:00:02"], utc=True
    )
    ticks = pl.DataFrame({"timestamp": stamps, "bid": [1.0, 1.1, 1.3], "ask": [1.01, 1.11, 1.2]})
    with pytest.raises(IngestRejectedError) as caught:
        asyncio.run(
            ingest_ticks(
                pg_schema.dsn, ticks, instrument="EURUSD", schema=pg_schema.name, source="feed"
            )
        )
    assert str(caught.value) == (
        "feed: 2 bad row(s), nothing ingested; "
        "row 2 (2024-05-01T10:00:00+00:00): timestamp before the previous row (out of order); "
        "row 3 (2024-05-01T10:00:02+00:00): ask < bid"
    )


def test_overlapping_ingest_adds_only_the_new_rows(pg_schema: PgSchema) -> None:
    bars = make_bars(5_000, seed=9, freq="1min")

    def ingest(part: pd.DataFrame) -> IngestReport:
        return asyncio.run(
            ingest_bars(
                pg_schema.dsn, part, instrument="EURUSD", timeframe="1m", schema=pg_schema.name
            )
        )

    assert ingest(bars.iloc[:3_000]).rows_inserted == 3_000
    assert ingest(bars.iloc[2_000:]).rows_inserted == 2_000
    stored = asyncio.run(read_bars(pg_schema.dsn, "EURUSD", "1m", schema=pg_schema.name))
    assert isinstance(stored, pd.DataFrame)
    pd.testing.assert_frame_equal(stored, bars.rename_axis("timestamp"), check_freq=False)


def test_a_pandas_frame_with_text_cells_is_checked_like_a_file(pg_schema: PgSchema) -> None:
    bars = make_bars(3, seed=2, freq="1h").astype(object)
    bars.loc[bars.index[1], "low"] = "n/a"
    with pytest.raises(
        IngestRejectedError,
        match=r"<frame>: 1 bad row\(s\), nothing ingested; row 2 .*: low is not a number$",
    ):
        asyncio.run(
            ingest_bars(pg_schema.dsn, bars, instrument="X", timeframe="1h", schema=pg_schema.name)
        )


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "ragged.csv",
            b"timestamp,open,high,low,close\n2024-01-01,1,1,1,1,9,9\n",
            "not a readable csv file: ",
        ),
        ("broken.parquet", b"PAR1 not really parquet", "not a readable parquet file: "),
        ("bars.xlsx", b"", "unsupported file type '.xlsx' (use .csv or .parquet)"),
    ],
)
def test_unreadable_files_are_named(
    pg_schema: PgSchema, tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestRejectedError, match=re.escape(f"{path}: {reason}")):
        asyncio.run(
            ingest_bars(pg_schema.dsn, path, instrument="X", timeframe="1d", schema=pg_schema.name)
        )
