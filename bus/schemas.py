"""Which payload class decodes a (type, schema version), and the envelope codec."""

from __future__ import annotations

import json

from pydantic import ValidationError

from bus.errors import MessageDecodeError, SubjectTypeMismatchError, UnknownMessageTypeError
from bus.messages import Bar, Envelope, Message, Target, Tick
from bus.subjects import TOPICS, Subjects


class MessageSchemas:
    """Payload classes by (type, version); decodes envelopes into typed payloads."""

    def __init__(self, classes: tuple[type[Message], ...] = ()) -> None:
        self._classes: dict[tuple[str, int], type[Message]] = {}
        for cls in classes:
            self.register(cls)

    def register(self, cls: type[Message]) -> None:
        key = (cls.message_type, cls.schema_version)
        known = self._classes.get(key)
        if known is not None and known is not cls:
            raise ValueError(f"{key[0]} v{key[1]} is already registered by {known.__name__}")
        self._classes[key] = cls

    def payload_class(self, type_: str, version: int) -> type[Message]:
        try:
            return self._classes[(type_, version)]
        except KeyError:
            known = ", ".join(f"{t} v{v}" for t, v in sorted(self._classes))
            raise UnknownMessageTypeError(
                f"no message type {type_!r} v{version} registered (known: {known})"
            ) from None

    def decode(self, data: bytes, subject: str = "?") -> Envelope:
        try:
            raw = json.loads(data)
            cls = self.payload_class(str(raw["type"]), int(raw["version"]))
            raw["payload"] = cls.model_validate(raw["payload"])
            return Envelope.model_validate(raw)
        except UnknownMessageTypeError as exc:
            raise MessageDecodeError(f"message on {subject}: {exc}") from None
        except (ValueError, KeyError, TypeError) as exc:
            # ValidationError is a ValueError; name the first bad field, not the whole dump.
            raise MessageDecodeError(
                f"message on {subject} is not a valid envelope: {_brief(exc)}"
            ) from None


def _brief(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "envelope"
        return f"{where}: {first['msg']}"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc).splitlines()[0]


def check_topic(subjects: Subjects, subject: str, envelope: Envelope) -> None:
    """Refuse a payload type on a topic that carries another type."""
    topic = subjects.topic_of(subject)
    if TOPICS[topic] != envelope.type:
        raise SubjectTypeMismatchError(
            f"{envelope.type!r} message published on {subject!r}; topic {topic!r} carries {TOPICS[topic]!r}"
        )


MESSAGE_SCHEMAS = MessageSchemas((Tick, Bar, Target))
