"""Faults on demand: what the simulator does wrong next, set from tests or /__sim__/faults."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Faults:
    """Switches and counters the routes and streams consult; each one-shot fault is consumed.

    - `reject_next`: reasons the next orders are rejected with (TransactionRejectReason)
    - `too_many_requests`: answer the next N requests with 429
    - `revoked`: answer every request 401, as a revoked token
    - `drop_on_next_order`: execute the next order, then cut its connection before answering
    - `duplicate_next_fill`: send the next ORDER_FILL twice on the transaction streams
    - `stalled`: streams stay open but send nothing (no prices, no heartbeats)
    - `malformed_lines`: write N malformed lines on every pricing stream
    - `drop_streams()`: close every open stream now
    """

    reject_next: list[str] = field(default_factory=list)
    too_many_requests: int = 0
    revoked: bool = False
    drop_on_next_order: bool = False
    duplicate_next_fill: bool = False
    stalled: bool = False
    malformed_lines: int = 0
    stream_generation: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reject_next_order(self, reason: str) -> None:
        with self._lock:
            self.reject_next.append(reason)

    def take_reject(self) -> str | None:
        with self._lock:
            return self.reject_next.pop(0) if self.reject_next else None

    def take_too_many(self) -> bool:
        with self._lock:
            if self.too_many_requests <= 0:
                return False
            self.too_many_requests -= 1
            return True

    def take_drop_on_order(self) -> bool:
        with self._lock:
            drop, self.drop_on_next_order = self.drop_on_next_order, False
            return drop

    def take_duplicate_fill(self) -> bool:
        with self._lock:
            duplicate, self.duplicate_next_fill = self.duplicate_next_fill, False
            return duplicate

    def drop_streams(self) -> None:
        with self._lock:
            self.stream_generation += 1

    def clear(self) -> None:
        with self._lock:
            self.reject_next.clear()
            self.too_many_requests = 0
            self.revoked = self.drop_on_next_order = self.duplicate_next_fill = False
            self.stalled = False
            self.malformed_lines = 0
