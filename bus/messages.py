"""Typed, versioned bus messages: an `Envelope` around a frozen pydantic payload.

Every payload class declares its wire type name and schema version. A breaking change
to a payload is a new class with the same type and the next version, registered next
to the old one, so consumers still decode what older producers wrote.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class Message(BaseModel):
    """Base for payloads. Subclasses set `message_type` and `schema_version`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message_type: ClassVar[str]
    schema_version: ClassVar[int]

    @field_validator("*")
    @classmethod
    def _times_in_utc(cls, value: Any) -> Any:
        # Every timestamp on the bus is UTC, whatever offset the producer used.
        return value.astimezone(UTC) if isinstance(value, datetime) else value


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class Envelope(BaseModel):
    """What travels on the bus. `id` is the de-duplication key end to end."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1, max_length=256)
    type: str
    version: int = Field(ge=1)
    produced_at: AwareDatetime = Field(default_factory=_utc_now)
    source: str = Field(min_length=1)
    payload: Message

    _utc = field_validator("produced_at")(_to_utc)

    @classmethod
    def of(cls, payload: Message, *, source: str, id: str | None = None) -> Envelope:
        """Wrap a payload; pass a deterministic `id` when a replay must be recognised."""
        fields: dict[str, Any] = {
            "type": payload.message_type,
            "version": payload.schema_version,
            "source": source,
            "payload": payload,
        }
        if id is not None:
            fields["id"] = id
        return cls(**fields)

    def encode(self) -> bytes:
        # SerializeAsAny semantics: dump the concrete payload's fields, not the base's (none).
        return self.model_dump_json(serialize_as_any=True).encode()


class Tick(Message):
    """One normalized price update."""

    message_type: ClassVar[str] = "tick"
    schema_version: ClassVar[int] = 1

    instrument: str
    ts: AwareDatetime
    price: float = Field(gt=0)
    size: float = Field(ge=0)


class Bar(Message):
    """One closed OHLCV bar; `start` is the bar's open time (UTC)."""

    message_type: ClassVar[str] = "bar"
    schema_version: ClassVar[int] = 1

    instrument: str
    timeframe: str
    start: AwareDatetime
    open: float = Field(gt=0)
    high: float = Field(gt=0)
    low: float = Field(gt=0)
    close: float = Field(gt=0)
    volume: float = Field(ge=0)
    ticks: int = Field(ge=1)


class Target(Message):
    """A strategy's target position for an instrument, in [-1, 1] of allocated capital."""

    message_type: ClassVar[str] = "target"
    schema_version: ClassVar[int] = 1

    strategy: str
    instrument: str
    ts: AwareDatetime
    target: float = Field(ge=-1.0, le=1.0)
