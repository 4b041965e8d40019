"""Reconciliation queries and market data against the simulator over TLS."""

from __future__ import annotations

from decimal import Decimal

from execution_engine.adapters.fix.codes import ExecType, MdEntryType, OrdStatus, OrdType, Side
from execution_engine.adapters.fix.messages import (
    OrderRequest,
    market_data_request,
    new_order_single,
    order_mass_status_request,
    order_status_request,
    request_for_positions,
)
from execution_engine.adapters.fix.reports import (
    ExecutionReport,
    MarketData,
    OtherMessage,
    PositionReport,
    PositionsAck,
)

from tests.integration.fix.conftest import SYMBOL, Pair, quote


def _filled_and_resting(pair: Pair, prefix: str) -> tuple[str, str]:
    pair.sim.push_quote(quote("1.20000", "1.20010"))
    filled, resting = f"{prefix}-filled", f"{prefix}-resting"
    pair.initiator.send(
        new_order_single(OrderRequest(filled, SYMBOL, Side.BUY, Decimal(3_000), OrdType.MARKET))
    )
    pair.initiator.send(
        new_order_single(
            OrderRequest(
                resting, SYMBOL, Side.SELL, Decimal(500), OrdType.LIMIT, price=Decimal("1.3")
            )
        )
    )
    pair.expect(lambda m: isinstance(m, ExecutionReport) and m.cl_ord_id == filled and m.is_fill)
    pair.expect(
        lambda m: (
            isinstance(m, ExecutionReport)
            and m.cl_ord_id == resting
            and m.exec_type is ExecType.NEW
        )
    )
    return filled, resting


def test_order_status_request_answers_exec_type_i(orders: Pair) -> None:
    filled, _ = _filled_and_resting(orders, "status")
    orders.initiator.send(order_status_request(filled, SYMBOL, Side.BUY))
    status = orders.expect(
        lambda m: isinstance(m, ExecutionReport) and m.exec_type is ExecType.ORDER_STATUS
    )
    assert isinstance(status, ExecutionReport)
    assert (status.cl_ord_id, status.ord_status, status.cum_qty) == (
        filled,
        OrdStatus.FILLED,
        Decimal(3_000),
    )
    assert status.avg_px == Decimal("1.20010")

    orders.initiator.send(order_status_request("no-such-order", SYMBOL, Side.BUY))
    unknown = orders.expect(
        lambda m: isinstance(m, ExecutionReport) and m.cl_ord_id == "no-such-order"
    )
    assert isinstance(unknown, ExecutionReport)
    assert (unknown.ord_status, unknown.text) == (OrdStatus.REJECTED, "unknown order")


def test_mass_status_lists_open_orders_only(orders: Pair) -> None:
    filled, resting = _filled_and_resting(orders, "mass")
    orders.initiator.send(order_mass_status_request("mass-1"))
    reports = [
        m
        for m in orders.quiet(0.4)
        if isinstance(m, ExecutionReport) and m.mass_status_req_id == "mass-1"
    ]
    ids = {r.cl_ord_id for r in reports}
    assert resting in ids
    assert filled not in ids
    assert all(r.exec_type is ExecType.ORDER_STATUS and r.leaves_qty > 0 for r in reports)


def test_request_for_positions_reports_the_net_filled_quantity(orders: Pair) -> None:
    before = orders.sim.book.positions().get(SYMBOL, Decimal(0))  # earlier tests' fills
    _filled_and_resting(orders, "pos")  # buys 3 000; the resting sell does not fill
    expected = before + Decimal(3_000)
    orders.initiator.send(request_for_positions("pos-1", orders.sim.config.account))
    ack = orders.expect(lambda m: isinstance(m, PositionsAck))
    report = orders.expect(lambda m: isinstance(m, PositionReport) and m.symbol == SYMBOL)
    assert isinstance(ack, PositionsAck)
    assert isinstance(report, PositionReport)
    assert ack.total_reports == 1
    assert ack.result == 0
    assert report.net_qty == expected
    assert report.account == orders.sim.config.account


