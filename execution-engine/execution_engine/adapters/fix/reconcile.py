"""Our typed FIX reports → NautilusTrader's reconciliation reports.

The execution client's `generate_order_status_reports`, `generate_fill_reports`,
`generate_position_status_reports` and `generate_mass_status` answer with these, built from
the venue's answers to OrderStatusRequest / OrderMassStatusRequest (ExecutionReport with
ExecType=I), its fills (ExecType=F) and RequestForPositions (PositionReport). Quantities
and prices go through the instrument (`make_qty`, `make_price`), so their precision is the
instrument's, as NautilusTrader requires.
"""

from __future__ import annotations

import datetime as dt

from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.reports import FillReport, OrderStatusReport, PositionStatusReport
from nautilus_trader.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    TriggerType,
)
from nautilus_trader.model.enums import TimeInForce as NautilusTimeInForce
from nautilus_trader.model.identifiers import AccountId, ClientOrderId, TradeId, VenueOrderId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Money

from execution_engine.adapters.fix.clordid import order_cl_ord_id
from execution_engine.adapters.fix.codes import OrdStatus, OrdType, Side, TimeInForce
from execution_engine.adapters.fix.reports import ExecutionReport, PositionReport
from execution_engine.adapters.fix.wire import FixMessageError
from execution_engine.adapters.positions import net_position_report

_STATUS = {
    OrdStatus.PENDING_NEW: OrderStatus.SUBMITTED,
    OrdStatus.NEW: OrderStatus.ACCEPTED,
    OrdStatus.PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    OrdStatus.FILLED: OrderStatus.FILLED,
    OrdStatus.CANCELED: OrderStatus.CANCELED,
    OrdStatus.REJECTED: OrderStatus.REJECTED,
    OrdStatus.EXPIRED: OrderStatus.EXPIRED,
    OrdStatus.PENDING_CANCEL: OrderStatus.PENDING_CANCEL,
    OrdStatus.PENDING_REPLACE: OrderStatus.PENDING_UPDATE,
}
NAUTILUS_SIDE = {Side.BUY: OrderSide.BUY, Side.SELL: OrderSide.SELL}
NAUTILUS_ORDER_TYPE = {
    OrdType.MARKET: OrderType.MARKET,
    OrdType.LIMIT: OrderType.LIMIT,
    OrdType.STOP: OrderType.STOP_MARKET,
    OrdType.STOP_LIMIT: OrderType.STOP_LIMIT,
}
NAUTILUS_TIF = {
    TimeInForce.DAY: NautilusTimeInForce.DAY,
    TimeInForce.GTC: NautilusTimeInForce.GTC,
    TimeInForce.IOC: NautilusTimeInForce.IOC,
    TimeInForce.FOK: NautilusTimeInForce.FOK,
    TimeInForce.GTD: NautilusTimeInForce.GTD,
}
NAUTILUS_LIQUIDITY = {1: LiquiditySide.MAKER, 2: LiquiditySide.TAKER}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NONE = "NONE"  # the id a venue reports for an order it does not know


def order_status_report(
    report: ExecutionReport, instrument: Instrument, account_id: AccountId, ts_init: int
) -> OrderStatusReport:
    """The order as `report` shows it (any ExecType; ExecType=I is the status answer)."""
    status = _STATUS.get(report.ord_status)
    if status is None or report.order_id == _NONE:
        raise FixMessageError(
            f"ExecutionReport for {report.cl_ord_id}: OrdStatus {report.ord_status.name} "
            f"of order {report.order_id} is not an order NautilusTrader can hold"
        )
    quantity = (
        report.order_qty if report.order_qty is not None else report.cum_qty + report.leaves_qty
    )
    ts = epoch_ns(report.transact_time or report.header.sending_time)
    return OrderStatusReport(
        account_id=account_id,
        instrument_id=instrument.id,
        venue_order_id=VenueOrderId(report.order_id),
        client_order_id=ClientOrderId(order_cl_ord_id(report.cl_ord_id)),
        order_side=NAUTILUS_SIDE[report.side],
        order_type=NAUTILUS_ORDER_TYPE[report.ord_type or OrdType.MARKET],
        time_in_force=NAUTILUS_TIF[report.time_in_force or TimeInForce.DAY],
        order_status=status,
        quantity=instrument.make_qty(quantity),
        filled_qty=instrument.make_qty(report.cum_qty),
        price=None if report.price is None else instrument.make_price(report.price),
        trigger_price=None if report.stop_px is None else instrument.make_price(report.stop_px),
        # FIX 4.4 stop orders trigger on the venue's own rule (no TriggerPriceType sent)
        trigger_type=TriggerType.NO_TRIGGER if report.stop_px is None else TriggerType.DEFAULT,
        expire_time=report.expire_time,
        avg_px=report.avg_px if report.cum_qty else None,
        report_id=UUID4(),
        ts_accepted=ts,
        ts_last=ts,
        ts_init=ts_init,
        cancel_reason=report.text if status is OrderStatus.CANCELED else None,
    )


def fill_report(
    report: ExecutionReport, instrument: Instrument, account_id: AccountId, ts_init: int
) -> FillReport:
    """One fill (ExecType=F). ExecID is the trade id: a PossDup copy has the same one."""
    if not report.is_fill or report.last_qty is None or report.last_px is None:
        raise FixMessageError(
            f"ExecutionReport {report.exec_id} is not a fill with LastQty and LastPx"
        )
    return FillReport(
        account_id=account_id,
        instrument_id=instrument.id,
        venue_order_id=VenueOrderId(report.order_id),
        client_order_id=ClientOrderId(order_cl_ord_id(report.cl_ord_id)),
        trade_id=TradeId(report.exec_id),
        order_side=NAUTILUS_SIDE[report.side],
        last_qty=instrument.make_qty(report.last_qty),
        last_px=instrument.make_price(report.last_px),
        commission=Money(
            0, instrument.quote_currency
        ),  # FIX 4.4 Commission (12) is not sent by the simulator
        liquidity_side=NAUTILUS_LIQUIDITY.get(
            report.last_liquidity or 0, LiquiditySide.NO_LIQUIDITY_SIDE
        ),
        report_id=UUID4(),
        ts_event=epoch_ns(report.transact_time or report.header.sending_time),
        ts_init=ts_init,
    )


def position_status_report(
    report: PositionReport, instrument: Instrument, account_id: AccountId, ts_init: int
) -> PositionStatusReport:
    net = report.net_qty
    return net_position_report(
        account_id, instrument.id, net, instrument.make_qty(abs(net)),
        ts_last=epoch_ns(report.header.sending_time), ts_init=ts_init,
    )  # fmt: skip


def epoch_ns(moment: dt.datetime | None) -> int:
    """UNIX nanoseconds, exact (FIX timestamps carry at most microseconds)."""
    if moment is None:
        return 0
    return (moment - _EPOCH) // dt.timedelta(microseconds=1) * 1_000
