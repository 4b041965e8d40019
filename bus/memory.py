"""`InMemoryBus`: the JetStream semantics the project relies on, in one process.

One stream per bus (everything under the prefix), message-id de-duplication within a
window, durable consumers that keep their position, and redelivery of deliveries not
acknowledged within `ack_wait`. Messages are encoded and decoded exactly as on NATS so
size limits and schema errors surface in backtests too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bus.codec import encode_for
from bus.ledger import MemoryLedger
from bus.messages import Envelope
from bus.protocol import AppliedLedger, Delivery, PublishAck
from bus.schemas import MESSAGE_SCHEMAS, MessageSchemas
from bus.subjects import Subjects, subject_matches

DEFAULT_MAX_PAYLOAD = 1024 * 1024  # NATS server default max_payload


@dataclass(frozen=True)
class _Stored:
    sequence: int
    subject: str
    data: bytes


@dataclass
class _Consumer:
    filter: str
    ack_wait: float
    next_index: int = 0  # position in the log of the next never-delivered message
    pending: dict[int, tuple[float, int]] = field(
        default_factory=dict
    )  # seq -> (deadline, attempts)


class InMemoryBus:
    def __init__(
        self,
        prefix: str = "gauntlet",
        *,
        schemas: MessageSchemas = MESSAGE_SCHEMAS,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        duplicate_window: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._subjects = Subjects(prefix)
        self.schemas = schemas
        self._max_payload = max_payload
        self._window = duplicate_window
        self._clock = clock
        self._log: list[_Stored] = []
        self._ids: dict[str, tuple[int, float]] = {}  # msg id -> (sequence, stored at)
        self._consumers: dict[str, _Consumer] = {}
        self._arrived = asyncio.Event()

    @property
    def subjects(self) -> Subjects:
        return self._subjects

    @property
    def max_payload(self) -> int:
        return self._max_payload

    async def publish(self, subject: str, envelope: Envelope) -> PublishAck:
        data = encode_for(self._subjects, subject, envelope, self._max_payload)
        now = self._clock()
        self._forget_ids_before(now - self._window)
        seen = self._ids.get(envelope.id)
        if seen is not None:
            return PublishAck(sequence=seen[0], duplicate=True)
        sequence = len(self._log) + 1
        self._log.append(_Stored(sequence, subject, data))
        self._ids[envelope.id] = (sequence, now)
        self._arrived.set()
        return PublishAck(sequence=sequence, duplicate=False)

    async def subscribe(
        self,
        subject: str,
        durable: str,
        *,
        ack_wait: float = 30.0,
        ledger: AppliedLedger | None = None,
    ) -> MemorySubscription:
        consumer = self._consumers.setdefault(durable, _Consumer(subject, ack_wait))
        return MemorySubscription(self, durable, consumer, ledger or MemoryLedger())

    async def close(self) -> None:
        self._arrived.set()

    def _forget_ids_before(self, cutoff: float) -> None:
        """Drop ids older than the window, as the server does; `_ids` is in publish-time order."""
        while self._ids:
            oldest = next(iter(self._ids))
            if self._ids[oldest][1] > cutoff:
                return
            del self._ids[oldest]

    def stream_length(self) -> int:
        return len(self._log)

    def _take(self, consumer: _Consumer, limit: int) -> list[tuple[_Stored, int]]:
        """Expired pending deliveries first (redelivery), then new matching messages."""
        now = self._clock()
        taken: list[tuple[_Stored, int]] = []
        for seq, (deadline, attempts) in sorted(consumer.pending.items()):
            if len(taken) >= limit:
                return taken
            if deadline <= now:
                consumer.pending[seq] = (now + consumer.ack_wait, attempts + 1)
                taken.append((self._log[seq - 1], attempts + 1))
        while len(taken) < limit and consumer.next_index < len(self._log):
            stored = self._log[consumer.next_index]
            consumer.next_index += 1
            if subject_matches(consumer.filter, stored.subject):
                consumer.pending[stored.sequence] = (now + consumer.ack_wait, 1)
                taken.append((stored, 1))
        return taken

    def _next_deadline(self, consumer: _Consumer) -> float | None:
        return min((d for d, _ in consumer.pending.values()), default=None)


class MemorySubscription:
    def __init__(
        self, bus: InMemoryBus, durable: str, consumer: _Consumer, ledger: AppliedLedger
    ) -> None:
        self.durable = durable
        self._bus = bus
        self._consumer = consumer
        self._ledger = ledger
        self._closed = False

    async def fetch(self, max_messages: int = 100, timeout: float = 1.0) -> list[Delivery]:
        end = self._bus._clock() + timeout
        while not self._closed:
            deliveries = self._deliveries(self._bus._take(self._consumer, max_messages))
            if deliveries:
                return deliveries
            remaining = end - self._bus._clock()
            if remaining <= 0:
                return []
            await self._wait(remaining)
        return []

    async def close(self) -> None:
        self._closed = True

    def _deliveries(self, taken: list[tuple[_Stored, int]]) -> list[Delivery]:
        out: list[Delivery] = []
        for stored, attempt in taken:
            envelope = self._bus.schemas.decode(stored.data, stored.subject)
            if self._ledger.seen(envelope.id):
                # Applied before (a redelivery or a re-publish outside the window): settle it.
                self._consumer.pending.pop(stored.sequence, None)
                continue
            out.append(Delivery(stored.subject, envelope, attempt, self._acker(stored, envelope)))
        return out

    def _acker(self, stored: _Stored, envelope: Envelope) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            self._ledger.record(envelope.id)
            self._consumer.pending.pop(stored.sequence, None)

        return ack

    async def _wait(self, remaining: float) -> None:
        """Sleep until a publish, the next redelivery deadline, or the fetch timeout."""
        deadline = self._bus._next_deadline(self._consumer)
        if deadline is not None:
            remaining = min(remaining, max(deadline - self._bus._clock(), 0.0) + 1e-3)
        self._bus._arrived.clear()
        try:
            await asyncio.wait_for(self._bus._arrived.wait(), timeout=remaining)
        except TimeoutError:
            return
