"""Errors raised by the event bus; each message names the subject, type or size at fault."""

from __future__ import annotations


class BusError(Exception):
    """Base class for event-bus errors."""


class InvalidSubjectError(BusError, ValueError):
    """A subject or subject token that NATS would misread (empty, dots, wildcards, spaces)."""


class UnknownMessageTypeError(BusError, ValueError):
    """A (type, schema version) pair that no registered message class declares."""


class SubjectTypeMismatchError(BusError, ValueError):
    """A message published on a topic that does not carry its type."""


class MessageDecodeError(BusError, ValueError):
    """Bytes on the bus that are not a valid envelope."""


class MessageTooLargeError(BusError, ValueError):
    """An encoded message larger than the server accepts; rejected before sending."""


class PublishFailedError(BusError):
    """The server did not acknowledge a publish after every retry."""
