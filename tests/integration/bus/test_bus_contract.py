"""One contract, two buses: every test runs against InMemoryBus and JetStreamBus (real NATS)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import pytest

from bus import (
    Bar,
    Delivery,
    Envelope,
    InvalidSubjectError,
    MemoryLedger,
    MessageTooLargeError,
    SubjectTypeMismatchError,
    Subscription,
    Target,
    Tick,
)
from tests.fixtures.nats import BusBackend

pytestmark = pytest.mark.services

T0 = datetime(2024, 1, 2, 9, 30, tzinfo=UTC)


def bar(i: int, instrument: str = "EURUSD") -> Bar:
    return Bar(
        instrument=instrument,
        timeframe="1m",
        start=T0,
        open=1.0 + i,
        high=2.0 + i,
        low=0.5 + i,
        close=1.5 + i,
        volume=10.0,
        ticks=3,
    )


def bar_envelope(i: int, instrument: str = "EURUSD") -> Envelope:
    return Envelope.of(bar(i, instrument), source="test", id=f"bar-{instrument}-{i}")


def run(backend: BusBackend, scenario: Callable[[BusBackend], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario(backend))


async def drain(sub: Subscription, expected: int, timeout: float = 10.0) -> list[Delivery]:
    """Fetch until `expected` deliveries arrived or `timeout` seconds passed (a loaded CI
    machine may need several fetches)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    got: list[Delivery] = []
    while len(got) < expected and (remaining := deadline - loop.time()) > 0:
        got.extend(await sub.fetch(100, timeout=min(remaining, 2.0)))
    return got


def test_published_message_arrives_typed_and_intact(bus_backend: BusBackend) -> None:
    async def scenario(backend: BusBackend) -> None:
        bus = await backend.connect()
        sent = bar_envelope(1)
        ack = await bus.publish(bus.subjects.bars("EURUSD"), sent)
        sub = await bus.subscribe(bus.subjects.topic("md.bars"), "reader")
        [delivery] = await drain(sub, 1)
        assert ack.duplicate is False
        assert delivery.envelope == sent
        assert isinstance(delivery.envelope.payload, Bar)
        assert delivery.subject == f"{backend.prefix}.md.bars.EURUSD"
        assert delivery.attempt == 1
        await delivery.ack()
        await bus.close()

    run(bus_backend, scenario)


def test_republished_id_is_dropped_and_consumed_once(bus_backend: BusBackend) -> None:
    async def scenario(backend: BusBackend) -> None:
        bus = await backend.connect()
        subject = bus.subjects.bars("EURUSD")
        first = await bus.publish(subject, bar_envelope(1))
        again = await bus.publish(subject, bar_envelope(1))
        other = await bus.publish(subject, bar_envelope(2))
        assert (first.duplicate, again.duplicate, other.duplicate) == (False, True, False)
        assert again.sequence == first.sequence
        sub = await bus.subscribe(subject, "once")
        got = await drain(sub, 2)
        assert [d.envelope.id for d in got] == ["bar-EURUSD-1", "bar-EURUSD-2"]
        assert await sub.fetch(10, timeout=1.0) == []
        await bus.close()

    run(bus_backend, scenario)


def test_after_the_window_the_stream_stores_again_but_the_consumer_does_not_reapply(
    bus_backend: BusBackend,
) -> None:
    async def scenario(backend: BusBackend) -> None:
        bus = await backend.connect(duplicate_window=1.0)
        subject = bus.subjects.bars("EURUSD")
        sub = await bus.subscribe(subject, "window")
        await bus.publish(subject, bar_envelope(1))
        [first] = await drain(sub, 1)
        await first.ack()
        await asyncio.sleep(1.2)
        late = await bus.publish(subject, bar_envelope(1))  # a replay outside the window
        assert late.duplicate is False
        assert await sub.fetch(10, timeout=1.0) == []  # the subscription's ledger knows the id
        await bus.close()

    run(bus_backend, scenario)


def test_durable_consumer_resumes_where_it_acknowledged(bus_backend: BusBackend) -> None:
    async def scenario(backend: BusBackend) -> None:
        bus = await backend.connect()
        for i in range(5):
            await bus.publish(bus.subjects.bars("EURUSD"), bar_envelope(i))
        sub = await bus.subscribe(bus.subjects.topic("md.bars"), "resume")
        batch = await sub.fetch(3, timeout=3.0)
        for delivery in batch:
            await delivery.ack()
        await sub.close()
        again = await (await backend.connect()).subscribe(bus.subjects.topic("md.bars"), "resume")
        rest = await drain(again, 2)
        assert [d.envelope.id for d in batch] == [f"bar-EURUSD-{i}" for i in range(3)]
        assert [d.envelope.id for d in rest] == ["bar-EURUSD-3", "bar-EURUSD-4"]
        assert await again.fetch(10, timeout=0.5) == []
        await bus.close()

    run(bus_backend, scenario)


def test_each_durable_consumer_sees_every_message(bus_backend: BusBackend) -> None:
    async def scenario(backend: BusBackend) -> None:
        bus = await backend.connect()
        for i in range(3):
            await bus.publish(bus.subjects.bars("EURUSD"), bar_envelope(i))
        a = await bus.subscribe(bus.subjects.topic("md.bars"), "risk")
        b = await bus.subscribe(bus.subjects.topic("md.bars"), "monitor")
        assert len(await drain(a, 3)) == 3
        assert len(await drain(b, 3)) == 3
        await bus.close()

    run(bus_backend, scenario)


