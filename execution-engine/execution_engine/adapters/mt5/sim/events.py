"""What the EA tells the bridge unasked (the doc's events table): trade transactions as
`OnTradeTransaction` reports them (enriched with the deal or order record), account
changes, and the inspection the tests and the conformance kit read (which keys reached the
trade server, which DEAL_ADD events went out for a key and whether each was a copy)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from execution_engine.adapters.mt5.codes import Event, Transaction
from execution_engine.adapters.mt5.keys import key_of
from execution_engine.adapters.mt5.sim.account import Snapshot
from execution_engine.adapters.mt5.sim.config import SymbolSpec
from execution_engine.adapters.mt5.sim.faults import EngineFaults
from execution_engine.adapters.mt5.sim.history import Deal, Order

Emit = Callable[[str, dict[str, Any]], None]
EQUITY_EVERY_MS = 1_000  # a tick moves equity: at most one `account` event a second


class Notifier:
    def __init__(self, emit: Emit, faults: EngineFaults) -> None:
        self.emit = emit
        self.faults = faults
        self.sent_keys: Counter[str] = Counter()
        self.deal_events: defaultdict[str, list[bool]] = defaultdict(list)
        self._account: dict[str, Any] | None = None
        self._account_ms: int | None = None

    def order(self, kind: Transaction, order: Order, spec: SymbolSpec) -> None:
        self.emit(
            Event.TRANSACTION,
            {
                "type": kind.value,
                "order": order.ticket,
                "deal": 0,
                "position": order.position_id,
                "symbol": order.symbol,
                "order_state": order.state.value,
                "order_record": order.row(spec),
            },
        )

    def position(self, ticket: int, symbol: str) -> None:
        self.emit(
            Event.TRANSACTION,
            {
                "type": Transaction.POSITION.value,
                "order": 0,
                "deal": 0,
                "position": ticket,
                "symbol": symbol,
                "order_state": "",
            },
        )

    def deal(self, deal: Deal, order: Order, spec: SymbolSpec) -> None:
        data = {
            "type": Transaction.DEAL_ADD.value,
            "order": deal.order,
            "deal": deal.ticket,
            "position": deal.position_id,
            "symbol": deal.symbol,
            "order_state": order.state.value,
            "deal_record": deal.row(spec),
        }
        copies = [False, True] if self.faults.take_duplicate_deal() else [False]
        key = key_of(deal.comment)
        for copy in copies:
            if key is not None:
                self.deal_events[key].append(copy)
            self.emit(Event.TRANSACTION, data)

    def account_due(self, now_ms: int, *, from_tick: bool) -> bool:
        """Whether an `account` event may go now: after a trade always, after a tick only a
        second after the last one (so a tick stream does not compute the account each time)."""
        recent = self._account_ms is not None and now_ms - self._account_ms < EQUITY_EVERY_MS
        return not (from_tick and recent)

    def account(self, snapshot: Snapshot, now_ms: int) -> None:
        """An `account` event when balance, equity or margin moved since the last one."""
        row = snapshot.row()
        if row == self._account:
            return
        self._account, self._account_ms = row, now_ms
        self.emit(Event.ACCOUNT, row)
