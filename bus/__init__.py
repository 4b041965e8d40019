"""The event bus: typed, versioned messages on NATS JetStream or in memory, one interface."""

from bus.errors import (
    BusError,
    InvalidSubjectError,
    MessageDecodeError,
    MessageTooLargeError,
    PublishFailedError,
    SubjectTypeMismatchError,
    UnknownMessageTypeError,
)
from bus.ledger import MemoryLedger
from bus.memory import InMemoryBus
from bus.messages import Bar, Envelope, Message, Target, Tick
from bus.protocol import AppliedLedger, Bus, Delivery, PublishAck, Subscription
from bus.retry import Backoff
from bus.schemas import MESSAGE_SCHEMAS, MessageSchemas
from bus.subjects import TOPICS, Subjects

__all__ = [
    "MESSAGE_SCHEMAS",
    "TOPICS",
    "AppliedLedger",
    "Backoff",
    "Bar",
    "Bus",
    "BusError",
    "Delivery",
    "Envelope",
    "InMemoryBus",
    "InvalidSubjectError",
    "MemoryLedger",
    "Message",
    "MessageDecodeError",
    "MessageSchemas",
    "MessageTooLargeError",
    "PublishAck",
    "PublishFailedError",
    "SubjectTypeMismatchError",
    "Subjects",
    "Subscription",
    "Target",
    "Tick",
    "UnknownMessageTypeError",
]
