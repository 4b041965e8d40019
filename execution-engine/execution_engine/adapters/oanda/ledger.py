"""The last OANDA transaction the execution client applied, kept in the node's state folder.

OANDA numbers every transaction of an account in order, so one id says how far the node
got: a restarted node asks `transactions/sinceid` from it and reconciles exactly what it
missed (fills, cancels), nothing twice and nothing lost. The file is replaced atomically
(write, then rename), so a node killed mid-write leaves the previous id.
"""

from __future__ import annotations

import os
from pathlib import Path


class LastTransaction:
    """The highest transaction id applied so far, as persisted in `path`."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._id = self._read()

    @property
    def id(self) -> str | None:
        return None if self._id is None else str(self._id)

    def advance(self, transaction_id: str) -> None:
        """Record `transaction_id` when it is past the last one (ids only go forward)."""
        if not transaction_id.isdigit():
            return
        number = int(transaction_id)
        if self._id is not None and number <= self._id:
            return
        self._id = number
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(f"{number}\n", encoding="utf-8")
        os.replace(temporary, self._path)

    def _read(self) -> int | None:
        try:
            text = self._path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None
