"""Backfill from Polygon: 1,000,000 minute bars from the Polygon simulator into the catalog, and
into the catalog and PostgreSQL, against importing the same bars from a local file.

The simulator runs as `gauntlet sim polygon --synthetic-minutes N` in its own process (Polygon
is a remote server: its JSON encoding must not share our GIL). Measured, per repeat, on a
fresh catalog (and a fresh schema): `live.marketdata.backfill.backfill` end to end — planning,
paged REST aggregates over loopback HTTP (msgspec JSON decoding with exact Decimal prices),
the bar frame, `Catalog.write` per chunk of ~49,000 bars, and with PostgreSQL
`ingest_bars` (binary COPY) per chunk. The median of the repeats is reported.

Reference, same bars, same machine: the cost without the fetch. The bars are read back from
the catalog once, written to a Parquet file, and imported as a user would: the
`Catalog.write` of the whole frame `gauntlet data import` does and the `ingest_bars`
`gauntlet db ingest` does (in-process, so the CLI's start-up is not counted).

Run: python -m bench.bench_polygon_backfill [--bars 1000000] [--repeats 3] [--dsn ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
from execution_engine.adapters.polygon.rest import PolygonRest
from pydantic import SecretStr

from bench._common import machine
from live.db import apply_migrations, drop_schema
from live.marketdata import ingest_bars
from live.marketdata.backfill import backfill
from live.stack._process import free_port
from marketdata import Catalog

SYSTEM_DSN = "postgresql://postgres@127.0.0.1:5432/test"
KEY = "bench-key"
TICKER, INSTRUMENT = "C:EURUSD", "EURUSD"
FIRST = date(2020, 1, 1)
GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))


def start_sim(bars: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [GAUNTLET, "sim", "polygon", "--api-key", KEY, "--port", str(port),
         "--synthetic-minutes", str(bars)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/__sim__/stats", timeout=1.0)
            return process, url
        except httpx.TransportError:
            if process.poll() is not None:
                raise SystemExit("the Polygon simulator exited before it listened") from None
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the Polygon simulator did not listen within 120 s")


def last_day(bars: int) -> date:
    """The synthetic minutes start on 2020-01-01 and keep the fx week (7,200 bars in 7 days):
    the range asked for covers them, with a week to spare, and no more."""
    return FIRST + timedelta(days=bars * 7 // 7_200 + 7)


async def one_backfill(
    url: str, bars: int, root: Path, dsn: str | None, schema: str
) -> tuple[float, int]:
    async with PolygonRest(SecretStr(KEY), base_url=url) as rest:
        started = time.perf_counter()
        report = await backfill(rest, TICKER, FIRST, last_day(bars),
                                catalog=Catalog(root), dsn=dsn, schema=schema)  # fmt: skip
        elapsed = time.perf_counter() - started
    if dsn is not None:
        assert report.db_rows_inserted == report.rows_written, report
    return elapsed, report.rows_written


async def reference(bars_file: Path, root: Path, dsn: str, schema: str) -> tuple[float, float]:
    """Seconds of the catalog import and of the PostgreSQL ingest of the same bars."""
    import pandas as pd

    frame = pd.read_parquet(bars_file)
    started = time.perf_counter()
    Catalog(root).write(INSTRUMENT, "1m", frame)
    catalog_s = time.perf_counter() - started
    started = time.perf_counter()
    report = await ingest_bars(dsn, bars_file, instrument=INSTRUMENT, timeframe="1m",
                               schema=schema)  # fmt: skip
    assert report.rows_inserted == len(frame), report
    return catalog_s, time.perf_counter() - started


async def run(url: str, bars: int, dsn: str, repeats: int, work: Path) -> None:
    catalog_only: list[float] = []
    with_db: list[float] = []
    rows = 0
    for i in range(repeats):
        seconds, rows = await one_backfill(url, bars, work / f"catalog-{i}", None, "unused")
        catalog_only.append(seconds)
        schema = f"bench_polygon_{uuid.uuid4().hex[:8]}"
        await apply_migrations(dsn, schema=schema)
        try:
            seconds, _ = await one_backfill(url, bars, work / f"db-{i}", dsn, schema)
            with_db.append(seconds)
        finally:
            await drop_schema(dsn, schema)
        print(f"  repeat {i + 1}: catalog {rows / catalog_only[-1]:,.0f} rows/s, "
              f"catalog + PostgreSQL {rows / with_db[-1]:,.0f} rows/s", flush=True)  # fmt: skip
    bars_file = work / "bars.parquet"
    Catalog(work / "catalog-0").read(INSTRUMENT, "1m").to_parquet(bars_file)
    schema = f"bench_polygon_ref_{uuid.uuid4().hex[:8]}"
    await apply_migrations(dsn, schema=schema)
    try:
        import_s, ingest_s = await reference(bars_file, work / "reference", dsn, schema)
    finally:
        await drop_schema(dsn, schema)
    fetch_rate = rows / statistics.median(catalog_only)
    both_rate = rows / statistics.median(with_db)
    print(f"backfill {TICKER} 1m, {rows:,} bars, median of {repeats}:")
    print(f"  -> catalog:              {fetch_rate:,.0f} rows/s "
          f"({statistics.median(catalog_only):.1f} s)")  # fmt: skip
    print(f"  -> catalog + PostgreSQL: {both_rate:,.0f} rows/s "
          f"({statistics.median(with_db):.1f} s)")  # fmt: skip
    print(f"reference, the same bars from a local Parquet file (no fetch): catalog write "
          f"{rows / import_s:,.0f} rows/s ({import_s:.1f} s), ingest_bars {rows / ingest_s:,.0f} "
          f"rows/s ({ingest_s:.1f} s), both {rows / (import_s + ingest_s):,.0f} rows/s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--dsn", default=os.environ.get("BENCH_PG_DSN", SYSTEM_DSN))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"command: python -m bench.bench_polygon_backfill {' '.join(sys.argv[1:])}".rstrip())
    process, url = start_sim(args.bars)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-polygon-") as folder:
            asyncio.run(run(url, args.bars, args.dsn, args.repeats, Path(folder)))
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
