"""OANDA's pricing stream into NautilusTrader quotes: updates per second and latency.

A v20 pricing stream source runs in its own process (as OANDA is on another machine): an
aiohttp server answering GET /v3/accounts/{id}/pricing/stream with chunked `PRICE` lines and
`HEARTBEAT`s, each price stamped with the time it was written (`time`, RFC 3339 with
nanoseconds). The node's side is Gauntlet's client: `V20Client.price_stream_of(StreamPrice)`
(httpx, the stream's line splitter and stall watch) -> `quotes.quote_tick` -> a handler that
takes the `QuoteTick` (NautilusTrader's, Price/Quantity at the instrument's precision). Figures,
each the median of `--repeats` runs:

- **sustained updates/s**: the source writes `--count` prices as fast as the connection takes
  them; rate = prices / (last handled - first handled). Goal >= 50,000/s.
- **latency at the goal's rate**: the source paces `--rate` prices/s (batches every ms, as a
  price server flushes); latency = handler's clock - the price's `time` (one machine, one
  clock). p50/p99; goal p99 <= 5 ms. Also the rate actually sustained over that run.
- **references, same run**: (a) the adapter without the wire: the same lines, already in
  memory, through `decode_line` + `quote_tick`; (b) NautilusTrader alone: `QuoteTick`s built
  from ready Price/Quantity objects. stream/reference says what the wire and the client cost.

`--into node` (the default) measures the whole path a live session runs: the v20 simulator
(`--source sim`, in its own process) -> the node's OANDA data client -> NautilusTrader's data
engine -> a strategy's `on_quote_tick`, where the latency is taken. `--into handler` stops at the
QuoteTick, as the references do.

Run: python -m bench.bench_oanda_stream [--count 300000] [--rate 50000] [--seconds 5]
     [--repeats 3] [--json PATH|-] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from aiohttp import web
from execution_engine.adapters.oanda.quotes import StreamPrice, decode_line, quote_tick
from execution_engine.adapters.oanda.v20.client import V20Client
from execution_engine.adapters.oanda.v20.endpoints import endpoint_for
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.trading.strategy import Strategy
from pydantic import SecretStr

from bench._common import machine

GOAL_UPDATES_PER_SECOND = 50_000.0
GOAL_P99_MS = 5.0
ACCOUNT = "101-001-0000001-001"
TOKEN = "bench-token"
EUR_USD = InstrumentId.from_str("EUR/USD.OANDA")
PRECISION = 5
_BATCH = 100  # lines a write in flood mode


# --- the source (its own process) ---------------------------------------------------------------


class _Clock:
    """RFC 3339 with nanoseconds of now, the second's prefix cached (the source must not be
    the bottleneck it measures)."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = b""

    def stamp(self) -> bytes:
        ns = time.time_ns()
        second, fraction = divmod(ns, 1_000_000_000)
        if second != self._second:
            moment = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._prefix, self._second = moment.encode(), second
        return b"%s.%09dZ" % (self._prefix, fraction)


def _line(clock: _Clock, n: int) -> bytes:
    bid = 110000 + n % 50
    return (
        b'{"type":"PRICE","time":"%s","bids":[{"price":"1.%05d","liquidity":10000000}],'
        b'"asks":[{"price":"1.%05d","liquidity":10000000}],"closeoutBid":"1.%05d",'
        b'"closeoutAsk":"1.%05d","status":"tradeable","tradeable":true,"instrument":"EUR_USD"}\n'
        % (clock.stamp(), bid - 100000, bid - 99988, bid - 100016, bid - 99972)
    )


_HEARTBEAT = b'{"type":"HEARTBEAT","time":"2026-12-01T20:00:00.000000000Z"}\n'


async def _stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    with contextlib.suppress(ConnectionError):  # the client hangs up once it has its prices
        await _write_prices(response, float(request.app["rate"]))
    return response


