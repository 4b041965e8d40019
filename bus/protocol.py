"""The bus interface shared by `JetStreamBus` (live) and `InMemoryBus` (backtests, tests)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bus.messages import Envelope
from bus.subjects import Subjects


@dataclass(frozen=True)
class PublishAck:
    """The stream sequence the message was stored at; `duplicate` when the id was seen."""

    sequence: int
    duplicate: bool


@dataclass
class Delivery:
    """One delivered message; `ack()` marks it applied so it is neither redelivered nor reapplied."""

    subject: str
    envelope: Envelope
    attempt: int  # 1 on first delivery, > 1 on redelivery
    _ack: Callable[[], Awaitable[None]] = field(repr=False)

    async def ack(self) -> None:
        await self._ack()


class Subscription(Protocol):
    durable: str

    async def fetch(self, max_messages: int = 100, timeout: float = 1.0) -> list[Delivery]:
        """Up to `max_messages` unapplied deliveries; empty after `timeout` seconds without any."""

    async def close(self) -> None:
        """Stop receiving; unacknowledged deliveries are redelivered to the next subscriber."""


class Bus(Protocol):
    @property
    def subjects(self) -> Subjects:
        """Subject names under this bus's prefix."""

    @property
    def max_payload(self) -> int:
        """Largest encoded message the server accepts, in bytes."""

    async def publish(self, subject: str, envelope: Envelope) -> PublishAck:
        """Store `envelope` on `subject`; a second publish of the same id is dropped."""

    async def subscribe(
        self,
        subject: str,
        durable: str,
        *,
        ack_wait: float = 30.0,
        ledger: AppliedLedger | None = None,
    ) -> Subscription:
        """Attach to (or create) the durable consumer `durable` filtered on `subject`."""

    async def close(self) -> None: ...


class AppliedLedger(Protocol):
    """Ids a consumer has already applied, consulted synchronously for every delivery.

    `seen` true: the subscription acks the delivery and does not hand it over. `record` is
    called by `Delivery.ack` just before the ack, so it must only note an id whose state change
    is already durable. Surviving a crash between "apply" and "ack" (the redelivery goes to a new
    process) takes a ledger backed by the consumer's own store, written in the transaction that
    applies the message: `live.state.PostgresLedger`. `MemoryLedger` covers one process only.
    """

    def seen(self, message_id: str) -> bool: ...

    def record(self, message_id: str) -> None: ...
