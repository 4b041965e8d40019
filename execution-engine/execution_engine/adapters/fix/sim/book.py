"""The simulated broker's order book: acceptance rules, matching against quotes, TIFs.

Pure and single-threaded (the broker holds a lock around it), so its rules are tested
without sockets. Every method returns what the broker must report: `Execution`s (one
ExecutionReport each) and `CancelRejected`s (one OrderCancelReject each).

Matching: a market order (or a triggered stop) fills at the touch (buy at the ask, sell at
the bid); a limit order fills at the touch once the touch reaches its price. Each quote
offers `top_size` to each order (None: unlimited), so an order larger than that fills
partially over several quotes; IOC cancels what the first match leaves; FOK is canceled
unless the touch fills all of it at once. GTD orders expire at their ExpireTime.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from execution_engine.adapters.fix.codes import (
    TERMINAL_STATUSES,
    ExecType,
    OrdStatus,
    OrdType,
    Side,
    TimeInForce,
)
from execution_engine.adapters.fix.messages import OrderRequest
from execution_engine.adapters.fix.sim.quotes import Quote

_ZERO = Decimal(0)
# OrdRejReason (103) and CxlRejReason (102) codes used here.
REJECT_UNKNOWN_SYMBOL = 1
REJECT_EXCEEDS_LIMIT = 3
REJECT_DUPLICATE = 6
REJECT_OTHER = 99
CXL_TOO_LATE = 0
CXL_UNKNOWN_ORDER = 1


@dataclass(frozen=True)
class BookRules:
    top_size: Decimal | None = None
    symbols: frozenset[str] | None = None  # None: any symbol
    max_quantity: Decimal | None = None


@dataclass(frozen=True)
class OrderState:
    """An order as one report shows it."""

    order_id: str
    cl_ord_id: str
    orig_cl_ord_id: str | None
    terms: OrderRequest
    status: OrdStatus
    cum_qty: Decimal
    avg_px: Decimal

    @property
    def leaves_qty(self) -> Decimal:
        return _ZERO if self.status in TERMINAL_STATUSES else self.terms.quantity - self.cum_qty


@dataclass(frozen=True)
class Execution:
    order: OrderState
    exec_type: ExecType
    exec_id: str
    last_qty: Decimal | None = None
    last_px: Decimal | None = None
    text: str | None = None
    ord_rej_reason: int | None = None
    mass_status_req_id: str | None = None
    last_report: bool = False  # LastRptRequested on the final answer to a mass status request


@dataclass(frozen=True)
class CancelRejected:
    cl_ord_id: str
    orig_cl_ord_id: str
    order_id: str
    status: OrdStatus
    response_to: str  # 1 cancel, 2 cancel-replace
    reason: int
    text: str


Report = Execution | CancelRejected


@dataclass
class _Order:
    order_id: str
    cl_ord_id: str
    terms: OrderRequest
    orig_cl_ord_id: str | None = None
    status: OrdStatus = OrdStatus.NEW
    cum_qty: Decimal = _ZERO
    notional: Decimal = _ZERO
    triggered: bool = False

    @property
    def leaves(self) -> Decimal:
        return self.terms.quantity - self.cum_qty

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL_STATUSES

    def state(self) -> OrderState:
        avg = self.notional / self.cum_qty if self.cum_qty else _ZERO
        return OrderState(
            self.order_id,
            self.cl_ord_id,
            self.orig_cl_ord_id,
            self.terms,
            self.status,
            self.cum_qty,
            avg,
        )


class Book:
    def __init__(self, rules: BookRules, clock: Callable[[], dt.datetime]) -> None:
        self.rules = rules
        self._clock = clock
        self._orders: dict[str, _Order] = {}  # by OrderID, in arrival order
        self._by_cl_ord_id: dict[str, str] = {}  # every ClOrdID ever used → OrderID
        self._quotes: dict[str, Quote] = {}
        self._expiring: set[str] = set()  # OrderIDs of GTD orders: what the clock checks
        self._order_ids = itertools.count(1)
        self._exec_ids = itertools.count(1)

    # --- orders -----------------------------------------------------------------------------
    def new_order(self, terms: OrderRequest, reject_text: str | None = None) -> list[Report]:
        order = _Order(f"O{next(self._order_ids)}", terms.cl_ord_id, terms)
        problem = self._refusal(terms, reject_text)
        if problem is not None:
            order.status = OrdStatus.REJECTED
            reason, text = problem
            return [self._execution(order, ExecType.REJECTED, text=text, ord_rej_reason=reason)]
        self._orders[order.order_id] = order
        self._by_cl_ord_id[terms.cl_ord_id] = order.order_id
        if terms.expire_time is not None:
            self._expiring.add(order.order_id)
        reports: list[Report] = [self._execution(order, ExecType.NEW)]
        return reports + self._on_arrival(order)

    def cancel(self, cl_ord_id: str, orig_cl_ord_id: str) -> list[Report]:
        order = self._live(orig_cl_ord_id)
        if isinstance(order, CancelRejected):
            return [dataclasses.replace(order, cl_ord_id=cl_ord_id, response_to="1")]
        order.orig_cl_ord_id, order.cl_ord_id = order.cl_ord_id, cl_ord_id
        self._by_cl_ord_id[cl_ord_id] = order.order_id
        order.status = OrdStatus.CANCELED
        return [self._execution(order, ExecType.CANCELED)]

    def replace(self, terms: OrderRequest, orig_cl_ord_id: str) -> list[Report]:
        order = self._live(orig_cl_ord_id)
        if isinstance(order, CancelRejected):
            return [dataclasses.replace(order, cl_ord_id=terms.cl_ord_id, response_to="2")]
        if terms.quantity <= order.cum_qty or terms.symbol != order.terms.symbol:
            text = "new quantity must exceed the filled quantity, on the same symbol"
            return [
                self._cancel_rejected(
                    terms.cl_ord_id, orig_cl_ord_id, order, "2", CXL_TOO_LATE, text
                )
            ]
        order.orig_cl_ord_id, order.cl_ord_id, order.terms = order.cl_ord_id, terms.cl_ord_id, terms
        self._by_cl_ord_id[terms.cl_ord_id] = order.order_id
        if terms.expire_time is not None:
            self._expiring.add(order.order_id)
        order.triggered = False
        reports: list[Report] = [self._execution(order, ExecType.REPLACED)]
        quote = self._quotes.get(order.terms.symbol)
        return reports + (self._match(order, quote) if quote else [])

    def unsolicited_cancel(self, cl_ord_id: str, text: str) -> list[Report]:
        order = self._live(cl_ord_id)
        if isinstance(order, CancelRejected):
            return []
        order.status = OrdStatus.CANCELED
        return [self._execution(order, ExecType.CANCELED, text=text)]

    # --- queries ----------------------------------------------------------------------------
    def status(self, cl_ord_id: str) -> Execution:
        order_id = self._by_cl_ord_id.get(cl_ord_id)
        if order_id is None:
            unknown = _Order("NONE", cl_ord_id, _placeholder(cl_ord_id), status=OrdStatus.REJECTED)
            return self._execution(unknown, ExecType.ORDER_STATUS, text="unknown order")
        return self._execution(self._orders[order_id], ExecType.ORDER_STATUS)

    def mass_status(self, request_id: str) -> list[Execution]:
        open_orders = [o for o in self._orders.values() if o.is_open]
        if not open_orders:
            none = _Order("NONE", "NONE", _placeholder("NONE"), status=OrdStatus.REJECTED)
            return [
                self._execution(
                    none,
                    ExecType.ORDER_STATUS,
                    text="no open orders",
                    mass_status_req_id=request_id,
                    last_report=True,
                )
            ]
        last = len(open_orders) - 1
        return [
            self._execution(
                o, ExecType.ORDER_STATUS, mass_status_req_id=request_id, last_report=i == last
            )
            for i, o in enumerate(open_orders)
        ]

    def positions(self) -> dict[str, Decimal]:
        """Net filled quantity per symbol (buys positive)."""
        net: dict[str, Decimal] = {}
        for order in self._orders.values():
            signed = order.cum_qty if order.terms.side is Side.BUY else -order.cum_qty
            net[order.terms.symbol] = net.get(order.terms.symbol, _ZERO) + signed
        return net

    def quote(self, symbol: str) -> Quote | None:
        return self._quotes.get(symbol)

    def knows_cl_ord_id(self, cl_ord_id: str) -> bool:
        return cl_ord_id in self._by_cl_ord_id

    def knows_symbol(self, symbol: str) -> bool:
        return self.rules.symbols is None or symbol in self.rules.symbols

    # --- market and time --------------------------------------------------------------------
    def on_quote(self, quote: Quote) -> list[Report]:
        self._quotes[quote.symbol] = quote
        reports: list[Report] = []
        for order in list(self._orders.values()):
            if order.is_open and order.terms.symbol == quote.symbol:
                reports += self._match(order, quote)
        return reports

    def on_time(self, now: dt.datetime) -> list[Report]:
        reports: list[Report] = []
        for order_id in list(self._expiring):
            order = self._orders[order_id]
            expiry = order.terms.expire_time
            if not order.is_open or expiry is None:
                self._expiring.discard(order_id)  # closed, or replaced by a non-GTD order
            elif expiry <= now:
                order.status = OrdStatus.EXPIRED
                self._expiring.discard(order_id)
                reports.append(self._execution(order, ExecType.EXPIRED))
        return reports

    # --- rules ------------------------------------------------------------------------------
    def _refusal(self, terms: OrderRequest, reject_text: str | None) -> tuple[int, str] | None:
        if reject_text is not None:
            return REJECT_OTHER, reject_text
        if terms.cl_ord_id in self._by_cl_ord_id:
            return REJECT_DUPLICATE, f"duplicate ClOrdID {terms.cl_ord_id}"
        if not self.knows_symbol(terms.symbol):
            return REJECT_UNKNOWN_SYMBOL, f"unknown symbol {terms.symbol}"
        if self.rules.max_quantity is not None and terms.quantity > self.rules.max_quantity:
            return REJECT_EXCEEDS_LIMIT, f"quantity above the limit of {self.rules.max_quantity}"
        expiry = terms.expire_time
        if expiry is not None and expiry <= self._clock():
            return REJECT_OTHER, "ExpireTime is in the past"
        return None

    def _on_arrival(self, order: _Order) -> list[Report]:
        quote = self._quotes.get(order.terms.symbol)
        tif = order.terms.time_in_force
        if tif is TimeInForce.FOK and (
            quote is None or self._fillable(order, quote) < order.leaves
        ):
            return [self._close(order, "FOK order cannot be filled in full")]
        reports = self._match(order, quote) if quote is not None else []
        if tif in (TimeInForce.IOC, TimeInForce.FOK) and order.is_open:
            reports.append(self._close(order, "IOC remainder canceled"))
        return reports

    def _match(self, order: _Order, quote: Quote) -> list[Report]:
        quantity = self._fillable(order, quote)
        if quantity <= 0:
            return []
        price = quote.ask if order.terms.side is Side.BUY else quote.bid
        order.cum_qty += quantity
        order.notional += quantity * price
        order.status = OrdStatus.FILLED if order.leaves == 0 else OrdStatus.PARTIALLY_FILLED
        return [self._execution(order, ExecType.TRADE, last_qty=quantity, last_px=price)]

    def _fillable(self, order: _Order, quote: Quote) -> Decimal:
        """How much of `order` the quote fills now (0 when it does not execute); a stop
        whose price the touch has reached is marked triggered on the way."""
        terms = order.terms
        buy = terms.side is Side.BUY
        touch = quote.ask if buy else quote.bid
        if terms.stop_px is not None and not order.triggered:
            order.triggered = touch >= terms.stop_px if buy else touch <= terms.stop_px
            if not order.triggered:
                return _ZERO
        if terms.ord_type in (OrdType.LIMIT, OrdType.STOP_LIMIT):
            assert terms.price is not None  # OrderRequest requires a price for these types
            if (buy and touch > terms.price) or (not buy and touch < terms.price):
                return _ZERO
        size = quote.size or self.rules.top_size
        return order.leaves if size is None else min(order.leaves, size)

    def _close(self, order: _Order, text: str) -> Execution:
        order.status = OrdStatus.CANCELED
        return self._execution(order, ExecType.CANCELED, text=text)

    def _live(self, cl_ord_id: str) -> _Order | CancelRejected:
        """The open order that `cl_ord_id` names, or why a cancel of it is refused."""
        order_id = self._by_cl_ord_id.get(cl_ord_id)
        if order_id is None:
            return CancelRejected(
                "", cl_ord_id, "NONE", OrdStatus.REJECTED, "1", CXL_UNKNOWN_ORDER, "unknown order"
            )
        order = self._orders[order_id]
        if not order.is_open:
            return self._cancel_rejected(
                "", cl_ord_id, order, "1", CXL_TOO_LATE, f"order is {order.status.name}"
            )
        return order

    @staticmethod
    def _cancel_rejected(
        cl_ord_id: str, orig: str, order: _Order, response_to: str, reason: int, text: str
    ) -> CancelRejected:
        return CancelRejected(
            cl_ord_id, orig, order.order_id, order.status, response_to, reason, text
        )

    def _execution(
        self,
        order: _Order,
        exec_type: ExecType,
        *,
        last_qty: Decimal | None = None,
        last_px: Decimal | None = None,
        text: str | None = None,
        ord_rej_reason: int | None = None,
        mass_status_req_id: str | None = None,
        last_report: bool = False,
    ) -> Execution:
        exec_id = f"E{next(self._exec_ids)}"
        return Execution(
            order.state(),
            exec_type,
            exec_id,
            last_qty,
            last_px,
            text,
            ord_rej_reason,
            mass_status_req_id,
            last_report,
        )


def _placeholder(cl_ord_id: str) -> OrderRequest:
    """Terms for reports about orders the book does not hold."""
    return OrderRequest(cl_ord_id, "NONE", Side.BUY, Decimal(1), OrdType.MARKET)
