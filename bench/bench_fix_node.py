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
  strategy is each built-in in turn (`STRATEGIES`: windows short enough to trade every few
  bars), hosted in `GauntletStrategyHost` on a node of its own, on NautilusTrader's own
  aggregation of 4 quotes into a bar (the simulator quotes each bar's open, high, low, close). Both moments are read from the
  session's FIX message log (adapters/fix/fixlog.py stamps every message in and out, in
  microseconds, on the same clock). Goal p99 ≤ 2 ms.

Run: python -m bench.bench_fix_node [--orders 500] [--bars 600] [--quote-ms 4] [--strategies ...]
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
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import machine
from bench._fix import SECRETS, serve_simulator

GOAL_ROUND_TRIP_P99_MS = 5.0
GOAL_SIGNAL_P99_MS = 2.0
QUOTES_PER_BAR = 4
# Every built-in, with windows short enough to trade every few bars (a sample per order).
STRATEGIES: dict[str, dict[str, Any]] = {
    "sma_cross": {"fast": 2, "slow": 3},
    "ema_cross": {"fast": 2, "slow": 3},
    "rsi_reversion": {"window": 2},
    "bollinger_reversion": {"window": 5, "k": 1.0},
    "donchian_breakout": {"window": 3},
    "vol_target_trend": {"lookback": 3, "vol_window": 3},
}


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


def _host(name: str, params: dict[str, Any]) -> Any:
    """The hosted built-in on NautilusTrader's 4-quote bars, deciding at each bar's close."""
    from execution_engine.host import GauntletHostConfig, GauntletStrategyHost
    from execution_engine.host.config import bind_instruments

    bar_type = f"EUR/USD.FIX-{QUOTES_PER_BAR}-TICK-MID-INTERNAL"
    config = GauntletHostConfig(
        strategy_name=name,
        strategy_params=params,
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
    parser.add_argument("--bars", type=int, default=600, help="bars replayed per strategy")
    parser.add_argument("--quote-ms", type=float, default=4.0)
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    args = parser.parse_args(argv)
    print("live node on the FIX simulator (TLS, loopback, simulator in its own process)")
    trips, _, _ = _node_session(args, None, args.warmup + args.orders)
    _report("order round trip (submit → OrderFilled)", np.array(trips[args.warmup :]),
            GOAL_ROUND_TRIP_P99_MS)  # fmt: skip
    print("  signal to wire (bar-closing quote in → NewOrderSingle out), per built-in:")
    missed = []
    for name in args.strategies:
        _, waits, late = _node_session(args, name, 0)
        signal = np.array(waits)
        _report(f"{name} {STRATEGIES[name]}", signal, GOAL_SIGNAL_P99_MS)
        print(f"    orders sent after the next quote had arrived: {late} of {signal.size}")
        if signal.size == 0 or np.percentile(signal, 99) > GOAL_SIGNAL_P99_MS:
            missed.append(name)
    print(f"  signal-to-wire goal p99 <= {GOAL_SIGNAL_P99_MS:g} ms missed by: "
          f"{', '.join(missed) or 'none'}")  # fmt: skip
    print(f"  {machine()}")
    return 0


def _node_session(
    args: argparse.Namespace, strategy: str | None, orders: int
) -> tuple[list[float], list[float], int]:
    """One simulator process and one node: `orders` round trips first, then, with a hosted
    `strategy`, the replay of `args.bars` bars. (round trips ms, signal-to-wire ms, late)."""
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
    bars = args.bars if strategy is not None else 0
    with tempfile.TemporaryDirectory() as folder:
        server = context.Process(
            target=serve_simulator,
            args=(port, f"{folder}/sim", ready, done, go, bars, args.quote_ms),
            daemon=True,
        )
        server.start()
        venue = FixVenueConfig(
            host="127.0.0.1", port=port, sender_comp_id="GAUNTLET", target_comp_id="SIMBROKER",
            username_secret="user", password_secret="password",
            tls=TlsConfig(ca_file=Path(ready.get(timeout=60))), account="SIM-1",
        )  # fmt: skip
        desk = _round_trip_desk()
        hosted = [] if strategy is None else [_host(strategy, STRATEGIES[strategy])]
        state = Path(folder) / "node"
        # The default risk engine allows 100 orders a second; one order every ~2 ms is more.
        risk = LiveRiskEngineConfig(max_order_submit_rate="1000/00:00:01")
        node = build_fix_node(
            venue, state, lambda n: SecretStr(SECRETS[n]), [desk, *hosted], risk_engine=risk
        )
        try:
            start_node(node)
            run_until(node, lambda: node.cache.quote_tick(eurusd) is not None, 10)
            if orders:
                desk.begin(orders)
                run_until(node, lambda: len(desk.times_ms) >= orders, 120)
            if hosted:
                go.set()
                _run_for(node, run_until, bars * QUOTES_PER_BAR * args.quote_ms / 1000 + 5)
        finally:
            stop_node(node)
            done.set()
            server.join(timeout=10)
        waits, late = _signal_to_wire_ms(next(state.rglob("messages.log"))) if hosted else ([], 0)
    return desk.times_ms, waits, late


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
