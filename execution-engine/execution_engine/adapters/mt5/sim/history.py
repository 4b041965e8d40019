"""The trade server's ledger: orders (active, then in history with a final state) and deals,
each with its ticket (increasing integers, orders and deals counted apart, as on MT5), and
the rows the `orders`, `history_orders` and `history_deals` operations answer.

Rejected requests create no order: on MT5 a request the server refuses answers a retcode
with `order = 0` and leaves nothing in the history (ORDER_STATE_REJECTED is what a pending
order gets when its activation fails, e.g. for lack of margin when it triggers).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from execution_engine.adapters.mt5.codes import (
    DealEntry,
    DealReason,
    DealType,
    Filling,
    OrderState,
    OrderTime,
    OrderType,
)
from execution_engine.adapters.mt5.keys import key_of
from execution_engine.adapters.mt5.sim.config import SymbolSpec
from execution_engine.adapters.mt5.sim.formats import fixed, money

FIRST_ORDER_TICKET = 10_000_001
FIRST_DEAL_TICKET = 50_000_001


@dataclass
class Order:
    ticket: int
    symbol: str
    type: OrderType
    state: OrderState
    volume_initial: Decimal
    volume_current: Decimal
    price_open: Decimal
    magic: int
    comment: str
    time_setup_ms: int
    price_stoplimit: Decimal = Decimal(0)
    sl: Decimal = Decimal(0)
    tp: Decimal = Decimal(0)
    type_filling: Filling = Filling.FOK
    type_time: OrderTime = OrderTime.GTC
    expiration_ms: int = 0
    position_id: int = 0
    position_by_id: int = 0
    time_done_ms: int = 0
    done: bool = False  # in the history (an IOC order filled in part is done, state PARTIAL)
    result: dict[str, Any] = field(default_factory=dict)  # the MqlTradeResult it was answered

    @property
    def active(self) -> bool:
        return not self.done

    def row(self, spec: SymbolSpec) -> dict[str, Any]:
        row: dict[str, Any] = {
            "ticket": self.ticket,
            "symbol": self.symbol,
            "type": self.type.value,
            "state": self.state.value,
            "volume_initial": fixed(self.volume_initial, spec.volume_digits),
            "volume_current": fixed(self.volume_current, spec.volume_digits),
            "price_open": fixed(self.price_open, spec.digits),
            "price_stoplimit": fixed(self.price_stoplimit, spec.digits),
            "sl": fixed(self.sl, spec.digits),
            "tp": fixed(self.tp, spec.digits),
            "type_filling": self.type_filling.value,
            "type_time": self.type_time.value,
            "expiration_ms": self.expiration_ms,
            "magic": self.magic,
            "comment": self.comment,
            "position_id": self.position_id,
            "time_setup_ms": self.time_setup_ms,
        }
        if not self.active:
            row["time_done_ms"] = self.time_done_ms
        return row


@dataclass(frozen=True)
class Deal:
    ticket: int
    order: int
    position_id: int
    symbol: str
    type: DealType
    entry: DealEntry
    volume: Decimal
    price: Decimal
    profit: Decimal
    swap: Decimal
    magic: int
    comment: str
    reason: DealReason
    time_ms: int
    commission: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)

    def row(self, spec: SymbolSpec) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "order": self.order,
            "position_id": self.position_id,
            "symbol": self.symbol,
            "type": self.type.value,
            "entry": self.entry.value,
            "volume": fixed(self.volume, spec.volume_digits),
            "price": fixed(self.price, spec.digits),
            "commission": money(self.commission),
            "swap": money(self.swap),
            "profit": money(self.profit),
            "fee": money(self.fee),
            "magic": self.magic,
            "comment": self.comment,
            "reason": self.reason.value,
            "time_ms": self.time_ms,
        }


def _within(time_ms: int, from_ms: int | None, to_ms: int | None) -> bool:
    return (from_ms is None or time_ms >= from_ms) and (to_ms is None or time_ms <= to_ms)


class Ledger:
    def __init__(self) -> None:
        self.orders: dict[int, Order] = {}  # every order ever accepted, by ticket
        self._active: dict[int, Order] = {}  # those not yet in the history (ticks walk these)
        # Orders by the Gauntlet key in their comment: the duplicate guard's lookup, which a
        # scan of every order made grow with the history (2.3 ms per order_send at 5,000).
        self._by_key: dict[str, list[Order]] = {}
        self.deals: list[Deal] = []
        self._next_order = FIRST_ORDER_TICKET
        self._next_deal = FIRST_DEAL_TICKET

    def order_ticket(self) -> int:
        self._next_order += 1
        return self._next_order - 1

    def deal_ticket(self) -> int:
        self._next_deal += 1
        return self._next_deal - 1

    def add_order(self, order: Order) -> Order:
        self.orders[order.ticket] = order
        self._active[order.ticket] = order
        key = key_of(order.comment)
        if key is not None:
            self._by_key.setdefault(key, []).append(order)
        return order

    def with_key(self, key: str) -> list[Order]:
        """Every order whose comment carries `key`, oldest first."""
        return list(self._by_key.get(key, ()))

    def retire(self, order: Order) -> None:
        """The order is done: it stays in `orders`, as history."""
        self._active.pop(order.ticket, None)

    def active(self) -> Iterator[Order]:
        return iter(list(self._active.values()))

    def finished(self) -> Iterator[Order]:
        return (order for order in self.orders.values() if not order.active)

    def find_active(
        self, symbol: str | None = None, magic: int | None = None, comment: str | None = None
    ) -> list[Order]:
        return [
            order
            for order in self.active()
            if (symbol is None or order.symbol == symbol)
            and (magic is None or order.magic == magic)
            and (comment is None or order.comment.startswith(comment))
        ]

    def find_history(
        self,
        from_ms: int | None = None,
        to_ms: int | None = None,
        comment: str | None = None,
        ticket: int | None = None,
    ) -> list[Order]:
        return [
            order
            for order in self.finished()
            if _within(order.time_setup_ms, from_ms, to_ms)
            and (comment is None or order.comment.startswith(comment))
            and (ticket is None or order.ticket == ticket)
        ]

    def find_deals(
        self,
        from_ms: int | None = None,
        to_ms: int | None = None,
        comment: str | None = None,
        order: int | None = None,
        position: int | None = None,
    ) -> list[Deal]:
        return [
            deal
            for deal in self.deals
            if _within(deal.time_ms, from_ms, to_ms)
            and (comment is None or deal.comment.startswith(comment))
            and (order is None or deal.order == order)
            and (position is None or deal.position_id == position)
        ]

    def deals_of(self, orders: Iterable[int]) -> list[Deal]:
        wanted = set(orders)
        return [deal for deal in self.deals if deal.order in wanted]
