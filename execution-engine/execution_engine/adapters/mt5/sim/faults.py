"""Faults the engine injects on demand (tests, the conformance kit, `gauntlet sim mt5`).

One-shot faults are armed here and consumed by the engine when the next matching request or
deal comes. The engine reads them under its own lock, so they need none of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class EngineFaults:
    requotes: int = 0  # the next N market deals get 10004 even within deviation (a storm)
    reject_next: str | None = None  # the next order_send sent gets 10006 with this comment
    duplicate_next_deal: bool = False  # emit the next DEAL_ADD twice (same deal ticket)
    market_closed: set[str] = field(default_factory=set)  # symbols whose session is closed
    liquidity_lots: Decimal | None = None  # lots fillable per tick; None: unlimited

    def take_requote(self) -> bool:
        if self.requotes <= 0:
            return False
        self.requotes -= 1
        return True

    def take_reject(self) -> str | None:
        text, self.reject_next = self.reject_next, None
        return text

    def take_duplicate_deal(self) -> bool:
        armed, self.duplicate_next_deal = self.duplicate_next_deal, False
        return armed
