"""Faults the simulator injects on demand (tests, the soak script, `gauntlet sim fix`).

One-shot faults are armed here and consumed by the broker when the next matching event
comes; sequence-number faults act at once, on the server (server.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Faults:
    drop_on_next_order: bool = False  # drop the connection when the next order arrives
    duplicate_next_fill: bool = False  # send the next fill twice, the copy with PossDupFlag=Y
    delay_reports_seconds: float = 0.0  # hold every report this long before sending it
    reject_next_orders: int = 0  # reject this many coming orders with `reject_text`
    reject_text: str = "rejected by the simulator (fault)"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take_drop(self) -> bool:
        with self._lock:
            armed, self.drop_on_next_order = self.drop_on_next_order, False
            return armed

    def take_duplicate(self) -> bool:
        with self._lock:
            armed, self.duplicate_next_fill = self.duplicate_next_fill, False
            return armed

    def take_reject(self) -> str | None:
        with self._lock:
            if self.reject_next_orders <= 0:
                return None
            self.reject_next_orders -= 1
            return self.reject_text
