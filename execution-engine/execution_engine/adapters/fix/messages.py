"""Outgoing FIX 4.4 application messages: typed requests → QuickFIX messages.

Each builder takes a frozen request (Decimal prices and quantities) and returns a
`quickfix.Message` ready for `Session.sendToTarget`. Incoming messages are read by
reports.py. Requests validate what a venue would reject anyway (a limit order without a
price, a GTD order without an expiry), so the mistake is ours to report, in one line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import quickfix as fix
import quickfix44 as fix44

from execution_engine.adapters.fix.codes import MdEntryType, OrdType, Side, TimeInForce
from execution_engine.adapters.fix.wire import FixMessageError, decimal_text, utc_text

_PRICED = frozenset({OrdType.LIMIT, OrdType.STOP_LIMIT})
_STOPPED = frozenset({OrdType.STOP, OrdType.STOP_LIMIT})


@dataclass(frozen=True)
class OrderRequest:
    """A NewOrderSingle (and, with `orig_cl_ord_id`, the new terms of a cancel-replace)."""

    cl_ord_id: str
    symbol: str
    side: Side
    quantity: Decimal
    ord_type: OrdType
    time_in_force: TimeInForce = TimeInForce.DAY
    price: Decimal | None = None
    stop_px: Decimal | None = None
    expire_time: dt.datetime | None = None
    account: str | None = None
    transact_time: dt.datetime | None = None

    def __post_init__(self) -> None:
        if not self.cl_ord_id:
            raise FixMessageError("an order needs a ClOrdID")
        if self.quantity <= 0:
            raise FixMessageError(
                f"order {self.cl_ord_id}: quantity {self.quantity} is not positive"
            )
        if (self.price is not None) != (self.ord_type in _PRICED):
            raise FixMessageError(
                f"order {self.cl_ord_id}: a price goes with limit and stop-limit orders only"
            )
        if (self.stop_px is not None) != (self.ord_type in _STOPPED):
            raise FixMessageError(
                f"order {self.cl_ord_id}: a stop price goes with stop and stop-limit orders only"
            )
        if (self.expire_time is not None) != (self.time_in_force is TimeInForce.GTD):
            raise FixMessageError(f"order {self.cl_ord_id}: an expire time goes with GTD only")


@dataclass(frozen=True)
class CancelRequest:
    cl_ord_id: str
    orig_cl_ord_id: str
    symbol: str
    side: Side
    quantity: Decimal
    order_id: str | None = None


def new_order_single(order: OrderRequest) -> fix.Message:
    message = fix44.NewOrderSingle()
    _order_terms(message, order)
    return message


def order_cancel_replace(
    order: OrderRequest, orig_cl_ord_id: str, order_id: str | None = None
) -> fix.Message:
    """Replace the order `orig_cl_ord_id` by `order`'s terms under its new ClOrdID."""
    message = fix44.OrderCancelReplaceRequest()
    message.setField(41, orig_cl_ord_id)
    if order_id is not None:
        message.setField(37, order_id)
    _order_terms(message, order)
    return message


def order_cancel_request(
    cancel: CancelRequest, transact_time: dt.datetime | None = None
) -> fix.Message:
    message = fix44.OrderCancelRequest()
    message.setField(11, cancel.cl_ord_id)
    message.setField(41, cancel.orig_cl_ord_id)
    if cancel.order_id is not None:
        message.setField(37, cancel.order_id)
    message.setField(55, cancel.symbol)
    message.setField(54, cancel.side.value)
    message.setField(38, decimal_text(cancel.quantity))
    message.setField(60, utc_text(transact_time or _now()))
    return message


def order_status_request(
    cl_ord_id: str, symbol: str, side: Side, order_id: str | None = None
) -> fix.Message:
    message = fix44.OrderStatusRequest()
    message.setField(11, cl_ord_id)
    if order_id is not None:
        message.setField(37, order_id)
    message.setField(55, symbol)
    message.setField(54, side.value)
    return message


def order_mass_status_request(mass_status_req_id: str) -> fix.Message:
    """Status of every open order (MassStatusReqType 7 = all orders)."""
    message = fix44.OrderMassStatusRequest()
    message.setField(584, mass_status_req_id)
    message.setField(585, "7")
    return message


def request_for_positions(
    pos_req_id: str, account: str, clearing_date: dt.date | None = None
) -> fix.Message:
    """Positions of `account` (PosReqType 0 = positions, AccountType 1 = customer)."""
    message = fix44.RequestForPositions()
    message.setField(710, pos_req_id)
    message.setField(724, "0")
    message.setField(1, account)
    message.setField(581, "1")
    message.setField(715, (clearing_date or _now().date()).strftime("%Y%m%d"))
    message.setField(60, utc_text(_now()))
    return message


def market_data_request(
    md_req_id: str, symbols: Sequence[str], *, subscribe: bool = True
) -> fix.Message:
    """Top of book bid and offer for `symbols`: snapshot, then incremental refresh."""
    message = fix44.MarketDataRequest()
    message.setField(262, md_req_id)
    message.setField(263, "1" if subscribe else "2")  # snapshot + updates, or unsubscribe
    message.setField(264, "1")  # top of book
    message.setField(265, "1")  # incremental refresh
    for entry_type in (MdEntryType.BID, MdEntryType.OFFER):
        entry = fix44.MarketDataRequest.NoMDEntryTypes()
        entry.setField(269, entry_type.value)
        message.addGroup(entry)
    for symbol in symbols:
        related = fix44.MarketDataRequest.NoRelatedSym()
        related.setField(55, symbol)
        message.addGroup(related)
    return message


def _order_terms(message: fix.Message, order: OrderRequest) -> None:
    message.setField(11, order.cl_ord_id)
    if order.account is not None:
        message.setField(1, order.account)
    message.setField(55, order.symbol)
    message.setField(54, order.side.value)
    message.setField(60, utc_text(order.transact_time or _now()))
    message.setField(38, decimal_text(order.quantity))
    message.setField(40, order.ord_type.value)
    if order.price is not None:
        message.setField(44, decimal_text(order.price))
    if order.stop_px is not None:
        message.setField(99, decimal_text(order.stop_px))
    message.setField(59, order.time_in_force.value)
    if order.expire_time is not None:
        message.setField(126, utc_text(order.expire_time))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