async def _write_prices(response: web.StreamResponse, rate: float) -> None:
    clock = _Clock()
    await response.write(_HEARTBEAT)
    began, sent = time.perf_counter(), 0
    while True:
        if rate <= 0:  # flood: as fast as the connection drains
            await response.write(b"".join(_line(clock, n) for n in range(sent, sent + _BATCH)))
            sent += _BATCH
            continue
        due = int((time.perf_counter() - began) * rate)  # paced: every ms, the lines due
        if due > sent:
            await response.write(b"".join(_line(clock, n) for n in range(sent, due)))
            sent = due
        await asyncio.sleep(0.001)


def serve_bench_source(port_out: Any, rate: float) -> None:
    """The bench's own source process: serve until killed, telling the parent its port."""

    async def serve() -> None:
        app = web.Application()
        app["rate"] = rate
        app.add_routes([web.get("/v3/accounts/{id}/pricing/stream", _stream)])
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_out.put((runner.addresses[0][1], ACCOUNT))
        await asyncio.Event().wait()

    asyncio.run(serve())


def serve_simulator(port_out: Any, rate: float) -> None:
    """The OANDA simulator (adapters/oanda/sim) in its benchmark mode: every pricing stream
    replays the series by itself at `rate` lines/s (0: as fast as the socket takes them)."""
    import threading

    from execution_engine.adapters.oanda.sim.config import SimConfig
    from execution_engine.adapters.oanda.sim.simulator import OandaSimulator

    sim = OandaSimulator(SimConfig(token=SecretStr(TOKEN), stream_rate=rate))
    sim.start()
    port_out.put((sim.port, sim.account_id))
    threading.Event().wait()


SOURCES = {"sim": serve_simulator, "bench": serve_bench_source}


@contextlib.contextmanager
def source(kind: str, rate: float) -> Iterator[tuple[int, str]]:
    """A source process streaming at `rate` (0: flood); yields its port and account id."""
    context = mp.get_context("spawn")
    ports: Any = context.Queue()
    process = context.Process(target=SOURCES[kind], args=(ports, rate), daemon=True)
    process.start()
    try:
        port, account = ports.get(timeout=60)
        yield int(port), str(account)
    finally:
        process.kill()
        process.join(10)


# --- the node's side ----------------------------------------------------------------------------


@dataclass
class Run:
    """One run's prices: how many, over how long, and their latencies."""

    prices: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    malformed: int

    @property
    def per_second(self) -> float:
        return self.prices / max(self.seconds, 1e-9)


async def _consume(port: int, account: str, count: int) -> Run:
    latencies = np.empty(count, dtype=np.int64)
    seen = 0
    first = last = 0
    async with V20Client(endpoint_for("127.0.0.1", port), SecretStr(TOKEN)) as api:
        stream = api.price_stream_of(StreamPrice, account, ["EUR_USD"], heartbeat_interval=5.0)
        async with stream:
            async for price in stream:
                tick = quote_tick(price, EUR_USD, PRECISION)
                # The handler: what a data client does before _handle_data (keep, stamp).
                latencies[seen] = tick.ts_init - tick.ts_event
                if seen == 0:
                    first = tick.ts_init
                last = tick.ts_init
                seen += 1
                if seen == count:
                    break
        malformed = stream.malformed
    ms = latencies[:seen] / 1e6
    return Run(
        prices=seen,
        seconds=(last - first) / 1e9,
        p50_ms=float(np.percentile(ms, 50)),
        p99_ms=float(np.percentile(ms, 99)),
        max_ms=float(ms.max()),
        malformed=malformed,
    )


def _reference_adapter(count: int) -> float:
    """Lines already in memory through decode_line + quote_tick: updates/s."""
    clock = _Clock()
    lines = [_line(clock, n).rstrip(b"\n") for n in range(count)]
    started = time.perf_counter()
    for line in lines:
        price = decode_line(line)
        if type(price) is StreamPrice:
            quote_tick(price, EUR_USD, PRECISION)
    return count / (time.perf_counter() - started)


