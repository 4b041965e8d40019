"""Incoming FIX 4.4 messages → typed frozen dataclasses (Decimal prices and quantities).

`parse_message(raw)` reads ExecutionReport, OrderCancelReject, BusinessMessageReject,
session Reject, PositionReport, RequestForPositionsAck and market data; anything else comes
back as `OtherMessage`, so the caller sees every message and decides what it ignores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from execution_engine.adapters.fix.codes import (
    ExecType,
    MdEntryType,
    MsgType,
    OrdStatus,
    OrdType,
    Side,
    TimeInForce,
)
from execution_engine.adapters.fix.wire import (
    Fields,
    FixMessageError,
    first_values,
    parse_utc,
    split_fields,
)

_Code = TypeVar("_Code", ExecType, OrdStatus, OrdType, Side, TimeInForce, MdEntryType)


@dataclass(frozen=True)
class Header:
    msg_type: str
    seq_num: int
    sending_time: dt.datetime | None
    poss_dup: bool
    poss_resend: bool


@dataclass(frozen=True)
class ExecutionReport:
    header: Header
    order_id: str
    cl_ord_id: str
    orig_cl_ord_id: str | None
    exec_id: str
    exec_type: ExecType
    ord_status: OrdStatus
    symbol: str
    side: Side
    ord_type: OrdType | None
    time_in_force: TimeInForce | None
    order_qty: Decimal | None
    price: Decimal | None
    stop_px: Decimal | None
    expire_time: dt.datetime | None
    cum_qty: Decimal
    leaves_qty: Decimal
    avg_px: Decimal | None
    last_qty: Decimal | None
    last_px: Decimal | None
    text: str | None
    ord_rej_reason: int | None
    mass_status_req_id: str | None
    transact_time: dt.datetime | None
    last_liquidity: int | None  # LastLiquidityInd 851: 1 added (maker), 2 removed (taker)
    last_report: bool = False  # LastRptRequested 912: the last answer to a mass status request

    @property
    def is_fill(self) -> bool:
        return self.exec_type is ExecType.TRADE


@dataclass(frozen=True)
class OrderCancelReject:
    header: Header
    order_id: str
    cl_ord_id: str
    orig_cl_ord_id: str
    ord_status: OrdStatus
    response_to: str  # 1 = a cancel request, 2 = a cancel-replace request
    reason: int | None
    text: str | None


@dataclass(frozen=True)
class BusinessMessageReject:
    header: Header
    ref_msg_type: str
    ref_seq_num: int | None
    reason: int
    text: str | None


@dataclass(frozen=True)
class SessionReject:
    header: Header
    ref_seq_num: int
    ref_tag: int | None
    ref_msg_type: str | None
    reason: int | None
    text: str | None


@dataclass(frozen=True)
class PositionReport:
    header: Header
    pos_req_id: str | None
    pos_maint_rpt_id: str
    account: str
    symbol: str | None
    long_qty: Decimal
    short_qty: Decimal

    @property
    def net_qty(self) -> Decimal:
        return self.long_qty - self.short_qty


@dataclass(frozen=True)
class PositionsAck:
    header: Header
    pos_req_id: str
    total_reports: int
    result: int
    status: int


@dataclass(frozen=True)
class MdEntry:
    entry_type: MdEntryType
    price: Decimal
    size: Decimal | None
    symbol: str | None


@dataclass(frozen=True)
class MarketData:
    """A snapshot (W) or an incremental refresh (X) of top-of-book entries."""

    header: Header
    md_req_id: str | None
    symbol: str | None
    entries: tuple[MdEntry, ...]
    snapshot: bool


@dataclass(frozen=True)
class OtherMessage:
    header: Header
    raw: str


@dataclass(frozen=True)
class UnreadableMessage:
    """A message QuickFIX accepted that we could not read (kept, never dropped silently)."""

    raw: str
    reason: str


FixReport = (
    ExecutionReport
    | OrderCancelReject
    | BusinessMessageReject
    | SessionReject
    | PositionReport
    | PositionsAck
    | MarketData
    | OtherMessage
)


def parse_message(raw: str) -> FixReport:
    """The typed form of one SOH-separated message; FixMessageError when it is garbled."""
    pairs = split_fields(raw)
    fields = Fields(first_values(pairs), "?")
    fields.msg_type = fields.text(35)
    header = _header(fields)
    parse = _PARSERS.get(fields.msg_type)
    if parse is not None:
        return parse(header, fields)
    if fields.msg_type in (MsgType.MARKET_DATA_SNAPSHOT, MsgType.MARKET_DATA_INCREMENTAL):
        return _market_data(header, fields, pairs)
    return OtherMessage(header, raw)


def _header(fields: Fields) -> Header:
    sending = fields.opt(52)
    return Header(
        msg_type=fields.msg_type,
        seq_num=fields.integer(34) or 0,
        sending_time=parse_utc(sending) if sending else None,
        poss_dup=fields.flag(43),
        poss_resend=fields.flag(97),
    )


def _code(kind: type[_Code], fields: Fields, tag: int) -> _Code:
    value = fields.text(tag)
    try:
        return kind(value)
    except ValueError:
        raise FixMessageError(
            f"MsgType {fields.msg_type}: tag {tag} has unknown code {value!r}"
        ) from None


def _execution_report(header: Header, f: Fields) -> ExecutionReport:
    transact, expire = f.opt(60), f.opt(126)
    return ExecutionReport(
        header=header,
        order_id=f.text(37),
        cl_ord_id=f.text(11),
        orig_cl_ord_id=f.opt(41),
        exec_id=f.text(17),
        exec_type=_code(ExecType, f, 150),
        ord_status=_code(OrdStatus, f, 39),
        symbol=f.text(55),
        side=_code(Side, f, 54),
        ord_type=_code(OrdType, f, 40) if f.opt(40) else None,
        time_in_force=_code(TimeInForce, f, 59) if f.opt(59) else None,
        order_qty=f.opt_decimal(38),
        price=f.opt_decimal(44),
        stop_px=f.opt_decimal(99),
        expire_time=parse_utc(expire) if expire else None,
        cum_qty=f.decimal(14),
        leaves_qty=f.decimal(151),
        avg_px=f.opt_decimal(6),
        last_qty=f.opt_decimal(32),
        last_px=f.opt_decimal(31),
        text=f.opt(58),
        ord_rej_reason=f.integer(103),
        mass_status_req_id=f.opt(584),
        transact_time=parse_utc(transact) if transact else None,
        last_liquidity=f.integer(851),
        last_report=f.flag(912),
    )


def _cancel_reject(header: Header, f: Fields) -> OrderCancelReject:
    return OrderCancelReject(
        header=header,
        order_id=f.text(37),
        cl_ord_id=f.text(11),
        orig_cl_ord_id=f.text(41),
        ord_status=_code(OrdStatus, f, 39),
        response_to=f.text(434),
        reason=f.integer(102),
        text=f.opt(58),
    )


def _business_reject(header: Header, f: Fields) -> BusinessMessageReject:
    return BusinessMessageReject(
        header=header,
        ref_msg_type=f.text(372),
        ref_seq_num=f.integer(45),
        reason=f.integer(380) or 0,
        text=f.opt(58),
    )


def _session_reject(header: Header, f: Fields) -> SessionReject:
    return SessionReject(
        header=header,
        ref_seq_num=f.integer(45) or 0,
        ref_tag=f.integer(371),
        ref_msg_type=f.opt(372),
        reason=f.integer(373),
        text=f.opt(58),
    )


def _position_report(header: Header, f: Fields) -> PositionReport:
    # One position per report (one NoPositions entry): LongQty 704 / ShortQty 705.
    return PositionReport(
        header=header,
        pos_req_id=f.opt(710),
        pos_maint_rpt_id=f.text(721),
        account=f.text(1),
        symbol=f.opt(55),
        long_qty=f.opt_decimal(704) or Decimal(0),
        short_qty=f.opt_decimal(705) or Decimal(0),
    )


def _positions_ack(header: Header, f: Fields) -> PositionsAck:
    return PositionsAck(
        header=header,
        pos_req_id=f.text(710),
        total_reports=f.integer(727) or 0,
        result=f.integer(728) or 0,
        status=f.integer(729) or 0,
    )


def _market_data(header: Header, f: Fields, pairs: list[tuple[int, str]]) -> MarketData:
    snapshot = f.msg_type == MsgType.MARKET_DATA_SNAPSHOT
    entries: list[MdEntry] = []
    current: dict[int, str] = {}
    # Entries of the NoMDEntries group start at MDEntryType 269 (snapshot) or MDUpdateAction
    # 279 (incremental); each ends where the next begins.
    start_tag = 269 if snapshot else 279
    for tag, value in pairs:
        if tag == start_tag and current:
            entries.append(_md_entry(current, f))
            current = {}
        if tag in (269, 270, 271, 279, 55) and (current or tag == start_tag):
            current[tag] = value
    if current:
        entries.append(_md_entry(current, f))
    return MarketData(header, f.opt(262), f.opt(55), tuple(entries), snapshot)


def _md_entry(values: dict[int, str], parent: Fields) -> MdEntry:
    entry = Fields(values, parent.msg_type)
    return MdEntry(
        entry_type=_code(MdEntryType, entry, 269),
        price=entry.decimal(270),
        size=entry.opt_decimal(271),
        symbol=entry.opt(55) or parent.opt(55),
    )


_PARSERS: dict[str, Callable[[Header, Fields], FixReport]] = {
    MsgType.EXECUTION_REPORT: _execution_report,
    MsgType.ORDER_CANCEL_REJECT: _cancel_reject,
    MsgType.BUSINESS_MESSAGE_REJECT: _business_reject,
    MsgType.REJECT: _session_reject,
    MsgType.POSITION_REPORT: _position_report,
    MsgType.REQUEST_FOR_POSITIONS_ACK: _positions_ack,
}
