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
from bus.registry import DEFAULT_REGISTRY, MessageRegistry
from bus.retry import Backoff
from bus.subjects import TOPICS, Subjects

__all__ = [
    "DEFAULT_REGISTRY",
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
    "MessageRegistry",
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
