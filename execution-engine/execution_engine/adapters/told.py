"""What an execution client (MetaTrader, OANDA) has told NautilusTrader about each order.

NautilusTrader's live execution engine applies order events from a queue, so an order's
status lags the events a client has just generated. A venue's answer and its transaction
event often come in one loop turn (MetaTrader: a cancel's answer and its ORDER_DELETE, a deal's
result and its DEAL_ADD; OANDA: an order's answer and the same transaction on its stream):
checked against the order's status alone, the order would be accepted or canceled twice. The
client asks this ledger instead, which also knows the order's venue id.
"""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.orders import Order


class Told:
    """Per order: accepted, finished (canceled, expired, rejected or filled), the quantity
    filled, and its ticket; each as told by the client or as the cache already shows."""

    def __init__(self) -> None:
        self._accepted: set[ClientOrderId] = set()
        self._finished: set[ClientOrderId] = set()
        self._filled: dict[ClientOrderId, Decimal] = {}
        self._tickets: dict[ClientOrderId, int] = {}
        self._orders: dict[int, ClientOrderId] = {}  # ticket → order

    def accepted(self, order: Order) -> bool:
        return order.client_order_id in self._accepted or bool(order.is_open or order.is_closed)

    def finished(self, order: Order) -> bool:
        """Canceled, expired, rejected or filled (as told, or as the cache already shows)."""
        if order.client_order_id in self._finished or order.is_closed:
            return True
        quantity: Decimal = order.quantity.as_decimal()
        return self.filled_qty(order) >= quantity

    def filled_qty(self, order: Order) -> Decimal:
        told = self._filled.get(order.client_order_id, Decimal(0))
        cached: Decimal = order.filled_qty.as_decimal()
        return max(told, cached)

    def accept(self, order: Order) -> None:
        self._accepted.add(order.client_order_id)

    def finish(self, order: Order) -> None:
        self._finished.add(order.client_order_id)

    def fill(self, order: Order, quantity: Decimal) -> None:
        self._filled[order.client_order_id] = self.filled_qty(order) + quantity

    def know_ticket(self, order: Order, ticket: int) -> None:
        self._tickets[order.client_order_id] = ticket
        self._orders[ticket] = order.client_order_id

    def ticket(self, order: Order) -> int | None:
        return self._tickets.get(order.client_order_id)

    def order_of(self, ticket: int) -> ClientOrderId | None:
        return self._orders.get(ticket)
