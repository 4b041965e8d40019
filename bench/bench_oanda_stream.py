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

Until the OANDA data client (adapters/oanda/data.py) is wired into a node here, the handler is
the end of the measured path: a TradingNode's data engine is not in these figures.

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
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from aiohttp import web
from execution_engine.adapters.oanda.quotes import StreamPrice, decode_line, quote_tick
from execution_engine.adapters.oanda.v20.client import V20Client
from execution_engine.adapters.oanda.v20.endpoints import endpoint_for
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity
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
    plan = request.app["plan"]
    count, rate = int(plan["count"]), float(plan["rate"])
    response = web.StreamResponse()
    await response.prepare(request)
    with contextlib.suppress(ConnectionError):  # the client hangs up once it has every price
        await _write_prices(response, count, rate)
    return response


async def _write_prices(response: web.StreamResponse, count: int, rate: float) -> None:
    clock = _Clock()
    await response.write(_HEARTBEAT)
    if rate <= 0:  # flood: as fast as the connection drains
        for start in range(0, count, _BATCH):
            await response.write(b"".join(_line(clock, n) for n in range(start, start + _BATCH)))
    else:  # paced: every millisecond, the lines due by then
        began, sent = time.perf_counter(), 0
        while sent < count:
            due = min(count, int((time.perf_counter() - began) * rate))
            if due > sent:
                await response.write(b"".join(_line(clock, n) for n in range(sent, due)))
                sent = due
            await asyncio.sleep(0.001)
    while True:
        await response.write(_HEARTBEAT)
        await asyncio.sleep(1.0)


async def _set_plan(request: web.Request) -> web.Response:
    request.app["plan"] = await request.json()
    return web.Response(text="ok")


def serve_source(port_out: Any) -> None:
    """The source process: serve until killed, telling the parent its port."""

    async def serve() -> None:
        app = web.Application()
        app["plan"] = {"count": 0, "rate": 0}
        app.add_routes(
            [
                web.get("/v3/accounts/{id}/pricing/stream", _stream),
                web.post("/__bench__/plan", _set_plan),
            ]
        )
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_out.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(serve())


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


async def _consume(port: int, count: int, rate: float) -> Run:
    import httpx

    async with httpx.AsyncClient() as control:
        plan = {"count": count, "rate": rate}
        (
            await control.post(f"http://127.0.0.1:{port}/__bench__/plan", json=plan)
        ).raise_for_status()
    latencies = np.empty(count, dtype=np.int64)
    seen = 0
    first = last = 0
    async with V20Client(endpoint_for("127.0.0.1", port), SecretStr(TOKEN)) as api:
        stream = api.price_stream_of(StreamPrice, ACCOUNT, ["EUR_USD"], heartbeat_interval=5.0)
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
    machine: str
    goal_updates_per_second: float = GOAL_UPDATES_PER_SECOND
    goal_p99_ms: float = GOAL_P99_MS


def measure(args: argparse.Namespace) -> Figures:
    context = mp.get_context("spawn")
    ports: Any = context.Queue()
    source = context.Process(target=serve_source, args=(ports,), daemon=True)
    source.start()
    try:
        port = int(ports.get(timeout=60))
        floods: list[Run] = []
        paced: list[Run] = []
        adapter: list[float] = []
        nautilus: list[float] = []
        paced_count = int(args.rate * args.seconds)
        for _ in range(args.repeats):
            floods.append(asyncio.run(_consume(port, args.count, 0.0)))
            paced.append(asyncio.run(_consume(port, paced_count, args.rate)))
            adapter.append(_reference_adapter(min(args.count, 100_000)))
            nautilus.append(_reference_nautilus(min(args.count, 100_000)))
    finally:
        source.kill()
        source.join(10)
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
        machine=machine(),
    )


def report(f: Figures) -> str:
    def verdict(ok: bool) -> str:
        return "meets the goal" if ok else "MISSES the goal"

    flood_ok = f.flood_updates_per_second >= f.goal_updates_per_second
    paced_ok = f.paced_p99_ms <= f.goal_p99_ms
    return "\n".join(
        [
            f"OANDA pricing stream -> QuoteTick, median of {f.repeats} runs ({f.machine})",
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
    parser.add_argument("--json", metavar="PATH", help="the figures as JSON ('-': stdout)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: one short repeat")
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.seconds, args.repeats = 50_000, 1.0, 1
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
