"""FIX order round trip on loopback: NewOrderSingle sent by the initiator → its fill
ExecutionReport parsed and handed to the initiator's sink, through TLS, QuickFIX on both
ends, and the simulator's book (in its own process, as a broker would be).

Orders are sent one at a time (the next after the previous fill), alternating buy and sell
market orders against a standing quote, so the figure is the path's latency, not a queue.
Goal: p99 ≤ 5 ms over ≥ 1,000 orders (issue 12).

Run: python -m bench.bench_fix_roundtrip [--orders 1000] [--warmup 50]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import socket
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
from execution_engine.adapters.fix.codes import OrdType, Side
from execution_engine.adapters.fix.config import FixVenueConfig, TlsConfig
from execution_engine.adapters.fix.messages import OrderRequest, new_order_single
from execution_engine.adapters.fix.reports import ExecutionReport
from execution_engine.adapters.fix.session import FixInitiator
from execution_engine.adapters.fix.sinks import Inbound
from pydantic import SecretStr

from bench._common import machine
from bench._fix import SECRETS, SYMBOL, serve_simulator

GOAL_P99_MS = 5.0


class FillClock:
    """The sink: stamps the fill of the order in flight (on QuickFIX's thread)."""

    def __init__(self) -> None:
        self.expected = ""
        self.filled = threading.Event()
        self.received_ns = 0

    def __call__(self, message: Inbound) -> None:
        if (
            isinstance(message, ExecutionReport)
            and message.is_fill
            and message.cl_ord_id == self.expected
        ):
            self.received_ns = time.perf_counter_ns()
            self.filled.set()


def _round_trips(initiator: FixInitiator, clock: FillClock, count: int, prefix: str) -> list[float]:
    times_ms: list[float] = []
    for i in range(count):
        side = Side.BUY if i % 2 == 0 else Side.SELL
        clock.expected = f"{prefix}-{i}"
        clock.filled.clear()
        message = new_order_single(
            OrderRequest(clock.expected, SYMBOL, side, Decimal(1_000), OrdType.MARKET)
        )
        sent = time.perf_counter_ns()
        initiator.send(message)
        if not clock.filled.wait(5):
            raise SystemExit(f"bench: no fill for {clock.expected} within 5 s")
        times_ms.append((clock.received_ns - sent) / 1e6)
    return times_ms


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--warmup", type=int, default=50)
    args = parser.parse_args(argv)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    context = mp.get_context("spawn")
    ready: mp.Queue[str] = context.Queue()
    stop = context.Event()
    with tempfile.TemporaryDirectory() as folder:
        server = context.Process(
            target=serve_simulator, args=(port, f"{folder}/sim", ready, stop), daemon=True
        )
        server.start()
        ca_file = Path(ready.get(timeout=60))
        config = FixVenueConfig(
            host="127.0.0.1", port=port, sender_comp_id="GAUNTLET", target_comp_id="SIMBROKER",
            username_secret="user", password_secret="password", tls=TlsConfig(ca_file=ca_file),
        )  # fmt: skip
        clock = FillClock()
        initiator = FixInitiator(
            config, Path(folder) / "node", lambda n: SecretStr(SECRETS[n]), clock
        )
        initiator.start()
        try:
            _round_trips(initiator, clock, args.warmup, "warm")
            times = np.array(_round_trips(initiator, clock, args.orders, "bench"))
        finally:
            initiator.stop()
            stop.set()
            server.join(timeout=10)
    p50, p90, p99 = np.percentile(times, [50, 90, 99])
    print(
        f"FIX round trip (NewOrderSingle → fill ExecutionReport), {len(times)} orders over TLS on loopback"
    )
    print(f"  p50 {p50:.3f} ms   p90 {p90:.3f} ms   p99 {p99:.3f} ms   max {times.max():.3f} ms")
    print(f"  goal p99 ≤ {GOAL_P99_MS:g} ms: {'met' if p99 <= GOAL_P99_MS else 'NOT met'}")
    print(f"  {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