def _reference_nautilus(count: int) -> float:
    """QuoteTicks from ready Price/Quantity objects: NautilusTrader's own cost, updates/s."""
    bid, ask = Price.from_str("1.10012"), Price.from_str("1.10024")
    size = Quantity.from_int(10_000_000)
    started = time.perf_counter()
    for n in range(count):
        QuoteTick(EUR_USD, bid, ask, size, size, n, n)
    return count / (time.perf_counter() - started)


class QuoteCounter(Strategy):  # type: ignore[misc]  # NautilusTrader is untyped (Cython)
    """A strategy that hears the quotes and stamps each one's latency from the price's time."""

    def __init__(self, instrument_id: InstrumentId, client_id: ClientId, capacity: int) -> None:
        super().__init__()
        self.instrument_id = instrument_id
        self.client_id = client_id
        self.latencies = np.empty(capacity, dtype=np.int64)
        self.quotes = 0
        self.first_ns = self.last_ns = 0

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self.instrument_id, client_id=self.client_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        now = time.time_ns()
        if self.quotes < len(self.latencies):
            self.latencies[self.quotes] = now - tick.ts_event
        if self.quotes == 0:
            self.first_ns = now
        self.last_ns = now
        self.quotes += 1

    def run_of(self) -> Run:
        ms = self.latencies[: min(self.quotes, len(self.latencies))] / 1e6
        return Run(
            prices=self.quotes,
            seconds=(self.last_ns - self.first_ns) / 1e9,
            p50_ms=float(np.percentile(ms, 50)),
            p99_ms=float(np.percentile(ms, 99)),
            max_ms=float(ms.max()),
            malformed=0,
        )

    def reset(self) -> None:
        self.quotes = self.first_ns = self.last_ns = 0


def _node_runs(port: int, account: str, count: int, repeats: int) -> list[Run]:
    """`repeats` windows of `count` quotes into a TradingNode's OANDA data client and on to a
    strategy's on_quote_tick (build_oanda_node: the adapter as a live session runs it)."""
    import tempfile
    from pathlib import Path

    from execution_engine.adapters.oanda.config import OANDA_CLIENT, OandaVenueConfig
    from execution_engine.live.node import build_oanda_node, run_until, start_node, stop_node

    venue = OandaVenueConfig(
        environment="sim", port=port, token_secret="bench_oanda_token", account_id=account,
        heartbeat_seconds=5.0, instruments=("EUR_USD",),
    )  # fmt: skip
    counter = QuoteCounter(EUR_USD, ClientId(OANDA_CLIENT), count)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-oanda-") as folder:
        node = build_oanda_node(
            venue, Path(folder), lambda _: SecretStr(TOKEN), [counter], trader_id="BENCH-001"
        )
        try:
            start_node(node)
            run_until(node, lambda: counter.quotes > 0, 30)
            for _ in range(repeats):
                counter.reset()
                run_until(node, lambda: counter.quotes >= count, 30 + count / 5_000)
                runs.append(counter.run_of())
        finally:
            stop_node(node)
    return runs


@dataclass
class Figures:
    """The medians the bench reports, with the goals."""

    flood_updates_per_second: float
    paced_rate_asked: float
    paced_updates_per_second: float
    paced_p50_ms: float
    paced_p99_ms: float
    paced_max_ms: float
    reference_adapter_per_second: float
    reference_nautilus_per_second: float
    malformed: int
    repeats: int
    source: str
    into: str
    machine: str
    goal_updates_per_second: float = GOAL_UPDATES_PER_SECOND
    goal_p99_ms: float = GOAL_P99_MS