def test_market_data_snapshot_then_incremental_refresh(orders: Pair) -> None:
    orders.sim.push_quote(quote("1.25000", "1.25005"))
    orders.initiator.send(market_data_request("md-1", [SYMBOL]))
    snapshot = orders.expect(lambda m: isinstance(m, MarketData) and m.snapshot)
    assert isinstance(snapshot, MarketData)
    prices = {e.entry_type: e.price for e in snapshot.entries}
    assert prices == {MdEntryType.BID: Decimal("1.25000"), MdEntryType.OFFER: Decimal("1.25005")}
    orders.sim.push_quote(quote("1.25010", "1.25015"))
    update = orders.expect(lambda m: isinstance(m, MarketData) and not m.snapshot)
    assert isinstance(update, MarketData)
    assert [(e.entry_type, e.price, e.symbol) for e in update.entries] == [
        (MdEntryType.BID, Decimal("1.25010"), SYMBOL),
        (MdEntryType.OFFER, Decimal("1.25015"), SYMBOL),
    ]
    orders.initiator.send(market_data_request("md-1", [SYMBOL], subscribe=False))


def test_unsupported_message_gets_business_message_reject(orders: Pair) -> None:
    import quickfix44 as fix44
    from execution_engine.adapters.fix.reports import BusinessMessageReject

    request = fix44.SecurityListRequest()
    request.setField(320, "sec-1")
    request.setField(559, "4")  # all securities
    orders.initiator.send(request)
    reject = orders.expect(lambda m: isinstance(m, BusinessMessageReject))
    assert isinstance(reject, BusinessMessageReject)
    assert (reject.ref_msg_type, reject.reason) == ("x", 3)
    assert not any(isinstance(m, OtherMessage) for m in orders.quiet(0))


def test_venue_answers_become_nautilus_reconciliation_reports(orders: Pair) -> None:
    from execution_engine.adapters.fix.providers import FixInstrumentProvider
    from execution_engine.adapters.fix.reconcile import (
        fill_report,
        order_status_report,
        position_status_report,
    )
    from nautilus_trader.model.enums import OrderSide, OrderStatus, OrderType, PositionSide
    from nautilus_trader.model.identifiers import AccountId, ClientOrderId

    instrument = FixInstrumentProvider(["EURUSD"]).by_fix_symbol(SYMBOL)
    account = AccountId("FIX-SIM-1")
    before = orders.sim.book.positions().get(SYMBOL, Decimal(0))
    filled, resting = _filled_and_resting(orders, "recon")

    orders.initiator.send(order_status_request(filled, SYMBOL, Side.BUY))
    answer = orders.expect(
        lambda m: isinstance(m, ExecutionReport) and m.exec_type is ExecType.ORDER_STATUS
    )
    assert isinstance(answer, ExecutionReport)
    status = order_status_report(answer, instrument, account, ts_init=1)
    assert status.client_order_id == ClientOrderId(filled)
    assert status.order_status == OrderStatus.FILLED
    assert status.order_type == OrderType.MARKET
    assert (status.quantity.as_decimal(), status.filled_qty.as_decimal()) == (
        Decimal(3_000),
        Decimal(3_000),
    )
    assert status.avg_px == Decimal("1.20010")

    orders.initiator.send(order_mass_status_request("recon-mass"))
    listed = [
        m
        for m in orders.quiet(0.4)
        if isinstance(m, ExecutionReport) and m.mass_status_req_id == "recon-mass"
    ]
    open_report = next(
        order_status_report(m, instrument, account, 1) for m in listed if m.cl_ord_id == resting
    )
    assert open_report.order_status == OrderStatus.ACCEPTED
    assert open_report.order_side == OrderSide.SELL
    assert str(open_report.price) == "1.30000"  # the instrument's 5 decimals

    # The bid reaches 1.3: this test's resting sell fills, and so do the earlier tests' ones.
    orders.sim.push_quote(quote("1.30000", "1.30010"))
    fills = [m for m in orders.quiet(0.4) if isinstance(m, ExecutionReport) and m.is_fill]
    sold = sum((m.last_qty or Decimal(0) for m in fills if m.side is Side.SELL), Decimal(0))
    fill = next(m for m in fills if m.cl_ord_id == resting)
    trade = fill_report(fill, instrument, account, ts_init=1)
    assert (str(trade.trade_id), str(trade.last_px), str(trade.last_qty)) == (
        fill.exec_id,
        "1.30000",
        "500",
    )

    orders.initiator.send(request_for_positions("recon-pos", orders.sim.config.account))
    report = orders.expect(lambda m: isinstance(m, PositionReport) and m.pos_req_id == "recon-pos")
    assert isinstance(report, PositionReport)
    position = position_status_report(report, instrument, account, ts_init=1)
    net = before + Decimal(3_000) - sold
    assert position.position_side == (PositionSide.LONG if net > 0 else PositionSide.SHORT)
    assert position.quantity.as_decimal() == abs(net)
