"""`JetStreamBus`: the bus on NATS JetStream (nats-py).

De-duplication happens twice: the server drops a re-publish whose `Nats-Msg-Id` it has
seen within the stream's duplicate window, and every subscription skips ids its ledger
has applied, so a redelivery (crash before ack, ack lost) is never applied twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig
from pydantic import SecretStr

from bus.codec import encode_for
from bus.errors import BusError, MessageDecodeError, PublishFailedError
from bus.ledger import MemoryLedger
from bus.messages import Envelope
from bus.protocol import AppliedLedger, Delivery, PublishAck
from bus.retry import Backoff
from bus.schemas import MESSAGE_SCHEMAS, MessageSchemas
from bus.subjects import Subjects, check_token

log = logging.getLogger(__name__)

MSG_ID_HEADER = "Nats-Msg-Id"

# Worth retrying: the server is restarting, electing, or the reply was lost on the way.
_TRANSIENT: tuple[type[Exception], ...] = (
    TimeoutError,  # nats.errors.TimeoutError and the plain asyncio one
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.ServerError,
)


def stream_name_for(prefix: str) -> str:
    return prefix.replace(".", "_").upper() + "_EVENTS"


class JetStreamBus:
    def __init__(
        self,
        client: NatsClient,
        *,
        prefix: str = "gauntlet",
        schemas: MessageSchemas = MESSAGE_SCHEMAS,
        duplicate_window: float = 120.0,
        publish_timeout: float = 2.0,
        backoff: Backoff | None = None,
    ) -> None:
        self._subjects = Subjects(prefix)
        self.stream = stream_name_for(prefix)
        self.schemas = schemas
        self._nc = client
        self._js: JetStreamContext = client.jetstream()
        self._window = duplicate_window
        self._publish_timeout = publish_timeout
        self._backoff = backoff or Backoff()

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        prefix: str = "gauntlet",
        duplicate_window: float = 120.0,
        publish_timeout: float = 2.0,
        backoff: Backoff | None = None,
        token: SecretStr | None = None,
    ) -> JetStreamBus:
        """Connect (reconnecting forever: a restarted server is picked up) and ensure the stream."""
        client = await nats.connect(
            url,
            token=token.get_secret_value() if token is not None else None,
            name=f"gauntlet-{prefix}",
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.2,
            connect_timeout=2,
        )
        bus = cls(
            client,
            prefix=prefix,
            duplicate_window=duplicate_window,
            publish_timeout=publish_timeout,
            backoff=backoff,
        )
        await bus.ensure_stream()
        return bus

    @property
    def subjects(self) -> Subjects:
        return self._subjects

    @property
    def max_payload(self) -> int:
        return int(self._nc.max_payload)

    async def ensure_stream(self) -> None:
        """Create the prefix's stream unless it exists; safe to call from many processes."""
        config = StreamConfig(
            name=self.stream,
            subjects=[self._subjects.everything()],
            storage=StorageType.FILE,
            duplicate_window=self._window,
        )
        try:
            await self._js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            try:
                await self._js.add_stream(config)
            except nats.js.errors.BadRequestError:
                await self._js.stream_info(self.stream)  # created concurrently by another process

    async def delete_stream(self) -> None:
        await self._js.delete_stream(self.stream)

    async def stored_messages(self) -> int:
        """How many messages the stream holds (duplicates dropped by the server are not stored)."""
        return int((await self._js.stream_info(self.stream)).state.messages)

    async def publish(self, subject: str, envelope: Envelope) -> PublishAck:
        data = encode_for(self._subjects, subject, envelope, self.max_payload)
        headers = {MSG_ID_HEADER: envelope.id}
        for delay in self._backoff.delays():
            try:
                ack = await self._js.publish(
                    subject,
                    data,
                    timeout=self._publish_timeout,
                    headers=headers,
                    stream=self.stream,
                )
                return PublishAck(sequence=ack.seq, duplicate=bool(ack.duplicate))
            except _TRANSIENT as exc:
                # Same id on retry: if the lost attempt was stored, the server drops this one.
                log.warning(
                    "publish %s on %s: %s; retrying in %.2fs",
                    envelope.id,
                    subject,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
        raise PublishFailedError(
            f"message {envelope.id} on {subject} not acknowledged after {self._backoff.attempts} attempts"
        )

    async def subscribe(
        self,
        subject: str,
        durable: str,
        *,
        ack_wait: float = 30.0,
        ledger: AppliedLedger | None = None,
    ) -> JetStreamSubscription:
        check_token(durable, "durable consumer name")
        config = ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=ack_wait)
        pull = await self._js.pull_subscribe(
            subject, durable=durable, stream=self.stream, config=config
        )
        return JetStreamSubscription(self, durable, pull, ledger or MemoryLedger())

    async def close(self) -> None:
        if not self._nc.is_closed:
            await self._nc.close()


class JetStreamSubscription:
    def __init__(
        self,
        bus: JetStreamBus,
        durable: str,
        pull: JetStreamContext.PullSubscription,
        ledger: AppliedLedger,
    ) -> None:
        self.durable = durable
        self.rejected = 0  # undecodable messages terminated (never redelivered)
        self._bus = bus
        self._pull = pull
        self._ledger = ledger

    async def fetch(self, max_messages: int = 100, timeout: float = 1.0) -> list[Delivery]:
        try:
            msgs = await self._pull.fetch(max_messages, timeout=timeout)
        except TimeoutError:  # nats-py raises both its own subclass and plain asyncio.TimeoutError
            return []
        except nats.errors.Error as exc:
            raise BusError(
                f"fetch for consumer {self.durable}: {type(exc).__name__}: {exc}"
            ) from None
        deliveries = []
        for msg in msgs:
            delivery = await self._delivery(msg)
            if delivery is not None:
                deliveries.append(delivery)
        return deliveries

    async def close(self) -> None:
        await self._pull.unsubscribe()

    async def _delivery(self, msg: Msg) -> Delivery | None:
        try:
            envelope = self._bus.schemas.decode(msg.data, msg.subject)
        except MessageDecodeError as exc:
            # Redelivering a message nobody can read would block the consumer forever.
            log.error("consumer %s: terminated undecodable message: %s", self.durable, exc)
            self.rejected += 1
            await msg.term()
            return None
        if self._ledger.seen(envelope.id):
            await msg.ack()
            return None
        attempt = msg.metadata.num_delivered or 1
        return Delivery(msg.subject, envelope, attempt, self._acker(msg, envelope.id))

    def _acker(self, msg: Msg, message_id: str) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            self._ledger.record(message_id)
            await msg.ack()

        return ack
