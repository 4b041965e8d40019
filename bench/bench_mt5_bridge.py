"""The MetaTrader bridge through NautilusTrader: order round trip and ticks per second.

The terminal simulator runs in its own process (bench/_mt5.py), as a real terminal does, and
dials the bridge the node hosts on loopback, over TLS; the node is a NautilusTrader
`TradingNode` with the MetaTrader data and execution clients (execution_engine.live.node
`build_mt5_node`). Figures, each against the issue's goal and a reference in the same run:

- **order round trip**: a strategy's `submit_order` → the `order_send` request over the
  bridge → the simulator's trade server → its answer and `DEAL_ADD` transaction → the
  `OrderFilled` event back in the strategy. One market order in flight at a time,
  alternating buys and sells of 0.01 lots, the adapter's intent journal fsynced before each
  send. Goal p99 ≤ 5 ms. Reference: the FIX node's same round trip (bench_fix_node's node:
  QuickFIX over TLS to the FIX simulator in its own process), both nodes up at once and
  their round trips in alternating blocks of `--block`, so a change of load on the shared
  machine weighs on both alike.
- **ticks per second into NautilusTrader**: the simulator sends `--ticks` tick rows as
  `ticks` events of 1, 10 and 100 rows (an EA on a timer batches what it saw) as fast as its
  link takes them; a strategy subscribed to the quotes counts `on_quote_tick`: rate = ticks /
  (last seen − first seen). Also the simulator's send rate (encoded and written to TLS), to
  tell which end limits, and the end-to-end rate (first sent → last seen). Median of
  `--repeats` runs, each run followed by its references. Goal ≥ 50,000/s. References in
  the same node, without the bridge:
  (a) NautilusTrader alone: the same quotes as ready QuoteTicks into its live data engine
  (`DataEngine.process`, as a data client hands them over), and (b) the adapter without the
  wire: the same decoded rows into the data client's tick handler (parsing + NautilusTrader).
  bridge/NT is the median over the repeats of each run's ratio to its own reference.
  `--profile` adds profiled runs (not in the figures): where the node's and the terminal's
  time goes, by function, as shares of the profiled time.

Run: python -m bench.bench_mt5_bridge [--orders 500] [--warmup 50] [--block 50]
     [--ticks 200000] [--batches 1 10 100] [--repeats 3] [--profile] [--intent-sync fsync|flush]
     [--json PATH|-] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import queue
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from nautilus_trader.config import LiveRiskEngineConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.trading.strategy import Strategy
from pydantic import SecretStr

from bench._common import machine
from bench._mt5 import TERMINAL, SendTimes, serve_terminal, tick_rows, top_functions

GOAL_ROUND_TRIP_P99_MS = 5.0
GOAL_TICKS_PER_SECOND = 50_000.0
EURUSD = InstrumentId.from_str("EUR/USD.MT5")
FIX_EURUSD = InstrumentId.from_str("EUR/USD.FIX")
TOKEN_SECRET = "bench_mt5_token"
_COMMAND_SECONDS = 60.0


class BridgeDesk(Strategy):  # type: ignore[misc]  # NautilusTrader is untyped (Cython)
    """A strategy that keeps one market order in flight (the next sent on the previous
    fill) and counts the quotes it hears, stamping the first and the last."""

    def __init__(self, instrument_id: InstrumentId, client_id: ClientId) -> None:
        super().__init__()
        self.instrument_id = instrument_id
        self.client_id = client_id
        self.wanted = 0
        self.times_ms: list[float] = []
        self._sent_ns = 0
        self.quotes = 0
        self.first_quote_ns = 0
        self.last_quote_ns = 0

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self.instrument_id, client_id=self.client_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        now = time.monotonic_ns()
        if self.quotes == 0:
            self.first_quote_ns = now
        self.last_quote_ns = now
        self.quotes += 1

    def reset_quotes(self) -> None:
        self.quotes = self.first_quote_ns = self.last_quote_ns = 0

    def begin(self, count: int) -> None:
        self.wanted = count
        self.times_ms = []
        self._send()

    def _send(self) -> None:
        side = OrderSide.BUY if len(self.times_ms) % 2 == 0 else OrderSide.SELL
        order = self.order_factory.market(self.instrument_id, side, Quantity.from_int(1_000))
        self._sent_ns = time.perf_counter_ns()
        self.submit_order(order)

    def on_order_filled(self, event: object) -> None:
        self.times_ms.append((time.perf_counter_ns() - self._sent_ns) / 1e6)
        if len(self.times_ms) < self.wanted:
            self._send()


@dataclass(frozen=True)
class Latency:
    """Percentiles of round trips, and the medians of the first and last tenth of them in
    order (a round trip that grows as the venue's history does shows here)."""

    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    first_tenth_p50_ms: float
    last_tenth_p50_ms: float

    @classmethod
    def of(cls, times_ms: list[float]) -> Latency:
        values = np.array(times_ms)
        if values.size == 0:
            return cls(0, *[float("nan")] * 5)
        p50, p99 = np.percentile(values, [50, 99])
        tenth = max(1, values.size // 10)
        return cls(
            int(values.size), float(p50), float(p99), float(values.max()),
            float(np.median(values[:tenth])), float(np.median(values[-tenth:])),
        )  # fmt: skip


@dataclass(frozen=True)
class TickRun:
    """One burst: what the strategy saw, on the node's clock, and the terminal's send."""

    batch: int
    sent: int
    seen: int
    seen_per_second: float
    sent_per_second: float
    end_to_end_per_second: float
    # The node process's CPU time over the burst's wall time: below 1, the node waited
    # (for the terminal's bytes, or for a core the machine's other work held).
    node_cpu_share: float
    # The node process's CPU time per tick seen: what a tick costs the node, whatever the
    # machine's other work (a shared machine's wall-clock rates are not).
    node_cpu_us_per_tick: float


@dataclass(frozen=True)
class Rate:
    """A reference run: ticks per second the strategy saw, and the CPU time per tick."""

    per_second: float
    cpu_us_per_tick: float


@dataclass
class TickFigures:
    batch: int
    bridge: list[TickRun] = field(default_factory=list)
    nautilus_alone: list[Rate] = field(default_factory=list)
    adapter_no_wire: list[Rate] = field(default_factory=list)

    def medians(self) -> dict[str, float]:
        def median(values: list[float]) -> float:
            return statistics.median(values) if values else float("nan")

        return {
            "bridge": median([r.seen_per_second for r in self.bridge]),
            "terminal_send": median([r.sent_per_second for r in self.bridge]),
            "end_to_end": median([r.end_to_end_per_second for r in self.bridge]),
            "node_cpu_share": median([r.node_cpu_share for r in self.bridge]),
            "nautilus_alone": median([r.per_second for r in self.nautilus_alone]),
            "adapter_no_wire": median([r.per_second for r in self.adapter_no_wire]),
        }

    def cpu_us_per_tick(self) -> dict[str, float]:
        """Medians of the node's CPU time per tick: NautilusTrader alone, the adapter
        without the wire, the bridge; and the differences (what parsing, the wire add)."""
        nautilus = statistics.median([r.cpu_us_per_tick for r in self.nautilus_alone])
        no_wire = statistics.median([r.cpu_us_per_tick for r in self.adapter_no_wire])
        bridge = statistics.median([r.node_cpu_us_per_tick for r in self.bridge])
        return {
            "nautilus": nautilus,
            "adapter_parsing": no_wire - nautilus,
            "wire": bridge - no_wire,
            "bridge": bridge,
            "bridge_capacity_per_second": 1e6 / bridge if bridge else float("nan"),
        }

    def paired_ratio(self) -> float:
        """The median over the repeats of bridge / NautilusTrader alone, each pair measured
        back to back (on a shared machine, steadier than the ratio of the medians)."""
        pairs = zip(self.bridge, self.nautilus_alone, strict=True)
        ratios = [run.seen_per_second / alone.per_second for run, alone in pairs if alone]
        return statistics.median(ratios) if ratios else float("nan")


@dataclass
class Mt5Figures:
    round_trips_ms: list[float]
    ticks: list[TickFigures]
    profiles: dict[str, str]


# --- the MetaTrader node ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Terminal:
    """The simulator's process and its two queues."""

    def __init__(self, port: int, ca_file: Path, token: str, ticks: int) -> None:
        context = mp.get_context("spawn")
        self.commands, self.answers = context.Queue(), context.Queue()
        self.process = context.Process(
            target=serve_terminal,
            args=(port, str(ca_file), token, ticks, self.commands, self.answers),
            daemon=True,
        )
        self.process.start()

    def ask(self, *command: object) -> Any:
        self.commands.put(command)
        return self.answer(str(command[0]))

    def answer(self, kind: str) -> Any:
        got, value = self.answers.get(timeout=_COMMAND_SECONDS)
        if got != kind:
            raise RuntimeError(f"the terminal answered {got!r} to {kind!r}")
        return value

    def stop(self) -> None:
        if self.process.is_alive():
            self.commands.put(("stop",))
            self.process.join(timeout=15)
        if self.process.is_alive():
            self.process.terminate()


def _venue_config(port: int, folder: Path, intent_sync: str | None) -> tuple[Any, Path]:
    """The bridge on `port` with a dev CA's server certificate, the intent journal synced
    as `intent_sync` says (None: the venue's default); (venue config, CA file)."""
    from execution_engine.adapters.fix.devca import generate_dev_ca
    from execution_engine.adapters.mt5.bridge import BridgeConfig
    from execution_engine.adapters.mt5.config import Mt5VenueConfig

    ca = generate_dev_ca(folder / "tls")
    # A netting account (the simulator's default): alternating buys and sells stay flat.
    # Heartbeats of 5 s: a burst keeps the node's loop busy; no false "dead link" mid-run.
    bridge = BridgeConfig(
        port=port, tls_cert=ca.server_cert, tls_key=ca.server_key, terminal=TERMINAL,
        heartbeat_seconds=5.0,
    )  # fmt: skip
    values: dict[str, Any] = {
        "platform": "mt5", "bridge": bridge, "token_secret": TOKEN_SECRET,
        "margin_mode": "netting", "connect_timeout_seconds": 30.0,
        "request_timeout_seconds": 5.0,
    }  # fmt: skip
    if intent_sync is not None:
        values["intent_sync"] = intent_sync
    try:
        venue = Mt5VenueConfig.model_validate(values)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise RuntimeError(f"the venue config: {str(exc).splitlines()[-1].strip()}") from None
    return venue, ca.ca_file


def _risk_engine() -> LiveRiskEngineConfig:
    # The default risk engine allows 100 orders a second; one order every ~2 ms is more.
    return LiveRiskEngineConfig(max_order_submit_rate="1000/00:00:01")


@contextlib.contextmanager
def mt5_node(
    folder: Path, ticks: int, intent_sync: str | None = None
) -> Iterator[tuple[TradingNode, BridgeDesk, _Terminal]]:
    """The MetaTrader node, started, its terminal connected and quoting, with `ticks` rows
    ready on the terminal's side for each burst; stopped (and the terminal) on exit."""
    from execution_engine.adapters.mt5.auth import new_token
    from execution_engine.adapters.mt5.config import MT5_CLIENT
    from execution_engine.live.node import build_mt5_node, start_node, stop_node

    port = _free_port()
    venue, ca_file = _venue_config(port, folder, intent_sync)
    token = new_token(TERMINAL, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    terminal = _Terminal(port, ca_file, token, ticks)
    try:
        desk = BridgeDesk(EURUSD, ClientId(MT5_CLIENT))
        node = build_mt5_node(
            venue, folder / "mt5-node", lambda _: SecretStr(token), [desk],
            trader_id="BENCH-001", risk_engine=_risk_engine(),
        )  # fmt: skip
        try:
            start_node(node)
            if not terminal.answer("started"):
                raise RuntimeError("the terminal simulator did not connect to the bridge")
            _first_quote(node, terminal)
            yield node, desk, terminal
        finally:
            stop_node(node)
    finally:
        terminal.stop()


@contextlib.contextmanager
def fix_node(folder: Path) -> Iterator[tuple[TradingNode, BridgeDesk]]:
    """The reference: bench_fix_node's FIX node (QuickFIX over TLS to the FIX simulator in
    its own process), started and quoting, with the same desk on EUR/USD.FIX."""
    from execution_engine.adapters.fix.config import FIX_CLIENT, FixVenueConfig, TlsConfig
    from execution_engine.live.node import build_fix_node, start_node, stop_node

    from bench._fix import SECRETS, serve_simulator

    port = _free_port()
    context = mp.get_context("spawn")
    ready, done = context.Queue(), context.Event()
    server = context.Process(
        target=serve_simulator, args=(port, str(folder / "fix-sim"), ready, done), daemon=True
    )
    server.start()
    try:
        venue = FixVenueConfig(
            host="127.0.0.1", port=port, sender_comp_id="GAUNTLET", target_comp_id="SIMBROKER",
            username_secret="user", password_secret="password",
            tls=TlsConfig(ca_file=Path(ready.get(timeout=_COMMAND_SECONDS))), account="SIM-1",
        )  # fmt: skip
        desk = BridgeDesk(FIX_EURUSD, ClientId(FIX_CLIENT))
        node = build_fix_node(
            venue, folder / "fix-node", lambda name: SecretStr(SECRETS[name]), [desk],
            trader_id="BENCH-002", risk_engine=_risk_engine(),
        )  # fmt: skip
        try:
            start_node(node)
            _run_until(node, lambda: node.cache.quote_tick(FIX_EURUSD) is not None, 10)
            yield node, desk
        finally:
            stop_node(node)
    finally:
        done.set()
        server.join(timeout=10)


def interleaved_round_trips(
    mt5: tuple[TradingNode, BridgeDesk], fix: tuple[TradingNode, BridgeDesk],
    args: argparse.Namespace,
) -> tuple[list[float], list[float]]:  # fmt: skip
    """Both nodes' round trips in alternating blocks of `args.block` (the machine is shared:
    a change of load then weighs on both alike), after `args.warmup` unmeasured on each.
    The node not running waits, its loop idle: a block lasts well under a heartbeat."""
    ours: list[float] = []
    theirs: list[float] = []
    _round_trips(*mt5, args.warmup)
    _round_trips(*fix, args.warmup)
    for start in range(0, args.orders, args.block):
        count = min(args.block, args.orders - start)
        ours += _round_trips(*mt5, count)
        theirs += _round_trips(*fix, count)
    return ours, theirs


def tick_figures(
    node: TradingNode, desk: BridgeDesk, terminal: _Terminal, args: argparse.Namespace
) -> list[TickFigures]:
    """Each batch size's bursts and references (the references on the terminal's rows, as
    the data client decodes them, and on the QuoteTicks it makes of them)."""
    rows = tick_rows(args.ticks)
    quotes = _quote_ticks(node, rows)
    return [
        _tick_figures(node, desk, terminal, args, batch, (rows, quotes)) for batch in args.batches
    ]


def _run_until(node: TradingNode, condition: Callable[[], bool], timeout: float) -> None:
    from execution_engine.live.node import run_until

    run_until(node, condition, timeout)


def _first_quote(node: TradingNode, terminal: _Terminal) -> None:
    """Quote until the node's cache has one (the subscription reaches the terminal after the
    node starts, and a tick before it is not sent)."""
    for _ in range(100):
        terminal.ask("tick")
        try:
            _run_until(node, lambda: node.cache.quote_tick(EURUSD) is not None, 0.1)
            return
        except TimeoutError:
            continue
    raise RuntimeError("no quote reached the node from the terminal simulator")


def _round_trips(
    node: TradingNode, desk: BridgeDesk, orders: int, profiler: Any = None
) -> list[float]:
    """`orders` round trips, one in flight; `profiler` on the node during them when given."""
    if orders <= 0:
        return []
    if profiler is not None:
        profiler.enable()
    try:
        desk.begin(orders)
        _run_until(node, lambda: len(desk.times_ms) >= orders, 120 + orders * 0.05)
    finally:
        if profiler is not None:
            profiler.disable()
    return list(desk.times_ms)


def _tick_figures(
    node: TradingNode, desk: BridgeDesk, terminal: _Terminal, args: argparse.Namespace,
    batch: int, references: tuple[list[list[Any]], list[QuoteTick]],
) -> TickFigures:  # fmt: skip
    """`args.repeats` rounds of: the bridge's burst, NautilusTrader alone, the adapter
    without the wire; each `batch` ticks at a time."""
    figures = TickFigures(batch)
    rows, quotes = references
    for _ in range(args.repeats):
        figures.bridge.append(_bridge_burst(node, desk, terminal, args.ticks, batch)[0])
        alone = _engine_feed(node, quotes, batch)
        figures.nautilus_alone.append(_fed(node, desk, alone, len(quotes)))
        no_wire = _client_feed(node, rows, batch)
        figures.adapter_no_wire.append(_fed(node, desk, no_wire, len(rows)))
    return figures


def _bridge_burst(
    node: TradingNode, desk: BridgeDesk, terminal: _Terminal, count: int, batch: int,
    profiler: Any = None,
) -> tuple[TickRun, SendTimes]:  # fmt: skip
    """The terminal's burst of `count` ticks, `batch` a `ticks` event, until the strategy has
    seen them all (or timed out: the figures say how many it saw); `profiler` on the node's
    side (and the terminal's) during it when given."""
    desk.reset_quotes()
    cpu, wall = time.process_time(), time.monotonic()
    terminal.commands.put(("burst", batch, profiler is not None))
    if profiler is not None:
        profiler.enable()
    try:
        _run_until(node, lambda: desk.quotes >= count, 30 + count / 2_000)
    except TimeoutError:
        pass  # reported: fewer seen than sent
    finally:
        if profiler is not None:
            profiler.disable()
    cpu_seconds = time.process_time() - cpu
    cpu_share = cpu_seconds / max(1e-9, time.monotonic() - wall)
    sent: SendTimes = terminal.answer("burst")
    seen_seconds = max(1e-9, (desk.last_quote_ns - desk.first_quote_ns) / 1e9)
    end_to_end = max(1e-9, (desk.last_quote_ns - sent.first_emit_ns) / 1e9)
    run = TickRun(
        batch, sent.rows, desk.quotes, desk.quotes / seen_seconds, sent.rows_per_second,
        desk.quotes / end_to_end, cpu_share, cpu_seconds * 1e6 / max(1, desk.quotes),
    )  # fmt: skip
    return run, sent


def _quote_ticks(node: TradingNode, rows: list[list[Any]]) -> list[QuoteTick]:
    """The rows as the QuoteTicks the data client makes of them (prices exact, sizes 0)."""
    instrument = node.cache.instrument(EURUSD)
    if instrument is None:
        raise RuntimeError(f"{EURUSD} is not in the node's cache")
    size = instrument.size_precision
    now = time.time_ns()
    return [
        QuoteTick(
            EURUSD,
            Price.from_str(r[2]),
            Price.from_str(r[3]),
            Quantity(0, size),
            Quantity(0, size),
            r[1] * 1_000_000,
            now,
        )
        for r in rows
    ]


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# The references give the loop a turn every this many ticks (or every event, when larger):
# about as often as the bridge does, whose stream hands it many lines per TLS read.
_YIELD_EVERY = 100


async def _engine_feed(node: TradingNode, quotes: list[QuoteTick], batch: int) -> None:
    """NautilusTrader alone: the quotes into its live data engine, as a data client hands
    them over (`batch` only sets how often the loop gets a turn)."""
    engine = node.kernel.data_engine
    for chunk in _chunks(quotes, max(batch, _YIELD_EVERY)):
        for quote in chunk:
            engine.process(quote)
        await asyncio.sleep(0)


async def _client_feed(node: TradingNode, rows: list[list[Any]], batch: int) -> None:
    """The adapter without the wire: decoded rows into the data client's tick handler,
    `batch` rows a call (one `ticks` event each)."""
    from execution_engine.adapters.mt5.config import MT5_CLIENT

    client = node.kernel.data_engine._clients[ClientId(MT5_CLIENT)]  # the node's own client
    for turn in _chunks(rows, max(batch, _YIELD_EVERY)):
        for event in _chunks(turn, batch):
            client._on_ticks(event)  # the handler of a `ticks` event, without the bridge
        await asyncio.sleep(0)


def _fed(node: TradingNode, desk: BridgeDesk, feed: Any, count: int) -> Rate:
    """The rate the strategy saw the `count` ticks `feed` hands over on the node's loop at
    (waiting for the last: the data engine queues them), and their CPU time."""
    desk.reset_quotes()
    loop = node.get_event_loop()
    assert loop is not None  # assemble_node always gives the node a loop
    cpu = time.process_time()
    loop.run_until_complete(feed)
    _run_until(node, lambda: desk.quotes >= count, 30 + count / 2_000)
    cpu_us = (time.process_time() - cpu) * 1e6 / count
    if desk.quotes != count:
        raise RuntimeError(f"the strategy saw {desk.quotes} quotes of the {count} fed")
    seconds = max(1e-9, (desk.last_quote_ns - desk.first_quote_ns) / 1e9)
    return Rate(desk.quotes / seconds, cpu_us)


def _profiles(
    node: TradingNode, desk: BridgeDesk, terminal: _Terminal, args: argparse.Namespace
) -> dict[str, str]:
    """More round trips, and one more burst per batch size, profiled (on both sides for the
    bursts); profiling slows them: they are not in the figures."""
    import cProfile

    found: dict[str, str] = {}
    profiler = cProfile.Profile()
    terminal.ask("profile", True)
    _round_trips(node, desk, args.orders, profiler)
    found[f"node, {args.orders} round trips"] = top_functions(profiler)
    found[f"terminal, {args.orders} round trips"] = terminal.ask("profile", False)
    for batch in args.batches:
        profiler = cProfile.Profile()
        _, sent = _bridge_burst(node, desk, terminal, args.ticks, batch, profiler)
        found[f"node, batch {batch}"] = top_functions(profiler)
        found[f"terminal, batch {batch}"] = sent.profile
    return found


# --- the report ------------------------------------------------------------------------------


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def figures_document(
    args: argparse.Namespace, command: str, mt5: Mt5Figures, fix: list[float]
) -> dict[str, Any]:
    ours, theirs = Latency.of(mt5.round_trips_ms), Latency.of(fix)
    ticks = []
    for figures in mt5.ticks:
        medians = figures.medians()
        ticks.append(
            {
                "batch": figures.batch,
                "ticks": args.ticks,
                "medians_per_second": medians,
                "bridge_vs_nautilus_alone": _ratio(medians["bridge"], medians["nautilus_alone"]),
                "bridge_vs_nautilus_alone_paired": figures.paired_ratio(),
                "bridge_vs_adapter_no_wire": _ratio(medians["bridge"], medians["adapter_no_wire"]),
                "node_cpu_us_per_tick": figures.cpu_us_per_tick(),
                "goal_met": medians["bridge"] >= GOAL_TICKS_PER_SECOND,
                "runs": [asdict(run) for run in figures.bridge],
                "lost": [run.sent - run.seen for run in figures.bridge],
            }
        )
    return {
        "machine": machine(),
        "command": command,
        "round_trip": {
            "mt5": asdict(ours),
            "fix": asdict(theirs),
            "mt5_vs_fix_p50": _ratio(ours.p50_ms, theirs.p50_ms),
            "mt5_vs_fix_p99": _ratio(ours.p99_ms, theirs.p99_ms),
            "goal_p99_ms": GOAL_ROUND_TRIP_P99_MS,
            "goal_met": ours.p99_ms <= GOAL_ROUND_TRIP_P99_MS,
        },
        "ticks": ticks,
        "ticks_per_run": args.ticks,
        "repeats": args.repeats,
        "goal_ticks_per_second": GOAL_TICKS_PER_SECOND,
    }


def print_report(document: dict[str, Any], profiles: dict[str, str], out: TextIO) -> None:
    trip = document["round_trip"]
    mt5, fix = trip["mt5"], trip["fix"]
    verdict = "met" if trip["goal_met"] else "NOT met"
    print("MetaTrader bridge through NautilusTrader (TLS, loopback, terminal in its own process)",
          file=out)  # fmt: skip
    print(f"  order round trip (submit → OrderFilled), {mt5['samples']} orders, one in flight; "
          f"MT5 intent journal: {trip['mt5_intent_sync']}", file=out)  # fmt: skip
    for name, row in (("MT5 bridge", mt5), ("FIX node (reference)", fix)):
        print(f"    {name:<21} p50 {row['p50_ms']:7.3f} ms   p99 {row['p99_ms']:7.3f} ms   "
              f"max {row['max_ms']:7.3f} ms   p50 first/last tenth "
              f"{row['first_tenth_p50_ms']:.3f}/{row['last_tenth_p50_ms']:.3f} ms",
              file=out)  # fmt: skip
    print(f"    MT5/FIX: p50 ×{trip['mt5_vs_fix_p50']:.2f}, p99 ×{trip['mt5_vs_fix_p99']:.2f}; "
          f"goal p99 ≤ {trip['goal_p99_ms']:g} ms: {verdict}", file=out)  # fmt: skip
    print(f"  ticks into NautilusTrader (on_quote_tick), ticks/s, median of "
          f"{document['repeats']} runs of {document['ticks_per_run']:,}:", file=out)  # fmt: skip
    print(f"    {'batch':>5} {'bridge':>9} {'terminal send':>13} {'end to end':>10} "
          f"{'NT alone':>9} {'adapter, no wire':>16} {'bridge/NT':>9} {'goal':>7}",
          file=out)  # fmt: skip
    for row in document["ticks"]:
        m = row["medians_per_second"]
        goal = "met" if row["goal_met"] else "NOT met"
        print(f"    {row['batch']:>5} {m['bridge']:>9,.0f} {m['terminal_send']:>13,.0f} "
              f"{m['end_to_end']:>10,.0f} {m['nautilus_alone']:>9,.0f} "
              f"{m['adapter_no_wire']:>16,.0f} {row['bridge_vs_nautilus_alone_paired']:>9.2f} "
              f"{goal:>7}", file=out)  # fmt: skip
        us = row["node_cpu_us_per_tick"]
        print(f"          node CPU per tick: NautilusTrader {us['nautilus']:.1f} µs + adapter's "
              f"parsing {us['adapter_parsing']:.1f} µs + wire (TLS, lines, JSON, bridge, hub) "
              f"{us['wire']:.1f} µs = {us['bridge']:.1f} µs: a core of its own would take "
              f"{us['bridge_capacity_per_second']:,.0f}/s; the node had "
              f"{m['node_cpu_share']:.0%} of one", file=out)  # fmt: skip
        if any(row["lost"]):
            print(f"          ticks not seen per run: {row['lost']}", file=out)
    print(f"    goal ≥ {document['goal_ticks_per_second']:,.0f} ticks/s through the bridge; "
          "NT alone = ready QuoteTicks into the live DataEngine; adapter, no wire = decoded "
          "rows into Mt5DataClient._on_ticks; bridge/NT = median of the paired runs' ratios",
          file=out)  # fmt: skip
    for title, text in profiles.items():
        print(f"  profile, {title}:\n{text}", file=out)
    print(f"  command: {document['command']}", file=out)
    print(f"  at start: {document['machine_at_start']}", file=out)
    print(f"  at end:   {document['machine']}", file=out)


def _arguments(argv: list[str]) -> argparse.Namespace:
    doc = __doc__ or "bench_mt5_bridge"
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500, help="round trips measured")
    parser.add_argument("--warmup", type=int, default=50, help="round trips not measured")
    parser.add_argument("--block", type=int, default=50, help="round trips per node in turn")
    parser.add_argument("--ticks", type=int, default=200_000, help="ticks per burst")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeats", type=int, default=3, help="bursts per batch size")
    parser.add_argument("--profile", action="store_true", help="one profiled burst per batch")
    parser.add_argument(
        "--intent-sync", choices=("fsync", "flush"), help="the MT5 intent journal's sync "
        "(default: the venue's); flush shows what the fsync costs a round trip",
    )  # fmt: skip
    parser.add_argument("--json", metavar="PATH", help="the figures as JSON ('-': stdout)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: few orders, ticks")
    args = parser.parse_args(argv)
    if args.quick:
        args.orders, args.warmup, args.ticks, args.repeats = 50, 10, 20_000, 1
    if min(args.orders, args.block, args.ticks, args.repeats, *args.batches) < 1:
        parser.error("--orders, --block, --ticks, --repeats and --batches must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must be at least 0")
    return args


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    command = " ".join(["python -m bench.bench_mt5_bridge", *argv])
    with _stdout_to_stderr(args.json == "-"):
        try:
            document, profiles = _run(args, command)
        except (RuntimeError, TimeoutError, OSError, queue.Empty) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"bench_mt5_bridge: {message}", file=sys.stderr)
            return 1
        print_report(document, profiles, sys.stdout)
    if args.json == "-":
        json.dump(document, sys.stdout, indent=2)
        print()
    elif args.json:
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


def _run(args: argparse.Namespace, command: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Both nodes, the interleaved round trips, then (the FIX node stopped) the ticks."""
    started_on = machine()
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as reference:
        root = Path(folder)  # NautilusTrader logs here for the whole run
        fix = reference.enter_context(fix_node(root))
        with mt5_node(root, args.ticks, args.intent_sync) as (node, desk, terminal):
            trips, fix_trips = interleaved_round_trips((node, desk), fix, args)
            reference.close()  # the FIX node is done: the bursts have the machine
            ticks = tick_figures(node, desk, terminal, args)
            profiles = _profiles(node, desk, terminal, args) if args.profile else {}
    document = figures_document(args, command, Mt5Figures(trips, ticks, profiles), fix_trips)
    document["machine_at_start"] = started_on
    document["round_trip"]["mt5_intent_sync"] = args.intent_sync or _intent_sync()
    return document, profiles


def _intent_sync() -> str:
    """How the adapter makes its intent journal durable before a send (the venue default:
    the bench does not set it)."""
    from execution_engine.adapters.mt5.config import Mt5VenueConfig

    field = Mt5VenueConfig.model_fields.get("intent_sync")
    return "fsync" if field is None else str(field.default)


@contextlib.contextmanager
def _stdout_to_stderr(divert: bool) -> Iterator[None]:
    """With `divert`, file descriptor 1 is stderr meanwhile (QuickFIX and the simulator
    processes print on it too), so that stdout carries the JSON alone."""
    if not divert:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
