"""Consumer-side de-duplication: the ids a consumer has applied, bounded in memory."""

from __future__ import annotations

from collections import OrderedDict


class MemoryLedger:
    """Remembers the last `capacity` applied ids (oldest forgotten first).

    The capacity only has to cover the redelivery horizon (ack wait x max in-flight);
    a consumer whose state lives in a database should record ids in the same transaction
    as the state change instead.
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
