"""The simulator's outgoing messages: book reports → QuickFIX messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

import quickfix as fix
import quickfix44 as fix44

from execution_engine.adapters.fix.codes import MdEntryType
from execution_engine.adapters.fix.sim.book import CancelRejected, Execution
from execution_engine.adapters.fix.sim.quotes import Quote
from execution_engine.adapters.fix.wire import decimal_text, utc_text

_DEFAULT_SIZE = Decimal(1_000_000)  # the size shown in market data when quotes carry none


def execution_report(report: Execution, now: dt.datetime) -> fix.Message:
    order, terms = report.order, report.order.terms
    message = fix44.ExecutionReport()
    _set(
        message,
        {
            37: order.order_id,
            11: order.cl_ord_id,
            41: order.orig_cl_ord_id,
            17: report.exec_id,
            150: report.exec_type.value,
            39: order.status.value,
            55: terms.symbol,
            54: terms.side.value,
            40: terms.ord_type.value,
            59: terms.time_in_force.value,
            58: report.text,
            584: report.mass_status_req_id,
            60: utc_text(now),
        },
    )
    _set_decimals(
        message,
        {
            38: terms.quantity,
            44: terms.price,
            99: terms.stop_px,
            14: order.cum_qty,
            151: order.leaves_qty,
            6: order.avg_px,
            32: report.last_qty,
            31: report.last_px,
        },
    )
    if terms.expire_time is not None:
        message.setField(126, utc_text(terms.expire_time))
    if report.ord_rej_reason is not None:
        message.setField(103, str(report.ord_rej_reason))
    if report.last_report:
        message.setField(912, "Y")
    return message


def cancel_reject(report: CancelRejected) -> fix.Message:
    message = fix44.OrderCancelReject()
    _set(
        message,
        {
            37: report.order_id,
            11: report.cl_ord_id or "NONE",
            41: report.orig_cl_ord_id,
            39: report.status.value,
            434: report.response_to,
            102: str(report.reason),
            58: report.text,
        },
    )
    return message


def business_reject(ref_msg_type: str, ref_seq_num: int, reason: int, text: str) -> fix.Message:
    message = fix44.BusinessMessageReject()
    _set(message, {372: ref_msg_type, 45: str(ref_seq_num), 380: str(reason), 58: text})
    return message


def md_snapshot(md_req_id: str, quote: Quote) -> fix.Message:
    message = fix44.MarketDataSnapshotFullRefresh()
    _set(message, {262: md_req_id, 55: quote.symbol})
    for entry_type, price in ((MdEntryType.BID, quote.bid), (MdEntryType.OFFER, quote.ask)):
        entry = fix44.MarketDataSnapshotFullRefresh.NoMDEntries()
        entry.setField(269, entry_type.value)
        _set_decimals(entry, {270: price, 271: quote.size or _DEFAULT_SIZE})
        message.addGroup(entry)
    return message


def md_incremental(md_req_id: str, quote: Quote) -> fix.Message:
    message = fix44.MarketDataIncrementalRefresh()
    message.setField(262, md_req_id)
    for entry_type, price in ((MdEntryType.BID, quote.bid), (MdEntryType.OFFER, quote.ask)):
        entry = fix44.MarketDataIncrementalRefresh.NoMDEntries()
        _set(entry, {279: "0", 269: entry_type.value, 55: quote.symbol})
        _set_decimals(entry, {270: price, 271: quote.size or _DEFAULT_SIZE})
        message.addGroup(entry)
    return message


def md_reject(md_req_id: str, text: str) -> fix.Message:
    message = fix44.MarketDataRequestReject()
    _set(message, {262: md_req_id, 281: "0", 58: text})  # MDReqRejReason 0: unknown symbol
    return message


def positions_ack(pos_req_id: str, account: str, reports: int) -> fix.Message:
    message = fix44.RequestForPositionsAck()
    # PosReqResult 0 valid, 2 no positions found; PosReqStatus 0 completed.
    _set(
        message,
        {
            721: f"ACK-{pos_req_id}",
            710: pos_req_id,
            727: str(reports),
            728: "0" if reports else "2",
            729: "0",
            1: account,
            581: "1",
        },
    )
    return message


def position_report(
    pos_req_id: str, account: str, symbol: str, net: Decimal, settle: Decimal, day: dt.date
) -> fix.Message:
    message = fix44.PositionReport()
    _set(
        message,
        {
            721: f"POS-{pos_req_id}-{symbol}",
            710: pos_req_id,
            728: "0",
            715: day.strftime("%Y%m%d"),
            1: account,
            581: "1",
            55: symbol,
            731: "1",
        },
    )
    _set_decimals(message, {730: settle, 734: settle})
    entry = fix44.PositionReport.NoPositions()
    entry.setField(703, "TQ")  # transaction quantity
    _set_decimals(entry, {704: max(net, Decimal(0)), 705: max(-net, Decimal(0))})
    message.addGroup(entry)
    return message


def _set(target: fix.FieldMap, values: Mapping[int, str | None]) -> None:
    for tag, value in values.items():
        if value is not None:
            target.setField(tag, value)


def _set_decimals(target: fix.FieldMap, values: Mapping[int, Decimal | None]) -> None:
    _set(target, {tag: None if v is None else decimal_text(v) for tag, v in values.items()})


def symbols_of(entries: Iterable[tuple[int, str]]) -> list[str]:
    """The Symbol (55) values of a request's NoRelatedSym entries."""
    return [value for tag, value in entries if tag == 55]
