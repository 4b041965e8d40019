"""Event-driven throughput: every built-in hosted per bar vs NautilusTrader's own EMACross.

Same run, same one-minute EUR/USD random-walk bars, same BacktestEngine set-up (venue SIM,
margin account, NETTING), bar-close market orders. Timed: `engine.run()` only (engine
construction and data loading are identical for all and excluded); for the precomputed host
the one `target` call over all bars is inside the timed region.

Measured, at each size in `--sizes` (default 5,000 and 200,000 bars):
- native: `nautilus_trader.examples.strategies.ema_cross.EMACross` (fast 10, slow 20).
- per bar, each built-in: `GauntletStrategyHost` with the CLI's and paper's settings
  (targets="per_bar", whole-history window): the decider updates the strategy's
  incremental state once per bar (strategies.incremental). sma_cross and ema_cross run
  fast 10, slow 20 like the native example; the others their default parameters.
- precomputed, each built-in: targets computed once over the history and read per bar.
Goal: every built-in per bar ≥ 1.0 × native bars/s, at every size. One untimed run of each
kind comes first, so the first timed strategy does not pay for imports.

Run: python -m bench.bench_event [--sizes 5000 200000] [--repeats 3] [--strategies ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd

from bench._common import machine, random_walk_bars

GOAL = 1.0
BUILTINS = (
    "sma_cross",
    "ema_cross",
    "rsi_reversion",
    "bollinger_reversion",
    "donchian_breakout",
    "vol_target_trend",
)
# The native example's windows for the crossovers; the others keep their defaults.
PARAMS: dict[str, dict[str, Any]] = {
    "sma_cross": {"fast": 10, "slow": 20},
    "ema_cross": {"fast": 10, "slow": 20},
}


def timed_run(bars: pd.DataFrame, make_strategy: Callable[[Any, Any], Any]) -> float:
    """Seconds of `engine.run()` for one fresh engine and strategy."""
    from execution_engine.adapters.sandbox.providers import fx_pair
    from execution_engine.backtest.engine import build_engine
    from execution_engine.backtest.venue import VenueConfig
    from execution_engine.bars import bar_interval_ns, to_feed

    instrument = fx_pair("EUR/USD")
    feed = to_feed(bars, instrument, bar_interval_ns(bars.index), with_open_quotes=False)
    engine = build_engine([instrument], VenueConfig(leverage=100.0), log_level="OFF")
    engine.add_data(feed.bars)
    strategy = make_strategy(instrument, feed.bar_type)
    start = time.perf_counter()
    if getattr(strategy, "bench_precomputed", False):
        strategy.preload_targets(bars)
    engine.add_strategy(strategy)
    engine.run()
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def native(instrument: Any, bar_type: Any) -> Any:
    from nautilus_trader.examples.strategies.ema_cross import EMACross, EMACrossConfig

    return EMACross(
        EMACrossConfig(
            instrument_id=instrument.id,
            bar_type=bar_type,
            trade_size=Decimal(100_000),
            fast_ema_period=10,
            slow_ema_period=20,
            request_bars=False,
        )
    )


def hosted(name: str, precomputed: bool) -> Callable[[Any, Any], Any]:
    def build(instrument: Any, bar_type: Any) -> Any:
        from execution_engine.host import GauntletHostConfig, GauntletStrategyHost

        host = GauntletStrategyHost(
            GauntletHostConfig(
                strategy_name=name,
                strategy_params=PARAMS.get(name, {}),
                instrument_ids=[instrument.id.value],
                bar_types=[str(bar_type)],
                window=None,  # what the CLI and paper pass
                execute_at="bar_close",
                targets="precomputed" if precomputed else "per_bar",
            )
        )
        host.bench_precomputed = precomputed
        return host

    return build


def median_rate(bars: pd.DataFrame, make: Callable[[Any, Any], Any], repeats: int) -> float:
    return statistics.median(len(bars) / timed_run(bars, make) for _ in range(repeats))


def report_size(bars: pd.DataFrame, names: list[str], repeats: int) -> list[str]:
    """Print one size's table; the strategies that miss the goal per bar."""
    # The CPU is shared: native runs before and after the hosted ones, the ratio is to
    # their median, so a load change during the run does not favour either side.
    native_rates = [len(bars) / timed_run(bars, native) for _ in range(repeats)]
    rates = {
        (name, precomputed): median_rate(bars, hosted(name, precomputed), repeats)
        for name in names
        for precomputed in (False, True)
    }
    native_rates += [len(bars) / timed_run(bars, native) for _ in range(repeats)]
    rate_native = statistics.median(native_rates)
    print(f"\nbars: {len(bars):,}, medians of {repeats} (native: of {len(native_rates)})")
    print(f"{'native EMACross':<42}{rate_native:>12,.0f} bars/s   1.00x")
    misses = []
    for name in names:
        for precomputed in (False, True):
            rate = rates[(name, precomputed)]
            ratio = rate / rate_native
            mode = "precomputed" if precomputed else "per bar"
            verdict = "meets" if ratio >= GOAL else "misses"
            print(
                f"{name + ' ' + mode:<42}{rate:>12,.0f} bars/s   {ratio:.2f}x ({verdict} {GOAL}x)"
            )
            if not precomputed and ratio < GOAL:
                misses.append(f"{name}@{len(bars):,}")
    return misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 200_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--strategies", nargs="+", default=list(BUILTINS), choices=BUILTINS)
    args = parser.parse_args()

    bars = random_walk_bars(max(args.sizes), freq="1min", start="2020-01-01", sigma=4e-4,
                            open_sigma=0.0, wick_sigma=2e-4, seed=0)  # fmt: skip
    print(f"machine: {machine()}")
    print(f"command: {' '.join(sys.argv)}")
    # One discarded run of each kind first: imports and first-call costs would otherwise
    # land on whichever strategy is timed first (the native one).
    warm = bars.iloc[: min(args.sizes)]
    timed_run(warm, native)
    timed_run(warm, hosted(args.strategies[0], precomputed=False))
    misses = []
    for size in args.sizes:
        misses += report_size(bars.iloc[:size], args.strategies, args.repeats)
    print(
        f"\nper-bar goal {GOAL}x native: "
        + ("met by all" if not misses else "missed by " + ", ".join(misses))
    )
    # The CPU is shared: the load at the end says whether it changed during the run.
    print("load average at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
