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
# A cancel or replace request's own ClOrdID: `<the order's ClOrdID>:C<n>` / `:R<n>`.
_REQUEST_SUFFIX = re.compile(r"^(?P<order>.+):[CR]\d+$")


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


def request_cl_ord_id(order_cl_ord_id: str, kind: str, count: int) -> str:
    """The ClOrdID of a cancel ("C") or replace ("R") request of an order; `count` (the
    order's event count) keeps two requests of one order apart."""
    if kind not in ("C", "R"):
        raise FixMessageError(f"a request ClOrdID is a cancel (C) or a replace (R), not {kind!r}")
    return f"{order_cl_ord_id}:{kind}{count}"


def order_cl_ord_id(cl_ord_id: str) -> str:
    """The ClOrdID of the order a ClOrdID belongs to: a cancel/replace request's id maps
    back to its order's (after a replace the venue reports the order under the new one)."""
    match = _REQUEST_SUFFIX.match(cl_ord_id)
    return match["order"] if match else cl_ord_id
