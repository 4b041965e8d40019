"""Orders through the initiator and the simulator over TLS, reports parsed to Decimal.

The simulator's touch offers 100 000 per quote (top_size), so larger orders fill in parts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from decimal import Decimal

from execution_engine.adapters.fix.codes import ExecType, OrdStatus, OrdType, Side, TimeInForce
from execution_engine.adapters.fix.messages import (
    CancelRequest,
    OrderRequest,
    order_cancel_replace,
    order_cancel_request,
)
from execution_engine.adapters.fix.reports import ExecutionReport, OrderCancelReject

from tests.integration.fix.conftest import SYMBOL, Pair, quote, report_for, send_order

_ids = itertools.count(1)


def _id(name: str) -> str:
    return f"{name}-{next(_ids)}"


def test_market_order_fills_at_the_ask_in_decimal(orders: Pair) -> None:
    orders.sim.push_quote(quote("1.10000", "1.10020"))
    cl_ord_id = _id("mkt")
    send_order(orders, OrderRequest(cl_ord_id, SYMBOL, Side.BUY, Decimal(50_000), OrdType.MARKET))
    assert report_for(orders, cl_ord_id, ExecType.NEW).ord_status is OrdStatus.NEW
    fill = report_for(orders, cl_ord_id, ExecType.TRADE)
    assert fill.last_px == Decimal("1.10020")
    assert isinstance(fill.last_px, Decimal)
    assert fill.last_qty == fill.cum_qty == Decimal(50_000)
    assert fill.leaves_qty == 0
    assert fill.ord_status is OrdStatus.FILLED
    assert not fill.header.poss_dup


def test_limit_order_rests_then_fills_when_the_quote_crosses(orders: Pair) -> None:
    orders.sim.push_quote(quote("1.10000", "1.10020"))
    cl_ord_id = _id("lmt")
    limit = Decimal("1.09950")
    send_order(
        orders,
        OrderRequest(cl_ord_id, SYMBOL, Side.BUY, Decimal(10_000), OrdType.LIMIT, price=limit),
    )
    assert report_for(orders, cl_ord_id, ExecType.NEW).price == limit
    orders.sim.push_quote(quote("1.09940", "1.09960"))  # ask still above the limit
    assert not any(isinstance(m, ExecutionReport) and m.is_fill for m in orders.quiet(0.2))
    orders.sim.push_quote(quote("1.09920", "1.09940"))  # ask 1.09940 <= 1.09950: fills at the ask
    fill = report_for(orders, cl_ord_id, ExecType.TRADE)
    assert fill.last_px == Decimal("1.09940")
    assert fill.ord_status is OrdStatus.FILLED


def test_stop_order_triggers_when_the_bid_falls_to_it(orders: Pair) -> None:
    orders.sim.push_quote(quote("1.10000", "1.10020"))
    cl_ord_id = _id("stp")
    stop = Decimal("1.09900")
    send_order(
        orders,
        OrderRequest(cl_ord_id, SYMBOL, Side.SELL, Decimal(1_000), OrdType.STOP, stop_px=stop),
    )
    report_for(orders, cl_ord_id, ExecType.NEW)
    orders.sim.push_quote(quote("1.09890", "1.09910"))
    fill = report_for(orders, cl_ord_id, ExecType.TRADE)
    assert fill.last_px == Decimal("1.09890")
    assert fill.side is Side.SELL


def test_ioc_fills_what_the_touch_offers_and_cancels_the_rest(orders: Pair) -> None:
    orders.sim.push_quote(quote("1.10000", "1.10020"))
    cl_ord_id = _id("ioc")
    send_order(
        orders,
        OrderRequest(
            cl_ord_id, SYMBOL, Side.BUY, Decimal(150_000), OrdType.MARKET, TimeInForce.IOC
        ),
    )
    fill = report_for(orders, cl_ord_id, ExecType.TRADE)
    assert fill.last_qty == Decimal(100_000)
    assert fill.ord_status is OrdStatus.PARTIALLY_FILLED
    canceled = report_for(orders, cl_ord_id, ExecType.CANCELED)
    assert canceled.cum_qty == Decimal(100_000)
    assert canceled.leaves_qty == 0
    assert canceled.ord_status is OrdStatus.CANCELED


def test_fok_that_cannot_fill_in_full_is_canceled_unfilled(orders: Pair) -> None:
    orders.sim.push_quote(quote("1.10000", "1.10020"))
    cl_ord_id = _id("fok")
    send_order(
        orders,
        OrderRequest(
            cl_ord_id, SYMBOL, Side.SELL, Decimal(150_000), OrdType.MARKET, TimeInForce.FOK
        ),
    )
    canceled = report_for(orders, cl_ord_id, ExecType.CANCELED)
    assert canceled.cum_qty == 0
    assert canceled.text == "FOK order cannot be filled in full"
    assert not [e for e in orders.sim.ledger.entries("fill") if e.cl_ord_id == cl_ord_id]


def test_gtd_order_expires_at_its_expire_time(orders: Pair) -> None:
    orders.sim.push_quote(quote("1.10000", "1.10020"))
    cl_ord_id = _id("gtd")
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=400)
    order = OrderRequest(
        cl_ord_id,
        SYMBOL,
        Side.BUY,
        Decimal(1_000),
        OrdType.LIMIT,
        TimeInForce.GTD,
        price=Decimal("1.00000"),
        expire_time=expiry,
    )
    send_order(orders, order)
    report_for(orders, cl_ord_id, ExecType.NEW)
    expired = report_for(orders, cl_ord_id, ExecType.EXPIRED)
    assert expired.ord_status is OrdStatus.EXPIRED
    assert expired.header.sending_time is not None
    assert expired.header.sending_time >= expiry.replace(
        microsecond=expiry.microsecond // 1000 * 1000
    )


def test_cancel_then_cancel_replace(orders: Pair) -> None:
    orders.sim.push_quote(quote("1.10000", "1.10020"))
    first, second = _id("rest"), _id("rest")
    for cl_ord_id in (first, second):
        send_order(
            orders,
            OrderRequest(
                cl_ord_id, SYMBOL, Side.BUY, Decimal(1_000), OrdType.LIMIT, price=Decimal("1.05")
            ),
        )
        report_for(orders, cl_ord_id, ExecType.NEW)
    cancel_id = _id("cxl")
    orders.initiator.send(
        order_cancel_request(CancelRequest(cancel_id, first, SYMBOL, Side.BUY, Decimal(1_000)))
    )
    canceled = report_for(orders, cancel_id, ExecType.CANCELED)
    assert canceled.orig_cl_ord_id == first
    assert canceled.ord_status is OrdStatus.CANCELED

    replace_id = _id("rpl")
    new_terms = OrderRequest(
        replace_id, SYMBOL, Side.BUY, Decimal(2_000), OrdType.LIMIT, price=Decimal("1.06")
    )
    orders.initiator.send(order_cancel_replace(new_terms, second))
    replaced = report_for(orders, replace_id, ExecType.REPLACED)
    assert (replaced.orig_cl_ord_id, replaced.order_qty, replaced.price) == (
        second,
        Decimal(2_000),
        Decimal("1.06"),
    )
    assert replaced.ord_status is OrdStatus.NEW
    orders.sim.push_quote(quote("1.05980", "1.06000"))  # the replaced price is now reached
    assert report_for(orders, replace_id, ExecType.TRADE).last_px == Decimal("1.06000")


def test_cancel_of_an_unknown_cl_ord_id_gets_order_cancel_reject(orders: Pair) -> None:
    cancel_id = _id("cxl")
    orders.initiator.send(
        order_cancel_request(CancelRequest(cancel_id, "never-sent", SYMBOL, Side.BUY, Decimal(1)))
    )
    reject = orders.expect(lambda m: isinstance(m, OrderCancelReject) and m.cl_ord_id == cancel_id)
    assert isinstance(reject, OrderCancelReject)
    assert (reject.orig_cl_ord_id, reject.reason, reject.response_to) == ("never-sent", 1, "1")
    assert reject.text == "unknown order"


def test_duplicate_fill_arrives_flagged_poss_dup_and_the_ledger_counts_it(orders: Pair) -> None:
    orders.sim.push_quote(quote("1.10000", "1.10020"))
    orders.sim.faults.duplicate_next_fill = True
    cl_ord_id = _id("dup")
    send_order(orders, OrderRequest(cl_ord_id, SYMBOL, Side.BUY, Decimal(1_000), OrdType.MARKET))
    first = report_for(orders, cl_ord_id, ExecType.TRADE)
    again = report_for(orders, cl_ord_id, ExecType.TRADE)
    assert (first.header.poss_dup, again.header.poss_dup) == (False, True)
    assert again.exec_id == first.exec_id
    assert again.header.seq_num > first.header.seq_num
    fills = [e for e in orders.sim.ledger.entries("fill") if e.cl_ord_id == cl_ord_id]
    assert [e.poss_dup for e in fills] == [False, True]


def test_duplicate_cl_ord_id_is_rejected_and_counted_once_as_an_order(orders: Pair) -> None:
    cl_ord_id = _id("twice")
    order = OrderRequest(
        cl_ord_id, SYMBOL, Side.BUY, Decimal(1_000), OrdType.LIMIT, price=Decimal("1.0")
    )
    send_order(orders, order)
    report_for(orders, cl_ord_id, ExecType.NEW)
    send_order(orders, order)
    rejected = report_for(orders, cl_ord_id, ExecType.REJECTED)
    assert rejected.ord_rej_reason == 6
    assert rejected.text == f"duplicate ClOrdID {cl_ord_id}"
    ledger = orders.sim.ledger
    assert [e.kind for e in ledger.entries() if e.cl_ord_id == cl_ord_id] == [
        "order",
        "duplicate_order",
        "reject",
    ]


def test_configured_reject_reaches_the_initiator_with_its_reason(orders: Pair) -> None:
    orders.sim.faults.reject_next_orders = 1
    cl_ord_id = _id("rej")
    send_order(orders, OrderRequest(cl_ord_id, SYMBOL, Side.BUY, Decimal(1), OrdType.MARKET))
    rejected = report_for(orders, cl_ord_id, ExecType.REJECTED)
    assert rejected.ord_status is OrdStatus.REJECTED
    assert rejected.text == orders.sim.faults.reject_text


def test_delayed_reports_arrive_after_the_delay(orders: Pair) -> None:
    import time

    orders.sim.push_quote(quote("1.10000", "1.10020"))
    orders.sim.faults.delay_reports_seconds = 0.3
    cl_ord_id = _id("late")
    sent = time.monotonic()
    send_order(orders, OrderRequest(cl_ord_id, SYMBOL, Side.BUY, Decimal(1_000), OrdType.MARKET))
    report_for(orders, cl_ord_id, ExecType.TRADE)
    assert time.monotonic() - sent >= 0.3


def test_unsolicited_cancel_reaches_the_initiator(orders: Pair) -> None:
    cl_ord_id = _id("unsol")
    send_order(
        orders,
        OrderRequest(
            cl_ord_id, SYMBOL, Side.BUY, Decimal(1_000), OrdType.LIMIT, price=Decimal("1.0")
        ),
    )
    report_for(orders, cl_ord_id, ExecType.NEW)
    orders.sim.unsolicited_cancel(cl_ord_id, "risk limit at the broker")
    canceled = report_for(orders, cl_ord_id, ExecType.CANCELED)
    assert canceled.text == "risk limit at the broker"
    assert canceled.cum_qty == 0


def test_quotes_pushed_while_orders_arrive_never_deadlock_the_simulator(orders: Pair) -> None:
    """A pushed quote (broker lock, then a send) meeting an incoming order (QuickFIX's
    session lock, then the broker lock) deadlocked the simulator when it sent under its
    lock; now its outbox thread sends. Quotes and orders race here; every order's NEW must
    come, in the order the orders were sent."""
    stop = threading.Event()

    def push() -> None:
        tick = 0
        while not stop.is_set():
            tick += 1
            orders.sim.push_quote(quote(f"1.1{tick % 90:04d}", f"1.1{tick % 90 + 2:04d}"))

    pusher = threading.Thread(target=push, daemon=True)
    pusher.start()
    try:
        sent = [_id("race") for _ in range(40)]
        for cl_ord_id in sent:
            send_order(orders, OrderRequest(cl_ord_id, SYMBOL, Side.BUY, Decimal(150_000),
                                            OrdType.MARKET))  # fmt: skip
        for cl_ord_id in sent:
            assert report_for(orders, cl_ord_id, ExecType.NEW).cum_qty == 0
    finally:
        stop.set()
        pusher.join(5)
    assert not pusher.is_alive()  # a deadlocked push never returns
