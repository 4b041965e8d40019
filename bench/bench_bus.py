"""Bus round trip: publish one message → a durable pull consumer receives it → ack, one at a time.

JetStreamBus on the system NATS (127.0.0.1:4222; an embedded nats-server from the wheel
when it is not running), with InMemoryBus in the same run as the reference. Each sample
is one Bar envelope (about 300 bytes): publish waits for the server's PubAck (message is
stored), then fetch returns it and it is acknowledged. Also reports publish-only
throughput (sequential, each waiting for its PubAck).

Run: python -m bench.bench_bus [--messages 2000] [--url nats://127.0.0.1:4222]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench._common import machine
from bus import Bar, Envelope, InMemoryBus
from bus.jetstream import JetStreamBus

SAMPLE = Bar(
    instrument="EURUSD",
    timeframe="1m",
    start=datetime(2024, 1, 2, tzinfo=UTC),
    open=1.1,
    high=1.2,
    low=1.0,
    close=1.15,
    volume=1e3,
    ticks=42,
)


async def round_trips(bus: InMemoryBus | JetStreamBus, n: int, tag: str) -> np.ndarray:
    subject = bus.subjects.bars(tag)  # own subject per run: the consumer sees only its messages
    sub = await bus.subscribe(subject, f"bench-{tag}")
    latencies = np.empty(n)
    for i in range(n):
        start = time.perf_counter()
        await bus.publish(subject, Envelope.of(SAMPLE, source="bench", id=f"{tag}-{i}"))
        [delivery] = await sub.fetch(1, timeout=5.0)
        assert delivery.envelope.id == f"{tag}-{i}"
        await delivery.ack()
        latencies[i] = time.perf_counter() - start
    await sub.close()
    return latencies


async def publish_rate(bus: InMemoryBus | JetStreamBus, n: int) -> float:
    subject = bus.subjects.bars("publish")
    start = time.perf_counter()
    for i in range(n):
        await bus.publish(subject, Envelope.of(SAMPLE, source="bench", id=f"pub-{i}"))
    return n / (time.perf_counter() - start)


async def bench_jetstream(url: str, n: int) -> tuple[np.ndarray, float]:
    bus = await JetStreamBus.connect(url, prefix="bench" + uuid.uuid4().hex[:8])
    try:
        await round_trips(bus, 50, "warm")  # connection, consumer creation
        latencies = await round_trips(bus, n, "run")
        rate = await publish_rate(bus, n)
    finally:
        await bus.delete_stream()
        await bus.close()
    return latencies, rate


async def bench_memory(n: int) -> tuple[np.ndarray, float]:
    bus = InMemoryBus("bench")
    await round_trips(bus, 50, "warm")
    return await round_trips(bus, n, "run"), await publish_rate(bus, n)


def system_nats_up(url: str) -> bool:
    host, _, port = url.removeprefix("nats://").partition(":")
    try:
        with socket.create_connection((host, int(port or 4222)), timeout=0.5):
            return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--url", default="nats://127.0.0.1:4222")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"command: python -m bench.bench_bus {' '.join(sys.argv[1:])}")
    embedded_dir = None
    url = args.url
    if not system_nats_up(url):
        from live.stack.nats import EmbeddedNats

        embedded_dir = Path(tempfile.mkdtemp(prefix="bench-nats-"))
        url = EmbeddedNats().start(embedded_dir).url
    try:
        results = {
            "InMemoryBus (reference)": asyncio.run(bench_memory(args.messages)),
            f"JetStreamBus {url}{' (embedded)' if embedded_dir else ''}": asyncio.run(
                bench_jetstream(url, args.messages)
            ),
        }
    finally:
        if embedded_dir is not None:
            from live.stack.nats import EmbeddedNats

            EmbeddedNats().stop(embedded_dir)
    print(f"{'bus':<48}{'n':>7}{'p50 µs':>10}{'p99 µs':>10}{'max µs':>10}{'publish/s':>12}")
    for name, (latencies, rate) in results.items():
        p50, p99, worst = np.percentile(latencies, [50, 99, 100]) * 1e6
        print(f"{name:<48}{len(latencies):>7}{p50:>10.0f}{p99:>10.0f}{worst:>10.0f}{rate:>12,.0f}")
    (mem_lat, _), (js_lat, _) = results.values()
    print(f"JetStream / in-memory p50 ratio: {np.median(js_lat) / np.median(mem_lat):.1f}x")


if __name__ == "__main__":
    main()
