"""Several processes writing one catalog at once lose nothing.

A year file is read, merged and written back; without a lock two writers read the same old file
and the second `os.replace` throws away the first one's rows (four concurrent imports of 300
rows each left 900 of 1,200 rows, every import exiting 0). These tests use real processes, no
injected pause: many small writes per process make the race all but certain without the lock.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

import pandas as pd

from marketdata import Catalog, generate_bars

WRITERS = 4
BATCHES = 30
BATCH = 10
GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))


def writer_bars(writer: int) -> pd.DataFrame:
    """This writer's own hourly bars: writers interleave in time, so every write touches the
    same year file, and no two writers share a timestamp."""
    bars = generate_bars(WRITERS * BATCHES * BATCH, seed=1, start="2024-02-01")
    return bars.iloc[writer::WRITERS][["open", "high", "low", "close", "volume"]]


def write_batches(root: str, writer: int) -> None:
    catalog = Catalog(root)
    bars = writer_bars(writer)
    for start in range(0, len(bars), BATCH):
        catalog.write("EURUSD", "1h", bars.iloc[start : start + BATCH])


def test_concurrent_writers_keep_every_row(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")  # no forked polars thread pools
    workers = [
        context.Process(target=write_batches, args=(str(tmp_path), writer))
        for writer in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [worker.exitcode for worker in workers] == [0] * WRITERS
    stored = Catalog(tmp_path).read("EURUSD", "1h")
    assert len(stored) == WRITERS * BATCHES * BATCH
    expected = pd.concat([writer_bars(w) for w in range(WRITERS)]).sort_index()
    pd.testing.assert_frame_equal(stored, expected, check_freq=False, check_names=False)
    leftovers = [p.name for p in (tmp_path / "EURUSD" / "1h").iterdir() if "partial" in p.name]
    assert leftovers == []


def test_concurrent_cli_imports_keep_every_row(tmp_path: Path) -> None:
    """The reported case: four `gauntlet data import` processes into one catalog."""
    import subprocess

    files = []
    for writer in range(WRITERS):
        frame = writer_bars(writer).tz_convert(None)
        files.append(tmp_path / f"part{writer}.csv")
        frame.to_csv(files[-1], index_label="Date")
    catalog = tmp_path / "catalog"
    env = {**os.environ, "GAUNTLET_CATALOG": str(catalog)}
    command = [
        "data",
        "import",
        "--instrument",
        "EURUSD",
        "--timeframe",
        "4h",
        "--calendar",
        "none",
    ]
    procs = [
        subprocess.Popen(
            [GAUNTLET, *command, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for path in files
    ]
    outcomes = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * WRITERS, outcomes
    assert len(Catalog(catalog).read("EURUSD", "4h")) == WRITERS * BATCHES * BATCH
