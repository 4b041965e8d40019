"""The two chunked streams: prices (`/pricing/stream`) and transactions
(`/transactions/stream`), each a line of JSON per message and a heartbeat every
`heartbeat_interval` seconds.

Lines are handed to each open stream's queue by `StreamHub` (from any thread) and written
in batches: everything queued goes out in one `write`, which is what lets one client
receive tens of thousands of prices a second. In the benchmark mode (`SimConfig.stream_rate`
set) a pricing stream replays the whole precomputed series by itself, each batch stamped
with the moment it is written so the reader can measure latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aiohttp import web

from execution_engine.adapters.oanda.sim.faults import Faults
from execution_engine.adapters.oanda.sim.market import Market
from execution_engine.adapters.oanda.sim.wire import now

QUEUE_LIMIT = 50_000  # a reader this far behind loses prices (OANDA conflates), not memory
FAST_BATCH = 512
MALFORMED = b'{"type":"PRICE","instrument":"EUR_USD","bids":[{"pri\n'


@dataclass(eq=False)
class Subscriber:
    """One open stream: its queue and, for prices, the instruments it asked for."""

    queue: asyncio.Queue[bytes]
    loop: asyncio.AbstractEventLoop
    instruments: frozenset[str] = frozenset()
    dropped: int = 0

    def offer(self, line: bytes) -> None:
        self.loop.call_soon_threadsafe(self._put, line)

    def _put(self, line: bytes) -> None:
        try:
            self.queue.put_nowait(line)
        except asyncio.QueueFull:
            self.dropped += 1


@dataclass
class StreamHub:
    """The open streams; `publish_*` may be called from any thread."""

    prices: set[Subscriber] = field(default_factory=set)
    transactions: set[Subscriber] = field(default_factory=set)

    def publish_price(self, instrument: str, line: bytes) -> None:
        for subscriber in list(self.prices):
            if instrument in subscriber.instruments:
                subscriber.offer(line)

    def publish_transaction(self, line: bytes) -> None:
        for subscriber in list(self.transactions):
            subscriber.offer(line)

    @property
    def open_streams(self) -> int:
        return len(self.prices) + len(self.transactions)


def heartbeat_line(last_transaction_id: str | None) -> bytes:
    if last_transaction_id is None:
        return f'{{"type":"HEARTBEAT","time":"{now()}"}}\n'.encode()
    return f'{{"type":"HEARTBEAT","lastTransactionID":"{last_transaction_id}","time":"{now()}"}}\n'.encode()


async def open_stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/octet-stream"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    return response


def _cut(request: web.Request) -> None:
    """Drop the connection without ending the chunked body, as a network failure would."""
    if request.transport is not None:
        request.transport.abort()


async def serve_queue(
    request: web.Request, response: web.StreamResponse, subscriber: Subscriber, faults: Faults,
    interval: float, last_id: Callable[[], str | None], pricing: bool,
) -> None:  # fmt: skip
    """Write queued lines and heartbeats until the client leaves or a fault drops it."""
    generation = faults.stream_generation
    next_beat = time.monotonic() + interval
    while True:
        timeout = max(next_beat - time.monotonic(), 0.0)
        chunk: list[bytes] = []
        if timeout > 0 and subscriber.queue.empty():
            with contextlib.suppress(TimeoutError):
                chunk.append(await asyncio.wait_for(subscriber.queue.get(), min(timeout, 0.2)))
        while not subscriber.queue.empty():
            chunk.append(subscriber.queue.get_nowait())
        if faults.stream_generation != generation:
            _cut(request)
            return
        if faults.stalled:
            next_beat = time.monotonic() + interval
            continue
        if pricing and faults.malformed_lines > 0:
            chunk.insert(0, MALFORMED * faults.malformed_lines)
            faults.malformed_lines = 0
        if time.monotonic() >= next_beat:
            chunk.append(heartbeat_line(last_id()))
            next_beat = time.monotonic() + interval
        if chunk:
            await response.write(b"".join(chunk))


async def serve_fast(
    request: web.Request, response: web.StreamResponse, market: Market,
    instruments: Sequence[str], faults: Faults, interval: float, rate: float,
) -> None:  # fmt: skip
    """The benchmark replay: the series of `instruments`, interleaved, in batches."""
    tails = _interleave([market.fast_lines(name) for name in instruments])
    if not tails:
        return
    generation = faults.stream_generation
    # paced: about a batch a millisecond, so a line waits at most ~1 ms for its write
    size = FAST_BATCH if rate <= 0 else max(1, min(FAST_BATCH, int(rate / 1000)))
    started = time.monotonic()
    next_beat = started + interval
    sent = 0
    position = 0
    while True:
        if faults.stream_generation != generation:
            _cut(request)
            return
        if faults.stalled:
            await asyncio.sleep(0.05)
            continue
        batch = tails[position : position + size]
        position = (position + size) % len(tails)
        head = f'{{"type":"PRICE","time":"{now()}'.encode()
        parts = [head.join([b"", *batch])]
        if faults.malformed_lines > 0:
            parts.insert(0, MALFORMED * faults.malformed_lines)
            faults.malformed_lines = 0
        if time.monotonic() >= next_beat:
            parts.append(heartbeat_line(None))
            next_beat = time.monotonic() + interval
        await response.write(b"".join(parts))
        sent += len(batch)
        if rate > 0:
            ahead = sent / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)


def _interleave(series: list[list[bytes]]) -> list[bytes]:
    if len(series) == 1:
        return series[0]
    return [line for group in zip(*series, strict=False) for line in group]