def test_subject_filter_selects_topic_and_key(bus_backend: BusBackend) -> None:
    async def scenario(backend: BusBackend) -> None:
        bus = await backend.connect()
        s = bus.subjects
        await bus.publish(s.bars("EURUSD"), bar_envelope(1, "EURUSD"))
        await bus.publish(s.bars("GBPUSD"), bar_envelope(1, "GBPUSD"))
        target = Target(strategy="sma", instrument="EURUSD", ts=T0, target=0.5)
        await bus.publish(s.targets("sma"), Envelope.of(target, source="test"))
        only_gbp = await drain(await bus.subscribe(s.bars("GBPUSD"), "gbp"), 1)
        targets = await drain(await bus.subscribe(s.topic("targets"), "targets"), 1)
        assert [d.envelope.id for d in only_gbp] == ["bar-GBPUSD-1"]
        assert [type(d.envelope.payload) for d in targets] == [Target]
        await bus.close()

    run(bus_backend, scenario)


def test_consumer_dying_before_ack_gets_redelivered_and_applied_once(
    bus_backend: BusBackend,
) -> None:
    async def scenario(backend: BusBackend) -> None:
        bus = await backend.connect()
        for i in range(3):
            await bus.publish(bus.subjects.bars("EURUSD"), bar_envelope(i))
        applied: list[str] = []
        doomed = await bus.subscribe(bus.subjects.topic("md.bars"), "worker", ack_wait=1.0)
        assert len(await drain(doomed, 3)) == 3
        await doomed.close()  # dies: received, never applied, never acknowledged
        survivor_bus = await backend.connect()
        survivor = await survivor_bus.subscribe(
            bus.subjects.topic("md.bars"), "worker", ack_wait=1.0
        )
        for delivery in await drain(survivor, 3):
            applied.append(delivery.envelope.id)
            assert delivery.attempt == 2
            await delivery.ack()
        assert await survivor.fetch(10, timeout=1.5) == []  # acknowledged: no third delivery
        assert applied == [f"bar-EURUSD-{i}" for i in range(3)]
        await survivor_bus.close()
        await bus.close()

    run(bus_backend, scenario)


def test_crash_between_apply_and_ack_does_not_apply_twice(bus_backend: BusBackend) -> None:
    async def scenario(backend: BusBackend) -> None:
        bus = await backend.connect()
        await bus.publish(bus.subjects.bars("EURUSD"), bar_envelope(7))
        # One ledger shared by both "processes" stands in for the consumer's durable store; the
        # real thing (PostgreSQL, a killed OS process) is test_durable_ledger.py's
        # test_consumer_process_killed_after_commit_is_not_applied_twice.
        ledger = MemoryLedger()
        applied: list[str] = []
        first = await bus.subscribe(
            bus.subjects.topic("md.bars"), "ledgered", ack_wait=1.0, ledger=ledger
        )
        [delivery] = await drain(first, 1)
        applied.append(delivery.envelope.id)
        ledger.record(delivery.envelope.id)  # applied and recorded together...
        await first.close()  # ...then the process died before acknowledging
        second_bus = await backend.connect()
        second = await second_bus.subscribe(
            bus.subjects.topic("md.bars"), "ledgered", ack_wait=1.0, ledger=ledger
        )
        assert await second.fetch(10, timeout=2.5) == []  # redelivered, recognised, settled
        assert await second.fetch(10, timeout=1.5) == []  # and not delivered yet again
        assert applied == ["bar-EURUSD-7"]
        await second_bus.close()
        await bus.close()

    run(bus_backend, scenario)


def test_oversized_message_is_rejected_before_sending(bus_backend: BusBackend) -> None:
    async def scenario(backend: BusBackend) -> None:
        bus = await backend.connect()
        huge = Tick(instrument="X" * bus.max_payload, ts=T0, price=1.0, size=1.0)
        with pytest.raises(
            MessageTooLargeError, match=r"is \d+ bytes; the server accepts at most \d+"
        ):
            await bus.publish(bus.subjects.ticks("X"), Envelope.of(huge, source="test", id="huge"))
        await bus.publish(
            bus.subjects.ticks("X"),
            Envelope.of(
                Tick(instrument="X", ts=T0, price=1.0, size=1.0), source="test", id="small"
            ),
        )
        sub = await bus.subscribe(bus.subjects.topic("md.ticks"), "sizes")
        assert [d.envelope.id for d in await drain(sub, 1)] == ["small"]
        assert await sub.fetch(10, timeout=1.0) == []  # nothing of the huge one was sent
        await bus.close()

    run(bus_backend, scenario)


def test_message_type_must_match_its_topic(bus_backend: BusBackend) -> None:
    async def scenario(backend: BusBackend) -> None:
        bus = await backend.connect()
        with pytest.raises(SubjectTypeMismatchError, match=r"topic 'md\.ticks' carries 'tick'"):
            await bus.publish(bus.subjects.ticks("EURUSD"), bar_envelope(1))
        with pytest.raises(InvalidSubjectError, match="not under prefix"):
            await bus.publish("elsewhere.md.bars.EURUSD", bar_envelope(1))
        await bus.close()

    run(bus_backend, scenario)


def test_fetch_without_messages_returns_empty_after_timeout(bus_backend: BusBackend) -> None:
    async def scenario(backend: BusBackend) -> None:
        bus = await backend.connect()
        sub = await bus.subscribe(bus.subjects.topic("md.bars"), "idle")
        assert await sub.fetch(10, timeout=0.3) == []
        await bus.close()

    run(bus_backend, scenario)
