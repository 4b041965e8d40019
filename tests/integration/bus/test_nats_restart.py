"""Fault: the NATS server restarts in the middle of a publishing run.

The server is an embedded one this test owns (file store, same port after restart). The
publisher retries with backoff under the same message ids; afterwards the stream holds
every message exactly once and a durable consumer applies each exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bus import Backoff, Envelope, Tick
from bus.jetstream import JetStreamBus
from live.stack.nats import EmbeddedNats

pytestmark = [pytest.mark.services, pytest.mark.slow]

N = 300
RESTART_AFTER = 100


def tick(i: int) -> Envelope:
    payload = Tick(
        instrument="EURUSD", ts=datetime(2024, 1, 2, tzinfo=UTC), price=1.0 + i / 1e4, size=1.0
    )
    return Envelope.of(payload, source="restart-test", id=f"tick-{i}")


async def start_later(server: EmbeddedNats, data_dir: Path) -> None:
    await asyncio.sleep(0.5)  # publishes in this gap find no server and must retry
    await asyncio.to_thread(server.start, data_dir)


async def publish_through_restart(url: str, server: EmbeddedNats, data_dir: Path) -> list[bool]:
    bus = await JetStreamBus.connect(
        url,
        prefix="restart",
        publish_timeout=0.5,
        backoff=Backoff(attempts=40, first=0.05, cap=0.5),
    )
    duplicates = []
    restarting: asyncio.Task[None] | None = None
    for i in range(N):
        if i == RESTART_AFTER:
            await asyncio.to_thread(server.stop, data_dir)
            restarting = asyncio.create_task(start_later(server, data_dir))
        ack = await bus.publish(bus.subjects.ticks("EURUSD"), tick(i))
        duplicates.append(ack.duplicate)
    assert restarting is not None
    await restarting
    await bus.close()
    return duplicates


async def consume_all(url: str) -> tuple[list[str], int]:
    bus = await JetStreamBus.connect(url, prefix="restart")
    stored = await bus.stored_messages()
    sub = await bus.subscribe(bus.subjects.topic("md.ticks"), "after-restart")
    applied: list[str] = []
    while batch := await sub.fetch(100, timeout=1.0):
        for delivery in batch:
            applied.append(delivery.envelope.id)
            await delivery.ack()
    await bus.close()
    return applied, stored


def test_server_restart_mid_stream_loses_and_duplicates_nothing(
    embedded_nats_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bus.jetstream")
    server = EmbeddedNats()
    url = server.start(embedded_nats_dir).url
    restarts_before = server.status(embedded_nats_dir)
    asyncio.run(publish_through_restart(url, server, embedded_nats_dir))
    restarted = server.status(embedded_nats_dir)
    applied, stored = asyncio.run(consume_all(url))
    assert restarts_before is not None
    assert restarted is not None
    assert restarted.pid != restarts_before.pid  # it really was a new server process
    assert restarted.url == url
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert retries, "no publish had to retry: the restart did not happen mid-stream"
    assert stored == N
    assert applied == [f"tick-{i}" for i in range(N)]
