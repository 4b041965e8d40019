"""The FIX benchmarks' simulator process (bench_fix_roundtrip, bench_fix_node): the broker in
a process of its own, as a real one would be, over TLS on loopback."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench._common import random_walk_bars

SYMBOL = "EURUSD"
PASSWORD = "bench-password"
SECRETS = {"user": "gauntlet", "password": PASSWORD}  # the client side's secret names


def serve_simulator(
    port: int, state: str, ready: Any, done: Any, go: Any = None, bars: int = 0,
    quote_ms: float = 0.0,
) -> None:  # fmt: skip
    """One standing quote; its CA file's path on `ready`; then, once `go` is set, `bars`
    random-walk bars as four quotes each, `quote_ms` apart (after three copies of the standing
    quote: see below); until `done`."""
    from execution_engine.adapters.fix.sim.quotes import Quote, quotes_from_bars
    from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig

    simulator = FixSimulator(SimulatorConfig(port=port, state_dir=Path(state), password=PASSWORD))
    simulator.start()
    simulator.push_quote(
        Quote(SYMBOL, Decimal("1.10000"), Decimal("1.10002"), dt.datetime.now(dt.UTC))
    )
    assert simulator.ca is not None
    ready.put(str(simulator.ca.ca_file))
    if bars and go is not None:
        frame = random_walk_bars(
            bars, freq="1min", start="2026-01-05", sigma=4e-4, open_sigma=5e-5, wick_sigma=1e-4,
            seed=7,
        )  # fmt: skip
        quotes = list(quotes_from_bars(frame, SYMBOL, Decimal("0.00002"), 5))
        go.wait()
        # The node's bars count ticks from its subscription, whose snapshot is the standing
        # quote: three more copies close a flat first bar, so every later bar is a source bar.
        standing = Quote(SYMBOL, Decimal("1.10000"), Decimal("1.10002"), dt.datetime.now(dt.UTC))
        _replay(simulator, [standing] * 3 + quotes, quote_ms / 1000)
    done.wait()
    simulator.stop()


def _replay(simulator: Any, quotes: list[Any], pause: float) -> None:
    import time

    for quote in quotes:
        started = time.perf_counter()
        simulator.push_quote(quote)
        time.sleep(max(0.0, pause - (time.perf_counter() - started)))
