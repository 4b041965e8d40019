"""Deterministic client order ids.

A ClOrdID is a function of (strategy id, decision sequence, column, attempt): the same
decision always gets the same id, so a node restarted after a crash asks the venue about
that id (OrderStatusRequest) instead of sending the order again under a new one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from execution_engine.adapters.fix.wire import FixMessageError

_DIGEST_CHARS = (
    10  # 40 bits of the strategy id: distinct strategies never share a prefix in practice
)
_PATTERN = re.compile(r"^G([0-9a-f]{10})-(\d+)-(\d+)-(\d+)$")


@dataclass(frozen=True)
class ClOrdIdParts:
    strategy_digest: str
    sequence: int
    column: int
    attempt: int


def cl_ord_id(strategy_id: str, sequence: int, column: int = 0, attempt: int = 0) -> str:
    """`G<digest of strategy>-<sequence>-<column>-<attempt>`, at most 48 characters."""
    if not strategy_id:
        raise FixMessageError("a ClOrdID needs a strategy id")
    if min(sequence, column, attempt) < 0:
        raise FixMessageError("ClOrdID sequence, column and attempt are not negative")
    return f"G{strategy_digest(strategy_id)}-{sequence}-{column}-{attempt}"


def strategy_digest(strategy_id: str) -> str:
    return hashlib.sha256(strategy_id.encode()).hexdigest()[:_DIGEST_CHARS]


def parse_cl_ord_id(value: str) -> ClOrdIdParts | None:
    """The parts of one of our ids; None for an id we did not make (an external order)."""
    match = _PATTERN.match(value)
    if match is None:
        return None
    digest, sequence, column, attempt = match.groups()
    return ClOrdIdParts(digest, int(sequence), int(column), int(attempt))
