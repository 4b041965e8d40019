"""Per-bar decision latency: `Decider.decide` for every built-in, on its incremental path.

What paper and live nodes run at each bar close between the bar and the order: append the
bar to the window, update the strategy's incremental state (strategies.incremental), check
and process the raw target (execution_engine.targets). Measured per bar with
`perf_counter_ns` over `--bars` one-minute bars after a warm-up of `--warmup` bars; the
strategy's `update` alone is reported too. The reference is the goal itself.
Goal: p99 ≤ 100 µs per decide for every built-in.

Run: python -m bench.bench_decide [--bars 20000] [--warmup 2000]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from bench._common import machine, random_walk_bars

GOAL_P99_US = 100.0
BUILTINS = (
    "sma_cross",
    "ema_cross",
    "rsi_reversion",
    "bollinger_reversion",
    "donchian_breakout",
    "vol_target_trend",
)
FIELDS = ["open", "high", "low", "close", "volume"]


def decide_latencies(name: str, bars: pd.DataFrame, warmup: int) -> tuple[np.ndarray, np.ndarray]:
    """(µs per `decide`, µs per state `update`) after `warmup` bars."""
    from execution_engine.host.decider import Decider
    from execution_engine.host.records import HostRecords
    from execution_engine.host.reporter import HostReporter
    from execution_engine.targets import TargetRules

    from strategies import plugins
    from strategies.incremental import incremental_state

    strategy = plugins.create(name)
    reporter = HostReporter(HostRecords(), ["EUR/USD"], now=lambda: 0, warn=lambda _: None)
    decider = Decider(strategy, ["EUR/USD"], False, None, TargetRules(), reporter)
    state = incremental_state(strategy)
    assert state is not None, f"{name} declares no incremental state"
    rows = [tuple(r) for r in bars[FIELDS].to_numpy().tolist()]
    stamps = pd.DatetimeIndex(bars.index).asi8.tolist()
    decide = np.empty(len(rows))
    update = np.empty(len(rows))
    clock = time.perf_counter_ns
    for t, (stamp, row) in enumerate(zip(stamps, rows, strict=True)):
        start = clock()
        decider.decide(t, stamp, {0: row})
        middle = clock()
        state.update(*row)
        update[t] = (clock() - middle) / 1e3
        decide[t] = (middle - start) / 1e3
    return decide[warmup:], update[warmup:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    args = parser.parse_args()

    bars = random_walk_bars(args.bars + args.warmup, freq="1min", start="2020-01-01",
                            sigma=4e-4, open_sigma=0.0, wick_sigma=2e-4, seed=0)  # fmt: skip
    print(f"machine: {machine()}")
    print(f"command: {' '.join(sys.argv)}")
    print(f"bars measured: {args.bars:,} (after {args.warmup:,}), µs per bar")
    print(f"{'strategy':<22}{'decide p50':>11}{'p99':>9}{'max':>9}{'update p50':>12}{'p99':>8}")
    misses = []
    for name in BUILTINS:
        decide, update = decide_latencies(name, bars, args.warmup)
        p50, p99 = np.percentile(decide, [50, 99])
        u50, u99 = np.percentile(update, [50, 99])
        print(f"{name:<22}{p50:>11.1f}{p99:>9.1f}{decide.max():>9.1f}{u50:>12.1f}{u99:>8.1f}")
        if p99 > GOAL_P99_US:
            misses.append(name)
    verdict = "met by all" if not misses else "missed by " + ", ".join(misses)
    print(f"goal decide p99 ≤ {GOAL_P99_US:.0f} µs: {verdict}")


if __name__ == "__main__":
    main()
