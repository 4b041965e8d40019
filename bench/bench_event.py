"""Event-driven throughput: the hosted SMA crossover vs NautilusTrader's own EMACross example.

Same run, same 200,000 one-minute EUR/USD bars, same BacktestEngine set-up (venue SIM,
margin account, NETTING), bar-close market orders. Timed: `engine.run()` only (engine
construction and data loading are identical for all and excluded); for the precomputed host
the one `target` call over all bars is inside the timed region.

Measured strategies:
- native: `nautilus_trader.examples.strategies.ema_cross.EMACross` (fast 10, slow 20).
- hosted, precomputed: `GauntletStrategyHost` running `sma_cross` (fast 10, slow 20) with
  targets computed once over the history and read per bar (the event backtest's fast mode).
- hosted, per bar: the same host calling `target` on a 20-bar window at every bar close, as
  paper and live nodes do. It costs a pandas call per bar, so it runs on the first
  `--per-bar-bars` bars (default 10,000); bars/s is what is compared.
Goal: hosted ≥ 0.7 × native bars/s.

Run: python -m bench.bench_event [--bars 200000] [--per-bar-bars 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd

from bench._common import machine, random_walk_bars

GOAL = 0.7


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
    if hasattr(strategy, "preload_targets") and strategy.bench_precomputed:
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


def hosted(precomputed: bool) -> Callable[[Any, Any], Any]:
    def build(instrument: Any, bar_type: Any) -> Any:
        from execution_engine.host import GauntletHostConfig, GauntletStrategyHost

        host = GauntletStrategyHost(
            GauntletHostConfig(
                strategy_name="sma_cross",
                strategy_params={"fast": 10, "slow": 20},
                instrument_ids=[instrument.id.value],
                bar_types=[str(bar_type)],
                window=20,
                execute_at="bar_close",
            )
        )
        host.bench_precomputed = precomputed
        return host

    return build


def median_rate(bars: pd.DataFrame, make: Callable[[Any, Any], Any], repeats: int) -> float:
    return statistics.median(len(bars) / timed_run(bars, make) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=200_000)
    parser.add_argument("--per-bar-bars", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    bars = random_walk_bars(args.bars, freq="1min", start="2020-01-01", sigma=4e-4,
                            open_sigma=0.0, wick_sigma=2e-4, seed=0)  # fmt: skip
    print(f"machine: {machine()}")
    print(f"command: {' '.join(sys.argv)}")
    rate_native = median_rate(bars, native, args.repeats)
    rate_pre = median_rate(bars, hosted(precomputed=True), args.repeats)
    head = bars.iloc[: args.per_bar_bars]
    rate_bar = median_rate(head, hosted(precomputed=False), max(1, args.repeats // 3))
    print(f"bars: {len(bars):,} (per-bar host: first {len(head):,}), medians of {args.repeats}")
    print(f"native EMACross               {rate_native:>12,.0f} bars/s   1.00x")
    for label, rate in (
        ("hosted sma_cross precomputed", rate_pre),
        ("hosted sma_cross per bar", rate_bar),
    ):
        ratio = rate / rate_native
        verdict = "meets" if ratio >= GOAL else "misses"
        print(f"{label:<30}{rate:>12,.0f} bars/s   {ratio:.2f}x ({verdict} goal {GOAL}x)")


if __name__ == "__main__":
    main()
