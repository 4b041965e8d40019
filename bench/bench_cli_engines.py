"""`gauntlet backtest --engine event` against `--engine vectorized`, as a user runs them.

For every built-in strategy, on the first 5,000 bars of the committed sample
(data/sample/EURUSD_H1_synthetic.csv), both commands run in a subprocess with a warm numba
cache (one untimed run each first), `--warm-runs` times; the figure is the median wall time
of each and their ratio. Python start-up, imports, loading and checking the file are in both
walls, as they are in a user's.

Run: python -m bench.bench_cli_engines [--warm-runs 3] [--bars 5000]
Goal (issue 11): event wall ≤ 2× the vectorized command's, for every built-in.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import pandas as pd

from bench._common import machine
from bench.bench_cli import run_once, sample_file
from strategies import plugins

GOAL_RATIO = 2.0


def sample_head(workdir: Path, bars: int) -> Path:
    """The first `bars` rows of the sample, written where the commands can read them."""
    frame = pd.read_csv(sample_file(workdir), nrows=bars)
    path = workdir / f"EURUSD_H1_first{bars}.csv"
    frame.to_csv(path, index=False)
    return path


def median_wall(command: list[str], env: dict[str, str], runs: int) -> float:
    run_once(command, env)  # warms the numba cache and the OS file cache; not timed
    return statistics.median(run_once(command, env)[0] for _ in range(runs))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--bars", type=int, default=5_000)
    args = parser.parse_args(argv)
    gauntlet = str(Path(sys.executable).with_name("gauntlet"))
    print(f"machine: {machine()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="gauntlet-bench-engines-") as tmp:
        data = sample_head(Path(tmp), args.bars)
        env = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tmp) / "numba-cache")}
        for name in plugins.names():
            base = [gauntlet, "backtest", "--strategy", name, "--data", str(data), "--json"]
            vectorized = median_wall([*base, "--engine", "vectorized"], env, args.warm_runs)
            event = median_wall([*base, "--engine", "event"], env, args.warm_runs)
            rows.append((name, vectorized, event))
            print(f"{name:<22} vectorized {vectorized:6.2f} s  event {event:6.2f} s  "
                  f"ratio {event / vectorized:5.2f}x", flush=True)  # fmt: skip
    print(f"command: gauntlet backtest --strategy NAME --data <{args.bars} bars> --json "
          f"--engine vectorized|event  (median of {args.warm_runs} warm runs)")  # fmt: skip
    met = sum(1 for _, v, e in rows if e / v <= GOAL_RATIO)
    print(f"goal: event <= {GOAL_RATIO:.0f}x vectorized wall: {met}/{len(rows)} built-ins meet it")


if __name__ == "__main__":
    main()
