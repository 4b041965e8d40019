"""Orders through the initiator and the simulator over TLS, reports parsed to Decimal.

The simulator's touch offers 100 000 per quote (top_size), so larger orders fill in parts.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from execution_engine.adapters.fix.codes import ExecType, OrdStatus, OrdType, Side, TimeInForce
from execution_engine.adapters.fix.messages import (
    CancelRequest,
    OrderRequest,
    new_order_single,
    order_cancel_replace,
    order_cancel_request,
)
from execution_engine.adapters.fix.reports import ExecutionReport, OrderCancelReject
from tests.integration.fix.conftest import SYMBOL, Pair, quote

_ids = itertools.count(1)


def _id(name: str) -> str:
    return f"{name}-{next(_ids)}"


def _report(pair: Pair, cl_ord_id: str, exec_type: ExecType) -> ExecutionReport:
    message = pair.expect(
        lambda m: isinstance(m, ExecutionReport) and m.cl_ord_id == cl_ord_id and m.exec_type is exec_type
    )
    assert isinstance(message, ExecutionReport)
    return message


def _send(pair: Pair, order: OrderRequest) -> None:
    pair.initiator.send(new_order_single(order))


def test_market_order_fills_at_the_ask_in_decimal(orders: Pair) -> None:
    orders.sim.push_quote(quote("1.10000", "1.10020"))
    cl_ord_id = _id("mkt")
    _send(orders, OrderRequest(cl_ord_id, SYMBOL, Side.BUY, Decimal(50_000), OrdType.MARKET))
    assert _report(orders, cl_ord_id, ExecType.NEW).ord_status is OrdStatus.NEW
    fill = _report(orders, cl_ord_id, ExecType.TRADE)
    assert fill.last_px == Decimal("1.10020") and isinstance(fill.last_px, Decimal)
    assert fill.last_qty == fill.cum_qty == Decimal(50_000)
    assert fill.leaves_qty == 0 and fill.ord_status is OrdStatus.FILLED
    assert not fill.header.poss_dup
