"""Market-data speed: loading a 1,000,000-row CSV, checking it, and generating synthetic bars.

References measured in the same run:
  load:      `marketdata.load_bars` (parse + every quality check) vs pandas.read_csv with
             the same timestamp parsing and no checks, and vs polars.read_csv alone.
  generator: `generate_bars` (regimes, seasonality, spread, FX calendar) vs a plain numpy
             random walk of the same length (the floor any generator pays).

Run: python -m bench.bench_data [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from bench._common import machine
from marketdata import check_quality, generate_bars, load_bars


def median_seconds(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pandas_reference(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, index_col="Date")
    frame.index = pd.to_datetime(frame.index, format="%Y-%m-%d %H:%M:%S").tz_localize("UTC")
    return frame


def random_walk(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.asarray(1.1 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, n))))


def write_csv(bars: pd.DataFrame, path: Path) -> None:
    table = pl.from_pandas(bars[["open", "high", "low", "close", "volume"]].reset_index())
    table = table.with_columns(pl.col("timestamp").dt.replace_time_zone(None))
    table.columns = ["Date", "Open", "High", "Low", "Close", "Volume"]
    table.write_csv(path, datetime_format="%Y-%m-%d %H:%M:%S", float_precision=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n, repeat = args.rows, args.repeat
    print(f"machine: {machine()}")
    print(
        f"command: {' '.join([Path(sys.executable).name, '-m', 'bench.bench_data', *sys.argv[1:]])}"
    )

    generate_bars(1000)  # warm imports and caches before timing
    generator = median_seconds(lambda: generate_bars(n, seed=1), repeat)
    walk = median_seconds(lambda: random_walk(n), repeat)
    print(
        f"generate_bars({n:,}): median {generator:.3f} s; numpy random walk {walk:.3f} s; "
        f"ratio {generator / walk:.1f}x"
    )

    bars = generate_bars(n, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bars.csv"
        write_csv(bars, path)
        size_mb = path.stat().st_size / 1e6
        ours = median_seconds(lambda: load_bars(path), repeat)
        by_pandas = median_seconds(lambda: pandas_reference(path), repeat)
        by_polars = median_seconds(lambda: pl.read_csv(path, try_parse_dates=True), repeat)
    checks = median_seconds(lambda: check_quality(bars), repeat)
    print(
        f"load_bars CSV {n:,} rows ({size_mb:.0f} MB), checks included: median {ours:.3f} s "
        f"({n / ours / 1e6:.2f} M rows/s)"
    )
    print(
        f"  pandas.read_csv + to_datetime (no checks): {by_pandas:.3f} s; "
        f"ratio ours/pandas {ours / by_pandas:.2f}x"
    )
    print(
        f"  polars.read_csv(try_parse_dates=True) alone (no checks, no pandas): {by_polars:.3f} s; "
        f"ratio ours/polars {ours / by_polars:.2f}x"
    )
    print(f"check_quality on {n:,} bars alone: median {checks:.3f} s")


if __name__ == "__main__":
    main()
