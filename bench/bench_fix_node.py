"""The live node on the FIX venue: order round trip and signal to wire, through NautilusTrader.

The simulator runs in its own process (as a broker would), over TLS on loopback; the node is
a NautilusTrader `TradingNode` with the FIX data and execution clients (execution_engine.live
.node). Two figures, each against the issue's goal:

- **order round trip**: a strategy's `submit_order` → the venue's fill ExecutionReport → the
  `OrderFilled` event back in the strategy (risk engine, execution engine, adapter, QuickFIX,
  TLS, the simulator's book and back). One order in flight at a time, alternating market
  buys and sells against a standing quote. Goal p99 ≤ 5 ms.
- **signal to wire**: the quote that closes a bar arrives (QuickFIX hands it over) → the
  NewOrderSingle the hosted strategy sends on that bar's close leaves through QuickFIX. The
  strategy is the built-in `sma_cross` (fast 2, slow 3, shorts allowed: it trades every few
  bars) in `GauntletStrategyHost`, on NautilusTrader's own aggregation of 4 quotes into a bar
  (the simulator quotes each bar's open, high, low and close). Both moments are read from the
  session's FIX message log (adapters/fix/fixlog.py stamps every message in and out, in
  microseconds, on the same clock). Goal p99 ≤ 2 ms.

Run: python -m bench.bench_fix_node [--orders 500] [--bars 1500] [--quote-ms 4]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import multiprocessing as mp
import socket
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import machine, random_walk_bars

GOAL_ROUND_TRIP_P99_MS = 5.0
GOAL_SIGNAL_P99_MS = 2.0
SYMBOL = "EURUSD"
PASSWORD = "bench-password"
QUOTES_PER_BAR = 4
SECRETS = {"user": "gauntlet", "password": PASSWORD}


def _serve(
    port: int, state: str, ready: Any, go: Any, done: Any, bars: int, quote_ms: float
) -> None:
    """The simulator process: one standing quote, then (on `go`) `bars` bars as quotes."""
    from execution_engine.adapters.fix.sim.quotes import Quote, quotes_from_bars
    from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig

    simulator = FixSimulator(SimulatorConfig(port=port, state_dir=Path(state), password=PASSWORD))
    simulator.start()
    simulator.push_quote(
        Quote(SYMBOL, Decimal("1.10000"), Decimal("1.10002"), dt.datetime.now(dt.UTC))
    )
    assert simulator.ca is not None
    ready.put(str(simulator.ca.ca_file))
    frame = random_walk_bars(
        bars, freq="1min", start="2026-01-05", sigma=4e-4, open_sigma=5e-5, wick_sigma=1e-4, seed=7
    )
    quotes = list(quotes_from_bars(frame, SYMBOL, Decimal("0.00002"), 5))
    go.wait()
    pause = quote_ms / 1000
    for quote in quotes:
        started = time.perf_counter()
        simulator.push_quote(quote)
        time.sleep(max(0.0, pause - (time.perf_counter() - started)))
    done.wait()
    simulator.stop()


def _round_trip_desk() -> Any:
    """A strategy that keeps one market order in flight, the next sent on the previous fill."""
    from nautilus_trader.model.enums import OrderSide
    from nautilus_trader.model.identifiers import ClientId, InstrumentId
    from nautilus_trader.model.objects import Quantity
    from nautilus_trader.trading.strategy import Strategy

    instrument_id = InstrumentId.from_str("EUR/USD.FIX")

    class RoundTripDesk(Strategy):  # type: ignore[misc]  # NautilusTrader is untyped (Cython)
        def __init__(self) -> None:
            super().__init__()
            self.wanted = 0
            self.times_ms: list[float] = []
            self._sent_ns = 0

        def on_start(self) -> None:
            self.subscribe_quote_ticks(instrument_id, client_id=ClientId("FIX"))

        def begin(self, count: int) -> None:
            self.wanted = count
            self._send()

        def _send(self) -> None:
            side = OrderSide.BUY if len(self.times_ms) % 2 == 0 else OrderSide.SELL
            order = self.order_factory.market(instrument_id, side, Quantity.from_int(1_000))
            self._sent_ns = time.perf_counter_ns()
            self.submit_order(order)

        def on_order_filled(self, event: Any) -> None:
            self.times_ms.append((time.perf_counter_ns() - self._sent_ns) / 1e6)
            if len(self.times_ms) < self.wanted:
                self._send()

    return RoundTripDesk()


def _host() -> Any:
    """The hosted built-in on NautilusTrader's 4-quote bars, deciding at each bar's close."""
    from execution_engine.host import GauntletHostConfig, GauntletStrategyHost
    from execution_engine.host.config import bind_instruments

    bar_type = f"EUR/USD.FIX-{QUOTES_PER_BAR}-TICK-MID-INTERNAL"
    config = GauntletHostConfig(
        strategy_name="sma_cross",
        strategy_params={"fast": 2, "slow": 3, "allow_short": True},
        execute_at="bar_close",
        window=1_000,
        round_units=True,
    )
    return GauntletStrategyHost(bind_instruments(config, ["EUR/USD.FIX"], [bar_type], None))


def _signal_to_wire_ms(messages_log: Path) -> tuple[list[float], int]:
    """Per NewOrderSingle sent, the milliseconds since the quote that closed its bar arrived,
    and how many orders left only after a later quote had arrived too (the figure for those
    is still measured from their bar's closing quote).

    NautilusTrader's tick aggregation counts every quote from the subscription on, the
    snapshot of the standing quote included: bar k closes on market-data message 4k."""
    stamps: list[dt.datetime] = []  # market-data messages in, in order
    waits: list[float] = []
    late = 0
    for line in messages_log.read_text(encoding="utf-8").splitlines():
        stamp, direction, text = line[:24], line[25:28].strip(), line[29:]
        if direction == "IN" and ("|35=X|" in text or "|35=W|" in text):
            stamps.append(dt.datetime.strptime(stamp, "%Y%m%d-%H:%M:%S.%f"))
        elif direction == "OUT" and "|35=D|" in text and len(stamps) >= QUOTES_PER_BAR:
            closing = (len(stamps) // QUOTES_PER_BAR) * QUOTES_PER_BAR - 1
            late += closing != len(stamps) - 1
            sent = dt.datetime.strptime(stamp, "%Y%m%d-%H:%M:%S.%f")
            waits.append((sent - stamps[closing]).total_seconds() * 1000)
    return waits, late


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--bars", type=int, default=1_500)
    parser.add_argument("--quote-ms", type=float, default=4.0)
    args = parser.parse_args(argv)
    from execution_engine.adapters.fix.config import FixVenueConfig, TlsConfig
    from execution_engine.live.node import build_fix_node, run_until, start_node, stop_node
    from nautilus_trader.config import LiveRiskEngineConfig
    from nautilus_trader.model.identifiers import InstrumentId
    from pydantic import SecretStr

    eurusd = InstrumentId.from_str("EUR/USD.FIX")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    context = mp.get_context("spawn")
    ready, go, done = context.Queue(), context.Event(), context.Event()
    with tempfile.TemporaryDirectory() as folder:
        server = context.Process(
            target=_serve,
            args=(port, f"{folder}/sim", ready, go, done, args.bars, args.quote_ms),
            daemon=True,
        )
        server.start()
        venue = FixVenueConfig(
            host="127.0.0.1", port=port, sender_comp_id="GAUNTLET", target_comp_id="SIMBROKER",
            username_secret="user", password_secret="password",
            tls=TlsConfig(ca_file=Path(ready.get(timeout=60))), account="SIM-1",
        )  # fmt: skip
        desk, host = _round_trip_desk(), _host()
        state = Path(folder) / "node"
        # The default risk engine allows 100 orders a second; one order every ~3 ms is more.
        risk = LiveRiskEngineConfig(max_order_submit_rate="1000/00:00:01")
        node = build_fix_node(
            venue, state, lambda n: SecretStr(SECRETS[n]), [desk, host], risk_engine=risk
        )
        try:
            start_node(node)
            run_until(node, lambda: node.cache.quote_tick(eurusd) is not None, 10)
            wanted = args.warmup + args.orders
            desk.begin(wanted)
            run_until(node, lambda: len(desk.times_ms) >= wanted, 120)
            go.set()
            seconds = args.bars * QUOTES_PER_BAR * args.quote_ms / 1000 + 5
            _run_for(node, run_until, seconds)  # the replay: the host trades on its bars
        finally:
            stop_node(node)
            done.set()
            server.join(timeout=10)
        log = next(state.rglob("messages.log"))
        waits, late = _signal_to_wire_ms(log)
        signal = np.array(waits)
    trips = np.array(desk.times_ms[args.warmup :])
    print("live node on the FIX simulator (TLS, loopback, simulator in its own process)")
    _report("order round trip (submit → OrderFilled)", trips, GOAL_ROUND_TRIP_P99_MS)
    _report(
        "signal to wire (bar-closing quote in → NewOrderSingle out)", signal, GOAL_SIGNAL_P99_MS
    )
    print(f"    orders sent after the next quote had arrived: {late} of {signal.size}")
    print(f"  {machine()}")
    return 0


def _never() -> bool:
    return False


def _run_for(node: Any, run_until: Any, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):  # the replay is over: the node ran through it
        run_until(node, _never, seconds)


def _report(title: str, times: np.ndarray, goal: float) -> None:
    if times.size == 0:
        print(f"  {title}: no samples")
        return
    p50, p90, p99 = np.percentile(times, [50, 90, 99])
    verdict = "met" if p99 <= goal else "NOT met"
    print(f"  {title}, {times.size} samples")
    print(f"    p50 {p50:.3f} ms   p90 {p90:.3f} ms   p99 {p99:.3f} ms   max {times.max():.3f} ms")
    print(f"    goal p99 ≤ {goal:g} ms: {verdict}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
