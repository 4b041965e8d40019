"""Consumer-side de-duplication: the ids a consumer has applied, bounded in memory."""

from __future__ import annotations

from collections import OrderedDict


class MemoryLedger:
    """Remembers the last `capacity` applied ids (oldest forgotten first), in this process only.

    Enough for a redelivery while the process lives (an ack lost, or acked after ack_wait); the
    capacity has to cover the ids that can be pending at once. A process that dies between
    applying and acking forgets everything, so a consumer whose state lives in PostgreSQL uses
    `live.state.PostgresLedger`, which records the id in the same transaction as the state change.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def seen(self, message_id: str) -> bool:
        return message_id in self._ids

    def record(self, message_id: str) -> None:
        self._ids[message_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)

    def __len__(self) -> int:
        return len(self._ids)
