"""`CardDesk`: the strategy the cards trade through, and what it saw of each order.

A card asks the desk to submit, modify or cancel; the node's execution engine routes that to
the venue's client, exactly as a hosted strategy's orders go. The desk keeps the events
NautilusTrader's Order object does not keep a reason for (rejections, denials, cancel and
modify rejects), keyed by ClientOrderId, so a card can fail with the venue's own words.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pandas as pd
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import CancelOrder
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.events import (
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderModifyRejected,
    OrderRejected,
    OrderUpdated,
)
from nautilus_trader.model.identifiers import ClientId, ClientOrderId, InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.model.orders import Order
from nautilus_trader.trading.strategy import Strategy

_EXEC_ENGINE = "ExecEngine.execute"  # NautilusTrader's endpoint for execution commands


class CardDesk(Strategy):  # type: ignore[misc]  # NautilusTrader is untyped (Cython)
    def __init__(self, instrument_id: InstrumentId, client_id: ClientId) -> None:
        super().__init__()
        self.instrument_id = instrument_id
        self.data_client = client_id
        self.quotes: list[QuoteTick] = []
        self.rejected: dict[ClientOrderId, str] = {}
        self.denied: dict[ClientOrderId, str] = {}
        self.cancel_rejected: defaultdict[ClientOrderId, list[str]] = defaultdict(list)
        self.modify_rejected: defaultdict[ClientOrderId, list[str]] = defaultdict(list)
        self.updated: defaultdict[ClientOrderId, list[OrderUpdated]] = defaultdict(list)
        self.canceled: dict[ClientOrderId, OrderCanceled] = {}

    # --- what the node tells it -------------------------------------------------------------
    def on_start(self) -> None:
        self.subscribe_quote_ticks(self.instrument_id, client_id=self.data_client)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.quotes.append(tick)
        del self.quotes[:-1_000]  # a card reads the recent ones; a long run stays small

    def on_order_rejected(self, event: OrderRejected) -> None:
        self.rejected[event.client_order_id] = str(event.reason)

    def on_order_denied(self, event: OrderDenied) -> None:
        self.denied[event.client_order_id] = str(event.reason)

    def on_order_cancel_rejected(self, event: OrderCancelRejected) -> None:
        self.cancel_rejected[event.client_order_id].append(str(event.reason))

    def on_order_modify_rejected(self, event: OrderModifyRejected) -> None:
        self.modify_rejected[event.client_order_id].append(str(event.reason))

    def on_order_updated(self, event: OrderUpdated) -> None:
        self.updated[event.client_order_id].append(event)

    def on_order_canceled(self, event: OrderCanceled) -> None:
        self.canceled[event.client_order_id] = event

    # --- what a card asks of it -------------------------------------------------------------
    def market(
        self,
        side: OrderSide,
        quantity: Quantity,
        tif: TimeInForce = TimeInForce.GTC,
        instrument_id: InstrumentId | None = None,
    ) -> Order:
        order = self.order_factory.market(
            instrument_id or self.instrument_id, side, quantity, time_in_force=tif
        )
        self.submit_order(order)
        return order

    def limit(
        self,
        side: OrderSide,
        quantity: Quantity,
        price: Price,
        tif: TimeInForce = TimeInForce.GTC,
        expire_time: pd.Timestamp | None = None,
    ) -> Order:
        order = self.order_factory.limit(
            self.instrument_id, side, quantity, price, tif, expire_time
        )
        self.submit_order(order)
        return order

    def stop_order(
        self, side: OrderSide, quantity: Quantity, trigger: Price, price: Price | None = None
    ) -> Order:
        """A stop-market order, or a stop-limit one when `price` is given (GTC both)."""
        if price is None:
            order = self.order_factory.stop_market(
                self.instrument_id, side, quantity, trigger, time_in_force=TimeInForce.GTC
            )
        else:
            order = self.order_factory.stop_limit(
                self.instrument_id, side, quantity, price, trigger, time_in_force=TimeInForce.GTC
            )
        self.submit_order(order)
        return order

    def submit(self, order: Order) -> Order:
        """Submit an order a card built itself (an order type or TIF under test)."""
        self.submit_order(order)
        return order

    def cancel_at_venue(self, order: Order) -> None:
        """Send a cancel even for an order that is closed: Strategy.cancel_order refuses one
        locally, and TC-E44 is about what the venue answers to it."""
        command = CancelOrder(
            trader_id=self.trader_id,
            strategy_id=self.id,
            instrument_id=order.instrument_id,
            client_order_id=order.client_order_id,
            venue_order_id=order.venue_order_id,
            command_id=UUID4(),
            ts_init=self.clock.timestamp_ns(),
        )
        self.msgbus.send(endpoint=_EXEC_ENGINE, msg=command)

    def cancel_each(self, orders: list[Order]) -> None:
        """One cancel request per order (not the client's cancel-all, which not every
        adapter has): how the kit clears what a card left open."""
        for order in orders:
            self.cancel_order(order)

    def net_position(self, instrument_id: InstrumentId | None = None) -> Decimal:
        positions = self.cache.positions_open(instrument_id=instrument_id or self.instrument_id)
        return sum((p.signed_decimal_qty() for p in positions), Decimal(0))
