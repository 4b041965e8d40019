"""Shared publish-side checks, so both buses refuse exactly the same messages."""

from __future__ import annotations

from bus.errors import MessageTooLargeError
from bus.messages import Envelope
from bus.schemas import check_topic
from bus.subjects import Subjects


def encode_for(subjects: Subjects, subject: str, envelope: Envelope, max_payload: int) -> bytes:
    """Check subject and type, encode, and refuse what the server would reject for size."""
    check_topic(subjects, subject, envelope)
    data = envelope.encode()
    if len(data) > max_payload:
        raise MessageTooLargeError(
            f"message {envelope.id} ({envelope.type}) on {subject} is {len(data)} bytes; "
            f"the server accepts at most {max_payload}"
        )
    return data
