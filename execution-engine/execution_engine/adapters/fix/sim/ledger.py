"""The simulated broker's ledger: every order and fill, in memory and as JSON lines.

The file lets a test or soak script in another process count what reached the venue:
duplicate orders, fills and fills re-sent with PossDupFlag.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO


@dataclass(frozen=True)
class LedgerEntry:
    """kind: order (a NewOrderSingle received), duplicate_order (its ClOrdID was known),
    replace, cancel, reject, fill, expire."""

    kind: str
    cl_ord_id: str
    order_id: str | None = None
    exec_id: str | None = None
    symbol: str | None = None
    side: str | None = None
    quantity: str | None = None
    price: str | None = None
    poss_dup: bool = False
    poss_resend: bool = False
    text: str | None = None
    ts: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())


class Ledger:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: list[LedgerEntry] = []
        self._lock = threading.Lock()
        self._stream: TextIO | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._stream = path.open("a", encoding="utf-8")

    def record(self, entry: LedgerEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            if self._stream is not None and not self._stream.closed:
                self._stream.write(json.dumps(asdict(entry), sort_keys=True) + "\n")
                self._stream.flush()  # another process may be counting right now

    def close(self) -> None:
        with self._lock:
            if self._stream is not None:
                self._stream.close()

    def entries(self, kind: str | None = None) -> list[LedgerEntry]:
        with self._lock:
            return [e for e in self._entries if kind is None or e.kind == kind]

    def counts(self) -> Counter[str]:
        return Counter(e.kind for e in self.entries())


def read_ledger(path: Path) -> list[LedgerEntry]:
    """The entries another process's simulator wrote to `path`."""
    if not path.exists():
        return []
    rows: list[dict[str, Any]] = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line
    ]
    return [LedgerEntry(**row) for row in rows]
