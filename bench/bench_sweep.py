"""SMA-crossover parameter sweeps: Gauntlet's fused, chunked sweep against raw vectorbt.

Workloads (sizes are flags, so a quick run is possible):
  1. 200 combinations × 1,000,000 one-minute bars: Gauntlet `research.sweep.sweep` (local
     worker processes) vs raw vectorbt doing the same work the obvious way: `vbt.MA.run` over
     the fast and slow windows of every combination (one column each), state signals
     fast > slow / fast <= slow shifted one bar (decided at the close, filled at the next
     open, as Gauntlet's default), `Portfolio.from_signals` long/short with all equity at
     the open, and the same metrics (total return, Sharpe, max drawdown, trades) from its
     accessors. Zero costs, so both follow the same accounting and the metrics must agree.
     When the whole grid does not fit in memory, vectorbt runs it in the fewest sequential
     slices that do (printed; `--vbt-chunks` overrides), as a vectorbt user would.
  2. 1,000 combinations × 1,000,000 bars: Gauntlet's wall time and peak memory.
  3. Walk-forward, 10 folds, on 5 years of one-minute bars: wall time.

Each approach runs in its own subprocess (after a JIT warm-up on 5,000 bars); the parent
samples the proportional set size (PSS, so pages shared by forked workers count once) of the
child's whole process tree every 50 ms and reports the peak.

Run: python -m bench.bench_sweep [--bars 1000000] [--combos 200] [--big-combos 1000] [--big-bars N]
     [--wf-years 5] [--wf-folds 10] [--workers 2] [--repeats 3] [--vbt-repeats 1]
     [--skip-vectorbt] [--skip-big]
     [--skip-walkforward]
Goal (1): Gauntlet ≥ 5× faster than raw vectorbt and ≤ 1/4 of its peak memory; equal metrics.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np
import pandas as pd

from bench._common import machine, random_walk_bars

COMPARED = ("total_return", "sharpe", "max_drawdown", "trades")
# Raw vectorbt's peak memory per (bar × combination) cell: maximum resident set 5.37 GB at
# 200 × 250,000 (`/usr/bin/time -v` on the vectorbt child, 2026-11-27), rounded up.
VBT_BYTES_PER_CELL = 110
MINUTES_PER_YEAR_OF_BARS = 252 * 1440  # ppy of 24/7 one-minute bars (ADR 0002 §11)


def synthetic_bars(n: int, seed: int = 0) -> pd.DataFrame:
    """A valid one-minute OHLC random walk (not market data; only the workload matters)."""
    return random_walk_bars(
        n, freq="1min", start="2019-01-01", sigma=2e-4, open_sigma=2e-5, wick_sigma=5e-5, seed=seed
    )


def grid(combos: int) -> tuple[list[int], list[int]]:
    """fast × slow windows giving `combos` valid combinations (every fast < every slow)."""
    n_fast = 10 if combos <= 200 else 20
    n_slow = max(1, combos // n_fast)
    fast = (
        [5 * (i + 1) for i in range(n_fast)]
        if n_fast == 10
        else [2 * (i + 1) for i in range(n_fast)]
    )
    slow = [60 + 10 * i for i in range(n_slow)]
    return fast, slow


# --- children: one measurement each, one JSON line on stdout ---------------------------------


def child_gauntlet(bars: pd.DataFrame, combos: int, workers: int, repeats: int) -> dict[str, Any]:
    from research.sweep import sweep

    fast, slow = grid(combos)
    space = {"fast": fast, "slow": slow}
    sweep("sma_cross", bars.iloc[:5000], {"fast": [5], "slow": [60]}, workers=1)  # JIT warm-up
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = sweep("sma_cross", bars, space, workers=workers)
        times.append(time.perf_counter() - start)
    assert result is not None
    table = result.table.sort_values(["fast", "slow"])
    return {
        "times": times,
        "combos": len(table),
        "metrics": table[list(COMPARED)].to_numpy().tolist(),
    }


def _vbt_sweep(close: pd.Series, open_: pd.Series, fast: list[int], slow: list[int]) -> Any:
    import vectorbt as vbt

    pairs = [(f, s) for f in fast for s in slow]
    n = len(close)
    fast_ma = (
        vbt.MA.run(close, [f for f, _ in pairs], short_name="fast").ma.to_numpy().reshape(n, -1)
    )
    slow_ma = (
        vbt.MA.run(close, [s for _, s in pairs], short_name="slow").ma.to_numpy().reshape(n, -1)
    )
    valid = ~np.isnan(slow_ma) & ~np.isnan(fast_ma)
    long_state = valid & (fast_ma > slow_ma)
    short_state = valid & ~(fast_ma > slow_ma)
    del fast_ma, slow_ma
    shift = np.zeros((1, len(pairs)), dtype=bool)
    entries = np.vstack([shift, long_state[:-1]])  # decided at the close, filled next open
    short_entries = np.vstack([shift, short_state[:-1]])
    columns = pd.MultiIndex.from_tuples(pairs, names=["fast", "slow"])
    return vbt.Portfolio.from_signals(
        close, entries=pd.DataFrame(entries, index=close.index, columns=columns),
        short_entries=pd.DataFrame(short_entries, index=close.index, columns=columns),
        price=open_, size=np.inf, init_cash=100_000.0, freq="1min",
    )  # fmt: skip


def _vbt_metrics(close: pd.Series, open_: pd.Series, fast: list[int], slow: list[int]) -> Any:
    pf = _vbt_sweep(close, open_, fast, slow)
    return pd.DataFrame({
        "total_return": pf.total_return(), "sharpe": pf.sharpe_ratio(),
        "max_drawdown": pf.max_drawdown(), "trades": pf.positions.count(),
    })  # fmt: skip


def child_vectorbt(bars: pd.DataFrame, combos: int, repeats: int, chunks: int) -> dict[str, Any]:
    """`chunks` > 1 runs the grid in that many sequential slices of the slow windows: what a
    vectorbt user does when the whole grid does not fit in memory (same work, same results)."""
    import vectorbt as vbt

    # ann_factor = year_freq / freq = 252 · 1440, Gauntlet's periods_per_year for these bars.
    vbt.settings.returns["year_freq"] = pd.Timedelta(days=252)
    naive = bars.tz_localize(None)  # vectorbt's fast path (see bench_vectorized)
    fast, slow = grid(combos)
    warm = naive.iloc[:5000]
    pf = _vbt_sweep(warm["close"], warm["open"], [5, 10], [60])  # 2-D warm-up: the real path
    pf.total_return(), pf.sharpe_ratio(), pf.max_drawdown(), pf.positions.count()
    times, metrics = [], None
    slices = [list(part) for part in np.array_split(slow, chunks) if len(part)]
    for _ in range(repeats):
        start = time.perf_counter()
        out = pd.concat(
            [_vbt_metrics(naive["close"], naive["open"], fast, part) for part in slices]
        )
        times.append(time.perf_counter() - start)
        metrics = out.sort_index()[list(COMPARED)].to_numpy().tolist()
        del out
    return {"times": times, "combos": combos, "metrics": metrics}


def child_walkforward(years: int, folds: int, workers: int) -> dict[str, Any]:
    from research.walkforward import walk_forward

    bars = synthetic_bars(years * 365 * 1440, seed=3)
    space = {"fast": [10, 20, 40], "slow": [100, 200, 400]}
    walk_forward("sma_cross", bars.iloc[:20_000], space, n_folds=2, workers=1)  # JIT warm-up
    start = time.perf_counter()
    result = walk_forward("sma_cross", bars, space, n_folds=folds, workers=workers)
    wall = time.perf_counter() - start
    return {"times": [wall], "bars": len(bars), "folds": len(result.folds),
            "oos_sharpe": result.oos_metrics["sharpe"]}  # fmt: skip


def run_child(args: argparse.Namespace) -> None:
    if args.child == "walkforward":
        out = child_walkforward(args.wf_years, args.wf_folds, args.workers)
    else:
        bars = synthetic_bars(args.bars)
        if args.child == "vectorbt":
            out = child_vectorbt(bars, args.combos, args.repeats, args.vbt_chunks or 1)
        else:
            out = child_gauntlet(bars, args.combos, args.workers, args.repeats)
    print(json.dumps(out))


# --- parent: spawn, sample memory, compare ---------------------------------------------------


def _tree_pss(proc: Any) -> int:
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def measure(child_args: list[str]) -> tuple[dict[str, Any], int]:
    """(child's JSON, peak PSS of its process tree in bytes)."""
    import psutil

    cmd = [sys.executable, "-m", "bench.bench_sweep", *child_args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    handle = psutil.Process(proc.pid)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            try:
                peak = max(peak, _tree_pss(handle))
            except psutil.NoSuchProcess:
                return
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, _ = proc.communicate()
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"child {' '.join(child_args)} failed with exit code {proc.returncode}")
    return json.loads(stdout.strip().splitlines()[-1]), peak


def _available_memory() -> int:
    import psutil

    return int(psutil.virtual_memory().available)


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


def _common(args: argparse.Namespace) -> list[str]:
    return [
        "--bars",
        str(args.bars),
        "--workers",
        str(args.workers),
        "--repeats",
        str(args.repeats),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--combos", type=int, default=200)
    parser.add_argument("--big-combos", type=int, default=1000)
    parser.add_argument("--big-bars", type=int, default=1_000_000)
    parser.add_argument("--wf-years", type=int, default=5)
    parser.add_argument("--wf-folds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--vbt-repeats", type=int, default=1, help="raw vectorbt runs (slow)")
    parser.add_argument(
        "--vbt-chunks", type=int, default=0,
        help="run raw vectorbt's grid in this many slices (default: as few as fit in memory)",
    )  # fmt: skip
    parser.add_argument("--skip-vectorbt", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-walkforward", action="store_true")
    parser.add_argument(
        "--child", choices=["gauntlet", "vectorbt", "walkforward"], help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        run_child(args)
        return
    print(f"machine: {machine()}")
    print(f"command: python -m bench.bench_sweep {' '.join(sys.argv[1:])}".rstrip())
    ours, ours_peak = measure(["--child", "gauntlet", "--combos", str(args.combos), *_common(args)])
    ours_median = statistics.median(ours["times"])
    print(f"[1] sma_cross sweep, {ours['combos']} combos x {args.bars:,} bars")
    print(f"    gauntlet ({args.workers} workers): median {ours_median:.2f} s "
          f"runs {[round(t, 2) for t in ours['times']]}, peak {_gib(ours_peak)}")  # fmt: skip
    vbt_need = args.combos * args.bars * VBT_BYTES_PER_CELL
    available = _available_memory()
    chunks = args.vbt_chunks or max(1, math.ceil(vbt_need / (0.6 * available)))
    if not args.skip_vectorbt:
        print(f"    raw vectorbt in one piece would need ~{_gib(vbt_need)} "
              f"({VBT_BYTES_PER_CELL} B per bar x combination), {_gib(available)} available: "
              f"{'one piece' if chunks == 1 else f'{chunks} sequential slices of the grid'}")  # fmt: skip
        vbt_args = ["--child", "vectorbt", "--combos", str(args.combos), *_common(args),
                    "--vbt-chunks", str(chunks)]  # fmt: skip
        raw, raw_peak = measure([*vbt_args, "--repeats", str(args.vbt_repeats)])
        raw_median = statistics.median(raw["times"])
        a, b = np.asarray(ours["metrics"]), np.asarray(raw["metrics"])
        diff = float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))
        print(f"    raw vectorbt: median {raw_median:.2f} s runs {[round(t, 2) for t in raw['times']]}, "
              f"peak {_gib(raw_peak)}")  # fmt: skip
        speed, mem = raw_median / ours_median, ours_peak / raw_peak
        print(f"    speed-up {speed:.1f}x (goal >= 5x) {'OK' if speed >= 5 else 'MISSED'}; "
              f"memory {mem:.2f} of vectorbt's (goal <= 0.25) {'OK' if mem <= 0.25 else 'MISSED'}")  # fmt: skip
        print(f"    metrics {', '.join(COMPARED)}: max relative difference {diff:.2e} "
              f"{'(identical to 1e-9)' if diff <= 1e-9 else '(DIFFERENT)'}")  # fmt: skip
    if not args.skip_big:
        big_args = ["--child", "gauntlet", "--combos", str(args.big_combos), *_common(args)]
        big_args += ["--repeats", "1", "--bars", str(args.big_bars)]
        big, big_peak = measure(big_args)
        print(f"[2] sma_cross sweep, {big['combos']} combos x {args.big_bars:,} bars: "
              f"wall {big['times'][0]:.2f} s, peak {_gib(big_peak)}")  # fmt: skip
        need = args.big_combos * args.big_bars * VBT_BYTES_PER_CELL
        print(f"    raw vectorbt the naive way would need ~{_gib(need)} (not run)")
    if not args.skip_walkforward:
        wf, wf_peak = measure(["--child", "walkforward", "--wf-years", str(args.wf_years),
                               "--wf-folds", str(args.wf_folds), "--workers", str(args.workers)])  # fmt: skip
        print(f"[3] walk-forward sma_cross 3x3 grid, {wf['folds']} folds on {wf['bars']:,} one-minute "
              f"bars ({args.wf_years} years): wall {wf['times'][0]:.2f} s, peak {_gib(wf_peak)}")  # fmt: skip


if __name__ == "__main__":
    main()