def measure(args: argparse.Namespace) -> Figures:
    floods: list[Run] = []
    paced: list[Run] = []
    adapter: list[float] = []
    nautilus: list[float] = []
    paced_count = int(args.rate * args.seconds)
    with source(args.source, 0.0) as flood_at, source(args.source, args.rate) as paced_at:
        if args.into == "node":
            floods = _node_runs(*flood_at, args.count, args.repeats)
            paced = _node_runs(*paced_at, paced_count, args.repeats)
        for _ in range(args.repeats):
            if args.into == "handler":
                floods.append(asyncio.run(_consume(*flood_at, args.count)))
                paced.append(asyncio.run(_consume(*paced_at, paced_count)))
            adapter.append(_reference_adapter(min(args.count, 100_000)))
            nautilus.append(_reference_nautilus(min(args.count, 100_000)))
    med = statistics.median
    return Figures(
        flood_updates_per_second=med(r.per_second for r in floods),
        paced_rate_asked=args.rate,
        paced_updates_per_second=med(r.per_second for r in paced),
        paced_p50_ms=med(r.p50_ms for r in paced),
        paced_p99_ms=med(r.p99_ms for r in paced),
        paced_max_ms=med(r.max_ms for r in paced),
        reference_adapter_per_second=med(adapter),
        reference_nautilus_per_second=med(nautilus),
        malformed=sum(r.malformed for r in floods + paced),
        repeats=args.repeats,
        source=args.source,
        into=args.into,
        machine=machine(),
    )


def report(f: Figures) -> str:
    def verdict(ok: bool) -> str:
        return "meets the goal" if ok else "MISSES the goal"

    flood_ok = f.flood_updates_per_second >= f.goal_updates_per_second
    paced_ok = f.paced_p99_ms <= f.goal_p99_ms
    return "\n".join(
        [
            f"OANDA pricing stream ({f.source} source) -> "
            + ("a TradingNode strategy's on_quote_tick" if f.into == "node" else "QuoteTick")
            + ","
            f" median of {f.repeats} runs ({f.machine})",
            f"  sustained (flood):   {f.flood_updates_per_second:>10,.0f} updates/s"
            f"  goal >= {f.goal_updates_per_second:,.0f}: {verdict(flood_ok)}",
            f"  paced at {f.paced_rate_asked:,.0f}/s:    {f.paced_updates_per_second:>10,.0f}"
            f" updates/s, latency p50 {f.paced_p50_ms:.2f} ms, p99 {f.paced_p99_ms:.2f} ms,"
            f" max {f.paced_max_ms:.2f} ms  goal p99 <= {f.goal_p99_ms} ms: {verdict(paced_ok)}",
            f"  reference (a) adapter without the wire: {f.reference_adapter_per_second:,.0f}/s"
            f"  (stream/ref {f.flood_updates_per_second / f.reference_adapter_per_second:.2f})",
            f"  reference (b) NautilusTrader QuoteTick alone: "
            f"{f.reference_nautilus_per_second:,.0f}/s",
            f"  malformed lines: {f.malformed}",
        ]
    )


def _arguments(argv: list[str]) -> argparse.Namespace:
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--count", type=int, default=300_000, help="prices per flood run")
    parser.add_argument("--rate", type=float, default=GOAL_UPDATES_PER_SECOND, help="paced rate")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of a paced run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--source",
        choices=sorted(SOURCES),
        default="sim",
        help="the OANDA simulator in its benchmark mode, or the bench's own line writer",
    )
    parser.add_argument(
        "--into",
        choices=["node", "handler"],
        default="node",
        help="a TradingNode with the OANDA data client and a strategy, or the stream client"
        " and quote_tick alone (needs --source sim for node)",
    )
    parser.add_argument("--json", metavar="PATH", help="the figures as JSON ('-': stdout)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: one short repeat")
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.seconds, args.repeats = 50_000, 1.0, 1
    if args.into == "node" and args.source != "sim":
        parser.error("--into node needs --source sim (the node's client speaks to the simulator)")
    if args.count < 1 or args.seconds <= 0 or args.repeats < 1 or args.rate <= 0:
        parser.error("--count, --seconds, --repeats and --rate must be positive")
    return args


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    figures = measure(args)
    if args.json == "-":
        print(json.dumps(asdict(figures), indent=2))
    else:
        print(report(figures))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as out:
                json.dump(asdict(figures), out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
