"""What only the JetStream bus can meet: bytes on the stream written by someone else."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import nats
import pytest

from bus import Envelope, Tick
from bus.jetstream import JetStreamBus
from tests.fixtures.nats import BusBackend

pytestmark = pytest.mark.services


def test_undecodable_message_is_terminated_and_the_consumer_moves_on(
    jetstream_backend: BusBackend, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        bus = await jetstream_backend.connect()
        assert isinstance(bus, JetStreamBus)
        assert jetstream_backend.nats_url is not None
        raw = await nats.connect(jetstream_backend.nats_url)
        await raw.jetstream().publish(
            bus.subjects.ticks("EURUSD"), b'{"type": "tick", "version": 1}'
        )
        await raw.close()
        good = Tick(instrument="EURUSD", ts=datetime(2024, 1, 2, tzinfo=UTC), price=1.1, size=1.0)
        await bus.publish(bus.subjects.ticks("EURUSD"), Envelope.of(good, source="t", id="good"))
        sub = await bus.subscribe(bus.subjects.topic("md.ticks"), "poison", ack_wait=1.0)
        first = await sub.fetch(10, timeout=2.0)
        assert [d.envelope.id for d in first] == ["good"]
        await first[0].ack()
        assert sub.rejected == 1
        assert await sub.fetch(10, timeout=1.5) == []  # terminated: never redelivered
        await bus.close()

    asyncio.run(scenario())
    assert "terminated undecodable message" in caplog.text
    assert "missing field 'id'" in caplog.text or "payload" in caplog.text
