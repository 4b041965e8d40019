"""The write-ahead intent journal: which client order each comment key belongs to.

Before a DEAL or PENDING request leaves, the execution client appends the order's key, its
client order id, strategy, instrument, side, quantity and time as one JSON line and fsyncs
it (off the event loop; a venue may choose `intent_sync = "flush"`, which a killed process
survives but a power loss may not, to save the disk's sync on every order). A node restarted with an empty cache reads the journal back and recognises its orders on
the terminal by their comment key; a client order id already in the journal is refused (its
key would be the key of an order the terminal may already hold).

A torn last line (a crash while it was being written) is dropped on open: its request was
never sent, because sending waits for the fsync. A bad line anywhere else is an error.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

INTENTS_FILE = "intents.jsonl"


class IntentJournalError(ValueError):
    """A journal that cannot be read back; the message names the file and the line."""


@dataclass(frozen=True)
class Intent:
    key: str  # keys.comment_key(client_order_id)
    client_order_id: str
    strategy_id: str
    instrument_id: str
    side: str  # "BUY" / "SELL"
    quantity: str  # units, as the order had them
    ts_ns: int


class IntentJournal:
    """Append-only JSON lines at `path`, indexed by key and client order id."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._by_key: dict[str, Intent] = {}
        self._by_client_order_id: dict[str, Intent] = {}
        path.parent.mkdir(parents=True, exist_ok=True)
        for intent in self._read_back():
            self._index(intent)
        self._file = path.open("a", encoding="utf-8")

    def __len__(self) -> int:
        return len(self._by_key)

    def record(self, intent: Intent) -> None:
        """Append `intent` and fsync; it is durable when this returns."""
        self.append(intent)
        self.sync()

    def append(self, intent: Intent) -> None:
        """Write `intent` through to the OS (a killed process keeps it; a power loss may
        not until `sync`)."""
        if self._file.closed:  # a client connecting again after a disconnect
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(json.dumps(asdict(intent), separators=(",", ":")) + "\n")
        self._file.flush()
        self._index(intent)

    def sync(self) -> None:
        """fsync what was appended (safe from another thread: it uses the descriptor only)."""
        os.fsync(self._file.fileno())

    def by_key(self, key: str) -> Intent | None:
        return self._by_key.get(key)

    def by_client_order_id(self, client_order_id: str) -> Intent | None:
        return self._by_client_order_id.get(client_order_id)

    def close(self) -> None:
        self._file.close()

    def _index(self, intent: Intent) -> None:
        self._by_key[intent.key] = intent
        self._by_client_order_id[intent.client_order_id] = intent

    def _read_back(self) -> list[Intent]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        complete, _, torn = raw.rpartition(b"\n")
        if torn:  # the last write never finished: cut it off so appends start on a new line
            with self.path.open("r+b") as file:
                file.truncate(len(complete) + (1 if complete else 0))
        lines = complete.split(b"\n") if complete else []
        return [self._parse(line, number) for number, line in enumerate(lines, 1) if line]

    def _parse(self, line: bytes, number: int) -> Intent:
        try:
            fields = json.loads(line)
            return Intent(**fields)
        except (ValueError, TypeError) as exc:
            raise IntentJournalError(
                f"intent journal {self.path}: line {number} is not an intent ({exc})"
            ) from None
