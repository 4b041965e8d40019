"""End-to-end `gauntlet backtest` wall time: a cold run, then warm runs (numba cache on disk).

Runs the installed console script in a subprocess, exactly as a user would, on the committed
sample data (data/sample/EURUSD_H1_synthetic.csv; a generated file if it is missing):

    gauntlet backtest --strategy sma_cross --data <sample> --json

The cold run uses an empty NUMBA_CACHE_DIR, so vectorbt's and Gauntlet's kernels compile; the
warm runs reuse that cache, which is what every run after the first one on a machine sees.
Python start-up, imports (vectorbt's alone is ~2 s of CPU), loading and checking the CSV are
all included.

Run: python -m bench.bench_cli [--warm-runs 5]
Goal: warm (second and later) runs ≤ 3 s wall.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import machine
from bench.bench_vectorized import synthetic_bars

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "EURUSD_H1_synthetic.csv"


def sample_file(workdir: Path) -> Path:
    if SAMPLE.exists():
        return SAMPLE
    path = workdir / "sample.csv"
    synthetic_bars(12_000).to_csv(path)
    return path


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one run; raises if the command fails."""
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {proc.stderr.strip()}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-runs", type=int, default=5)
    args = parser.parse_args(argv)
    gauntlet = str(Path(sys.executable).with_name("gauntlet"))
    with tempfile.TemporaryDirectory(prefix="gauntlet-bench-cli-") as tmp:
        data = sample_file(Path(tmp))
        command = [gauntlet, "backtest", "--strategy", "sma_cross", "--data", str(data), "--json"]
        env = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tmp) / "numba-cache")}
        cold_wall, cold_cpu = run_once(command, env)
        warm = [run_once(command, env) for _ in range(args.warm_runs)]
    walls = [w for w, _ in warm]
    median_wall = statistics.median(walls)
    print(f"machine: {machine()}")
    print(f"command: {' '.join(command)}")
    print(f"cold run (empty numba cache): {cold_wall:.2f} s wall, {cold_cpu:.2f} s CPU")
    print(
        f"warm runs: median {median_wall:.2f} s wall, median "
        f"{statistics.median(c for _, c in warm):.2f} s CPU; walls {[round(w, 2) for w in walls]}"
    )
    verdict = "OK" if median_wall <= 3.0 else "MISSED"
    print(f"goal: warm run <= 3.00 s wall: {verdict}")


if __name__ == "__main__":
    main()
