"""Envelopes, the type registry and subjects: what both buses share, no server needed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import ClassVar

import pytest
from pydantic import ValidationError

from bus import (
    MESSAGE_SCHEMAS,
    Bar,
    Envelope,
    InvalidSubjectError,
    Message,
    MessageDecodeError,
    MessageSchemas,
    Subjects,
    Tick,
)
from bus.subjects import subject_matches

T0 = datetime(2024, 1, 2, tzinfo=UTC)


def tick_envelope() -> Envelope:
    return Envelope.of(
        Tick(instrument="EURUSD", ts=T0, price=1.1, size=2.0), source="feed", id="t-1"
    )


def test_envelope_round_trips_through_bytes() -> None:
    sent = tick_envelope()
    assert MESSAGE_SCHEMAS.decode(sent.encode()) == sent
    assert (sent.type, sent.version) == ("tick", 1)


def test_produced_at_is_normalized_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    env = Envelope(
        id="x",
        type="tick",
        version=1,
        source="s",
        produced_at=datetime(2024, 1, 2, 10, tzinfo=paris),
        payload=tick_envelope().payload,
    )
    assert env.produced_at == datetime(2024, 1, 2, 9, tzinfo=UTC)
    assert env.produced_at.utcoffset() == timedelta(0)
    tick = Tick(instrument="X", ts=datetime(2024, 1, 2, 10, tzinfo=paris), price=1.0, size=1.0)
    assert tick.ts.tzinfo == UTC
    assert tick.ts.hour == 9


def test_naive_produced_at_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Envelope(
            id="x",
            type="tick",
            version=1,
            source="s",
            produced_at=datetime(2024, 1, 2),
            payload=tick_envelope().payload,
        )


def test_unknown_schema_version_names_type_and_version() -> None:
    raw = json.loads(tick_envelope().encode())
    raw["version"] = 9
    with pytest.raises(
        MessageDecodeError, match=r"'tick' v9 registered \(known: bar v1, target v1, tick v1\)"
    ):
        MESSAGE_SCHEMAS.decode(json.dumps(raw).encode(), "gauntlet.md.ticks.EURUSD")


def test_invalid_payload_field_is_named() -> None:
    raw = json.loads(tick_envelope().encode())
    raw["payload"]["price"] = -1
    with pytest.raises(MessageDecodeError, match="price: Input should be greater than 0"):
        MESSAGE_SCHEMAS.decode(json.dumps(raw).encode())


def test_garbage_bytes_are_a_decode_error() -> None:
    with pytest.raises(
        MessageDecodeError, match=r"on gauntlet\.md\.bars\.X is not a valid envelope"
    ):
        MESSAGE_SCHEMAS.decode(b"\x00not json", "gauntlet.md.bars.X")


def test_a_new_schema_version_decodes_next_to_the_old_one() -> None:
    class TickV2(Message):
        message_type: ClassVar[str] = "tick"
        schema_version: ClassVar[int] = 2
        instrument: str
        ts: datetime
        bid: float
        ask: float

    registry = MessageSchemas((Tick, TickV2))
    v2 = Envelope.of(TickV2(instrument="EURUSD", ts=T0, bid=1.0, ask=1.1), source="feed")
    assert isinstance(registry.decode(v2.encode()).payload, TickV2)
    assert isinstance(registry.decode(tick_envelope().encode()).payload, Tick)
    with pytest.raises(ValueError, match="tick v2 is already registered by TickV2"):
        registry.register(type("Other", (TickV2,), {}))


def test_subjects_per_topic() -> None:
    s = Subjects("gauntlet")
    assert s.bars("EURUSD") == "gauntlet.md.bars.EURUSD"
    assert s.ticks("EUR/USD") == "gauntlet.md.ticks.EUR/USD"
    assert s.targets("sma_cross") == "gauntlet.targets.sma_cross"
    assert s.topic_of("gauntlet.md.bars.EURUSD") == "md.bars"


@pytest.mark.parametrize("key", ["EURUSD.SIM", "a b", "*", ">", ""])
def test_subject_keys_that_nats_would_misread_are_refused(key: str) -> None:
    with pytest.raises(InvalidSubjectError, match=r"invalid md\.bars key"):
        Subjects().bars(key)


@pytest.mark.parametrize(
    ("pattern", "subject", "matches"),
    [
        ("a.*.c", "a.b.c", True),
        ("a.*", "a.b.c", False),
        ("a.>", "a.b.c", True),
        ("a.>", "a", False),
        ("a.b", "a.b", True),
    ],
)
def test_wildcards_follow_nats(pattern: str, subject: str, matches: bool) -> None:
    assert subject_matches(pattern, subject) is matches


def test_bar_payload_is_frozen_and_strict() -> None:
    bar = Bar(
        instrument="X", timeframe="1m", start=T0, open=1, high=1, low=1, close=1, volume=0, ticks=1
    )
    with pytest.raises(ValidationError):
        bar.model_copy(update={}).__class__(**{**bar.model_dump(), "extra": 1})
