"""The account's transaction log: ids increasing from 1, one batch per request, and the
subscribers of the transaction stream (called back on every append)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from execution_engine.adapters.oanda.sim.wire import now

Transaction = dict[str, Any]


class TransactionLog:
    """Every transaction the account produced, in id order (ids are strings on the wire)."""

    def __init__(self, account_id: str, user_id: int) -> None:
        self.account_id = account_id
        self.user_id = user_id
        self._items: list[Transaction] = []
        self._batch: str | None = None
        self._request_id: str | None = None
        self.listeners: list[Callable[[Transaction], None]] = []

    @property
    def last_id(self) -> str:
        return str(len(self._items))

    def next_id(self) -> str:
        return str(len(self._items) + 1)

    def begin_batch(self, request_id: str | None = None) -> None:
        """Transactions appended until `end_batch` share the first one's id as batchID."""
        self._batch = None
        self._request_id = request_id

    def end_batch(self) -> None:
        self._batch = None
        self._request_id = None

    def append(self, kind: str, **fields: Any) -> Transaction:
        tid = self.next_id()
        if self._batch is None:
            self._batch = tid
        transaction: Transaction = {
            "id": tid, "time": now(), "userID": self.user_id, "accountID": self.account_id,
            "batchID": self._batch,
        }  # fmt: skip
        if self._request_id is not None:
            transaction["requestID"] = self._request_id
        transaction["type"] = kind
        transaction.update({key: value for key, value in fields.items() if value is not None})
        self._items.append(transaction)
        for listener in list(self.listeners):
            listener(transaction)
        return transaction

    def get(self, tid: str) -> Transaction | None:
        if not tid.isdigit() or not 1 <= int(tid) <= len(self._items):
            return None
        return self._items[int(tid) - 1]

    def since(self, tid: int) -> list[Transaction]:
        return self._items[max(tid, 0) :]

    def id_range(self, first: int, last: int) -> list[Transaction]:
        return self._items[max(first - 1, 0) : max(last, 0)]

    def __len__(self) -> int:
        return len(self._items)
