"""A 1,000,000-bar SMA-crossover backtest: `research.backtest` against raw vectorbt.

Both sides do the same work on the same bars, in the same process, after a JIT warm-up:
  * Gauntlet: `research.backtest(SmaCross(fast, slow), bars)` end to end — strategy targets,
    bar validation, data fingerprint (BLAKE2b), order sizing kernel, vectorbt booking
    (`Portfolio.from_orders`), the trade table and every metric of `Metrics`.
  * raw vectorbt: `vbt.MA.run` fast and slow, crossed-above/below entries (shifted one bar to
    fill at the next open, like Gauntlet's default), `Portfolio.from_signals` long/short at
    the open, and the same metrics from vectorbt's accessors (total return, CAGR, volatility,
    Sharpe, Sortino, max drawdown, Calmar, trade count, win rate, profit factor, expectancy,
    exposure).

Run: python -m bench.bench_vectorized [--bars 1000000] [--repeats 7]
Goal: Gauntlet's median ≤ 1.0 × raw vectorbt's median (the ratio within one run counts: the
machine is shared, so absolute times drift from run to run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from bench._common import machine, random_walk_bars

FAST, SLOW = 10, 50
GOAL = 1.0  # research.backtest's median wall time / raw vectorbt's, same run


def synthetic_bars(n: int, seed: int = 0) -> pd.DataFrame:
    """A valid hourly OHLC random walk (not market data; only the workload matters here)."""
    return random_walk_bars(
        n, freq="1h", start="2000-01-03", sigma=1e-3, open_sigma=1e-4, wick_sigma=3e-4, seed=seed
    )


def run_gauntlet(bars: pd.DataFrame) -> dict[str, float]:
    from research import backtest
    from strategies import SmaCross

    result = backtest(SmaCross(fast=FAST, slow=SLOW), bars)
    return result.metrics.model_dump()


def run_raw_vectorbt(bars: pd.DataFrame) -> dict[str, float]:
    import vectorbt as vbt

    close, open_ = bars["close"], bars["open"]  # tz-naive: see main()
    fast = vbt.MA.run(close, FAST, short_name="fast")
    slow = vbt.MA.run(close, SLOW, short_name="slow")
    # Decided at the bar's close, filled at the next bar's open.
    long_entries = fast.ma_crossed_above(slow).shift(1, fill_value=False)
    short_entries = fast.ma_crossed_below(slow).shift(1, fill_value=False)
    pf = vbt.Portfolio.from_signals(
        close,
        entries=long_entries,
        short_entries=short_entries,
        price=open_,
        init_cash=100_000.0,
        freq="1h",
    )
    positions = pf.positions
    return {
        "total_return": float(pf.total_return()),
        "cagr": float(pf.annualized_return()),
        "volatility": float(pf.annualized_volatility()),
        "sharpe": float(pf.sharpe_ratio()),
        "sortino": float(pf.sortino_ratio()),
        "max_drawdown": float(pf.max_drawdown()),
        "calmar": float(pf.calmar_ratio()),
        "trades": float(positions.count()),
        "win_rate": float(positions.win_rate()),
        "profit_factor": float(positions.profit_factor()),
        "expectancy": float(positions.expectancy()),
        "exposure": float((pf.asset_value() != 0).mean()),
        "final_equity": float(pf.final_value()),
    }


def timed(fn: Callable[[pd.DataFrame], Any], bars: pd.DataFrame) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of one run.

    CPU time is reported too because this machine is shared: other jobs stretch wall time
    from run to run far more than the CPU a run uses (both sides are single-threaded).
    """
    start, start_cpu = time.perf_counter(), time.process_time()
    fn(bars)
    return time.perf_counter() - start, time.process_time() - start_cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    bars = synthetic_bars(args.bars)
    # vectorbt's signal and return accessors are ~100x slower on a tz-aware index (pandas
    # datetime arithmetic per call), so raw vectorbt gets the same bars with a naive UTC
    # index: its fast path. Gauntlet gets the tz-aware bars its convention requires.
    naive = bars.tz_localize(None)
    for fn, frame in ((run_gauntlet, bars), (run_raw_vectorbt, naive)):  # JIT warm-up
        fn(frame.iloc[:5_000])
        fn(frame)
    runs: dict[str, list[tuple[float, float]]] = {"research.backtest": [], "raw vectorbt": []}
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit both alike
        runs["research.backtest"].append(timed(run_gauntlet, bars))
        runs["raw vectorbt"].append(timed(run_raw_vectorbt, naive))
    ours = [wall for wall, _ in runs["research.backtest"]]
    raw = [wall for wall, _ in runs["raw vectorbt"]]
    ours_cpu = [cpu for _, cpu in runs["research.backtest"]]
    raw_cpu = [cpu for _, cpu in runs["raw vectorbt"]]
    ours_median, raw_median = statistics.median(ours), statistics.median(raw)
    gauntlet_metrics, raw_metrics = run_gauntlet(bars), run_raw_vectorbt(naive)
    print(f"machine: {machine()}")
    print(f"command: python -m bench.bench_vectorized {' '.join(sys.argv[1:])}".rstrip())
    print(f"workload: sma_cross {FAST}/{SLOW} long/short, next-open fills, {args.bars:,} bars")
    for name, walls, cpus in (
        ("research.backtest", ours, ours_cpu),
        ("raw vectorbt", raw, raw_cpu),
    ):
        print(
            f"{name:<18} median {statistics.median(walls):.3f} s wall, "
            f"{statistics.median(cpus):.3f} s CPU; walls {[round(t, 3) for t in walls]}"
        )
    ratio = ours_median / raw_median
    cpu_ratio = statistics.median(ours_cpu) / statistics.median(raw_cpu)
    print(f"ratio gauntlet / vectorbt, CPU medians: {cpu_ratio:.2f}x")
    verdict = "OK" if ratio <= GOAL else "MISSED"
    print(f"ratio gauntlet / vectorbt, wall medians: {ratio:.2f}x (goal <= {GOAL:.2f}x) {verdict}")
    print(f"trades: gauntlet {gauntlet_metrics['trades']}, vectorbt {raw_metrics['trades']:.0f}")


if __name__ == "__main__":
    main()
