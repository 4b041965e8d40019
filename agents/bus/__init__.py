"""The event bus: typed, versioned messages on NATS JetStream or in memory, one interface."""

from agents.bus.errors import (
    BusError,
    InvalidSubjectError,
    MessageDecodeError,
    MessageTooLargeError,
    PublishFailedError,
    SubjectTypeMismatchError,
    UnknownMessageTypeError,
)
from agents.bus.ledger import MemoryLedger
from agents.bus.memory import InMemoryBus
from agents.bus.messages import Bar, Envelope, Message, Target, Tick
from agents.bus.protocol import AppliedLedger, Bus, Delivery, PublishAck, Subscription
from agents.bus.registry import DEFAULT_REGISTRY, MessageRegistry
from agents.bus.retry import Backoff
from agents.bus.subjects import TOPICS, Subjects

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
