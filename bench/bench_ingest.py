"""Bar ingestion into PostgreSQL: the COPY path against plain INSERTs, in the same run.

Measured: `live.marketdata.ingest_bars` end to end from pandas frames (validation, numpy binary
COPY encoding, one transaction + one ingest_batches row per 250k-row batch, month partitions
created on demand; new ground goes straight into the partitioned table, as in a first load)
over >= 5,000,000 one-minute bars (10 instruments x 500,000), into a fresh schema on the system
server (127.0.0.1:5432, db test), dropped afterwards. Bar generation is not timed.

References on a 100,000-row subset, same table, same server:
  * executemany INSERT ... ON CONFLICT DO NOTHING (the thing COPY replaces);
  * asyncpg's copy_records_to_table (the library COPY path; needs one Python tuple per row),
    to show what the hand-written numpy binary encoder buys.

Run: python -m bench.bench_ingest [--rows-per-instrument 500000] [--instruments 10] [--dsn ...]
Goal: >= 200,000 rows/s sustained.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid

import numpy as np
import pandas as pd

from bench._common import machine, random_walk_bars
from live.db import apply_migrations, connect, drop_schema
from live.marketdata import ingest_bars

SYSTEM_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SUBSET = 100_000


async def bench_copy(
    dsn: str, schema: str, frames: list[pd.DataFrame]
) -> tuple[float, list[float]]:
    per_instrument = []
    start = time.perf_counter()
    for i, bars in enumerate(frames):
        t0 = time.perf_counter()
        report = await ingest_bars(
            dsn, bars, instrument=f"SYM{i:02d}", timeframe="1m", schema=schema
        )
        assert report.rows_inserted == len(bars), report
        per_instrument.append(len(bars) / (time.perf_counter() - t0))
    return time.perf_counter() - start, per_instrument


def _records(bars: pd.DataFrame, instrument: str) -> list[tuple[object, ...]]:
    stamps = pd.DatetimeIndex(bars.index).to_pydatetime()
    values = bars[["open", "high", "low", "close", "volume"]].to_numpy().tolist()
    return [(instrument, "1m", ts, *row) for ts, row in zip(stamps, values, strict=True)]


async def bench_executemany(dsn: str, schema: str, bars: pd.DataFrame) -> float:
    conn = await connect(dsn, schema=schema)
    try:
        await conn.execute(
            "SELECT ensure_market_partitions('bars', $1, $2)", bars.index[0], bars.index[-1]
        )
        start = time.perf_counter()
        await conn.executemany(
            "INSERT INTO bars (instrument, timeframe, ts, open, high, low, close, volume) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            _records(bars, "REF_INSERT"),
        )
        return time.perf_counter() - start
    finally:
        await conn.close()


async def bench_copy_records(dsn: str, schema: str, bars: pd.DataFrame) -> float:
    conn = await connect(dsn, schema=schema)
    try:
        start = time.perf_counter()
        await conn.copy_records_to_table("bars", records=_records(bars, "REF_COPY_RECORDS"))
        return time.perf_counter() - start
    finally:
        await conn.close()


async def server_version(dsn: str) -> str:
    conn = await connect(dsn, schema="public")
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


async def main(dsn: str, instruments: int, rows: int) -> None:
    schema = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    frames = [
        random_walk_bars(rows, freq="1min", start="2020-01-01", sigma=2e-4, open_sigma=0.0,
                         wick_sigma=1e-4, seed=seed)
        for seed in range(instruments)
    ]  # fmt: skip
    subset = frames[0].iloc[:SUBSET]
    total = instruments * rows
    print(f"machine: {machine()}, PostgreSQL {await server_version(dsn)}")
    print(
        f"command: {' '.join([sys.executable.rsplit('/', 1)[-1], '-m', 'bench.bench_ingest', *sys.argv[1:]])}"
    )
    await apply_migrations(dsn, schema=schema)
    try:
        copy_s, per_instrument = await bench_copy(dsn, schema, frames)
        insert_s = await bench_executemany(dsn, schema, subset)
        records_s = await bench_copy_records(dsn, schema, subset)
    finally:
        await drop_schema(dsn, schema)
    copy_rate = total / copy_s
    insert_rate = SUBSET / insert_s
    records_rate = SUBSET / records_s
    print(
        f"ingest_bars (validate + binary COPY, batches of 250k): {total:,} rows in {copy_s:.1f} s"
    )
    print(f"  sustained {copy_rate:,.0f} rows/s; per instrument median {np.median(per_instrument):,.0f}, "
          f"min {min(per_instrument):,.0f} rows/s   goal >= 200,000: {'MET' if copy_rate >= 200_000 else 'NOT MET'}")  # fmt: skip
    print(f"reference executemany INSERT, {SUBSET:,} rows: {insert_rate:,.0f} rows/s "
          f"-> COPY path is {copy_rate / insert_rate:.1f}x faster")  # fmt: skip
    print(f"reference copy_records_to_table (library COPY, Python tuples), {SUBSET:,} rows: {records_rate:,.0f} rows/s "
          f"-> COPY path is {copy_rate / records_rate:.2f}x")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=SYSTEM_DSN)
    parser.add_argument("--instruments", type=int, default=10)
    parser.add_argument("--rows-per-instrument", type=int, default=500_000)
    args = parser.parse_args()
    asyncio.run(main(args.dsn, args.instruments, args.rows_per_instrument))
