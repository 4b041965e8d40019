"""The terminal's rows (`orders`, `history_orders`, `history_deals`, `positions`, as
docs/mt5-bridge-protocol.md shows them) → NautilusTrader's reconciliation reports.

Volumes are lots on the terminal and units in NautilusTrader (providers.units); prices go
through the instrument so their precision is the instrument's. The client order id of a row
is the caller's (recovered from the intent journal by the row's comment key); an order of
another magic number, or without a key this node wrote, is external (None).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.reports import FillReport, OrderStatusReport, PositionStatusReport
from nautilus_trader.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
    TriggerType,
)
from nautilus_trader.model.identifiers import (
    AccountId,
    ClientOrderId,
    PositionId,
    TradeId,
    VenueOrderId,
)
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Currency, Money

from execution_engine.adapters.mt5.codes import (
    DealType,
    Filling,
    OrderState,
    OrderTime,
    PositionType,
)
from execution_engine.adapters.mt5.codes import OrderType as MtOrderType
from execution_engine.adapters.mt5.providers import Spec, units
from execution_engine.adapters.positions import net_position_report

Row = Mapping[str, Any]
_NS_PER_MS = 1_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

ORDER_TYPE = {
    MtOrderType.BUY: OrderType.MARKET,
    MtOrderType.SELL: OrderType.MARKET,
    MtOrderType.BUY_LIMIT: OrderType.LIMIT,
    MtOrderType.SELL_LIMIT: OrderType.LIMIT,
    MtOrderType.BUY_STOP: OrderType.STOP_MARKET,
    MtOrderType.SELL_STOP: OrderType.STOP_MARKET,
    MtOrderType.BUY_STOP_LIMIT: OrderType.STOP_LIMIT,
    MtOrderType.SELL_STOP_LIMIT: OrderType.STOP_LIMIT,
}
# Final states of history orders; an active order is ACCEPTED or PARTIALLY_FILLED by volume.
FINAL_STATUS = {
    OrderState.FILLED: OrderStatus.FILLED,
    OrderState.CANCELED: OrderStatus.CANCELED,
    OrderState.REJECTED: OrderStatus.REJECTED,
    OrderState.EXPIRED: OrderStatus.EXPIRED,
}
_TIME_IN_FORCE = {
    OrderTime.GTC: TimeInForce.GTC,
    OrderTime.DAY: TimeInForce.DAY,
    OrderTime.SPECIFIED: TimeInForce.GTD,
    OrderTime.SPECIFIED_DAY: TimeInForce.GTD,
}
_DEAL_SIDE = {DealType.BUY.value: OrderSide.BUY, DealType.SELL.value: OrderSide.SELL}


class RowError(ValueError):
    """A terminal row the adapter cannot read; one line naming the row and field."""


def ms_to_ns(ms: object) -> int:
    return int(ms) * _NS_PER_MS if isinstance(ms, int) and not isinstance(ms, bool) else 0


def order_status(row: Row, filled_lots: Decimal) -> OrderStatus:
    """The NautilusTrader status of an `orders`/`history_orders` row."""
    state = row.get("state")
    for known, final in FINAL_STATUS.items():
        if state == known.value:
            return final
    if state == OrderState.PARTIAL.value or filled_lots > 0:
        return OrderStatus.PARTIALLY_FILLED
    return OrderStatus.ACCEPTED


def order_status_report(
    row: Row,
    instrument: Instrument,
    spec: Spec,
    account_id: AccountId,
    ts_init: int,
    *,
    client_order_id: ClientOrderId | None,
    avg_px: Decimal | None = None,
    venue_position_id: PositionId | None = None,
) -> OrderStatusReport:
    """The order `row` shows (active or history), its fills summed from its volumes;
    `venue_position_id`: the hedging position its deals traded."""
    mt_type = _mt_order_type(row)
    order_type = ORDER_TYPE[mt_type]
    initial = _decimal(row, "volume_initial")
    current = _decimal(row, "volume_current")
    filled = initial - current
    price_open = _price(row, "price_open")
    stop_limit = _price(row, "price_stoplimit")
    price = trigger = None
    if order_type == OrderType.LIMIT:
        price = price_open
    elif order_type == OrderType.STOP_MARKET:
        trigger = price_open
    elif order_type == OrderType.STOP_LIMIT:
        trigger, price = price_open, stop_limit
    tif, expire = _time_in_force(row, order_type)
    ts_setup = ms_to_ns(row.get("time_setup_ms"))
    status = order_status(row, filled)
    return OrderStatusReport(
        account_id=account_id,
        instrument_id=instrument.id,
        venue_order_id=VenueOrderId(str(_ticket(row))),
        client_order_id=client_order_id,
        venue_position_id=venue_position_id,
        order_side=OrderSide.BUY if mt_type.is_buy else OrderSide.SELL,
        order_type=order_type,
        time_in_force=tif,
        order_status=status,
        quantity=units(initial, spec),
        filled_qty=units(filled, spec),
        price=None if price is None else instrument.make_price(price),
        trigger_price=None if trigger is None else instrument.make_price(trigger),
        trigger_type=TriggerType.NO_TRIGGER if trigger is None else TriggerType.DEFAULT,
        expire_time=expire,
        avg_px=avg_px if filled > 0 else None,
        report_id=UUID4(),
        ts_accepted=ts_setup,
        ts_last=ms_to_ns(row.get("time_done_ms")) or ts_setup,
        ts_init=ts_init,
        cancel_reason="canceled on the terminal" if status is OrderStatus.CANCELED else None,
    )


def is_trade(deal: Row) -> bool:
    """Whether a `history_deals` row is a buy or a sell (not a balance, charge, credit…)."""
    return deal.get("type") in _DEAL_SIDE


def fill_report(
    deal: Row,
    instrument: Instrument,
    spec: Spec,
    account_id: AccountId,
    account_currency: Currency,
    ts_init: int,
    *,
    client_order_id: ClientOrderId | None,
    hedging: bool,
) -> FillReport:
    """One deal as a fill; the deal ticket is the trade id (one deal applies once)."""
    side = _DEAL_SIDE.get(str(deal.get("type")))
    if side is None:
        raise RowError(f"deal {deal.get('ticket')}: type {deal.get('type')} is not a trade")
    return FillReport(
        account_id=account_id,
        instrument_id=instrument.id,
        venue_order_id=VenueOrderId(str(_int(deal, "order"))),
        client_order_id=client_order_id,
        venue_position_id=position_id(deal.get("position_id")) if hedging else None,
        trade_id=TradeId(str(_ticket(deal))),
        order_side=side,
        last_qty=units(_decimal(deal, "volume"), spec),
        last_px=instrument.make_price(_decimal(deal, "price")),
        commission=deal_commission(deal, account_currency),
        liquidity_side=LiquiditySide.TAKER,
        report_id=UUID4(),
        ts_event=ms_to_ns(deal.get("time_ms")),
        ts_init=ts_init,
    )


def deal_commission(deal: Row, currency: Currency) -> Money:
    """What the deal cost: MetaTrader books commission and fee as negative amounts, and
    NautilusTrader's commission is positive when paid."""
    paid = -(_optional_decimal(deal, "commission") + _optional_decimal(deal, "fee"))
    return Money(paid, currency)


def average_price(deals: Iterable[Row]) -> Decimal | None:
    """The volume-weighted price of the trade deals, or None without one."""
    volume = notional = Decimal(0)
    for deal in deals:
        if is_trade(deal):
            lots = _decimal(deal, "volume")
            volume += lots
            notional += lots * _decimal(deal, "price")
    return None if volume == 0 else notional / volume


def position_id(ticket: object) -> PositionId | None:
    """The NautilusTrader id of a hedging position: its MetaTrader ticket."""
    if isinstance(ticket, int) and not isinstance(ticket, bool) and ticket > 0:
        return PositionId(str(ticket))
    return None


def position_status_reports(
    rows: Iterable[Row],
    listed: Mapping[str, tuple[Instrument, Spec]],
    account_id: AccountId,
    ts_init: int,
    *,
    hedging: bool,
) -> list[PositionStatusReport]:
    """Hedging: one report per position ticket; netting: the net of each symbol. Rows of
    symbols not in `listed` (not this node's instruments) are left out."""
    mine = [row for row in rows if row.get("symbol") in listed]
    if hedging:
        return [_position_report(row, *listed[row["symbol"]], account_id, ts_init) for row in mine]
    by_symbol: dict[str, list[Row]] = {}
    for row in mine:
        by_symbol.setdefault(row["symbol"], []).append(row)
    return [
        _net_report(rows_of, *listed[symbol], account_id, ts_init)
        for symbol, rows_of in sorted(by_symbol.items())
    ]


def _position_report(
    row: Row, instrument: Instrument, spec: Spec, account_id: AccountId, ts_init: int
) -> PositionStatusReport:
    return PositionStatusReport(
        account_id=account_id,
        instrument_id=instrument.id,
        position_side=PositionSide.LONG if _is_long(row) else PositionSide.SHORT,
        quantity=units(_decimal(row, "volume"), spec),
        report_id=UUID4(),
        ts_last=ms_to_ns(row.get("time_update_ms")) or ms_to_ns(row.get("time_ms")),
        ts_init=ts_init,
        venue_position_id=position_id(row.get("ticket")),
        avg_px_open=_decimal(row, "price_open"),
    )


def _net_report(
    rows: list[Row], instrument: Instrument, spec: Spec, account_id: AccountId, ts_init: int
) -> PositionStatusReport:
    net = notional = Decimal(0)
    for row in rows:
        signed = _decimal(row, "volume") * (1 if _is_long(row) else -1)
        net += signed
        notional += signed * _decimal(row, "price_open")
    return net_position_report(
        account_id, instrument.id, net, units(abs(net), spec),
        ts_last=max(ms_to_ns(r.get("time_update_ms")) or ms_to_ns(r.get("time_ms")) for r in rows),
        ts_init=ts_init, avg_px_open=None if net == 0 else notional / net,
    )  # fmt: skip


def _is_long(row: Row) -> bool:
    kind = row.get("type")
    if kind not in (PositionType.BUY.value, PositionType.SELL.value):
        raise RowError(f"position {row.get('ticket')}: type {kind!r} is not a position type")
    return bool(kind == PositionType.BUY.value)


def _mt_order_type(row: Row) -> MtOrderType:
    try:
        mt_type = MtOrderType(str(row.get("type")))
    except ValueError:
        raise RowError(f"order {row.get('ticket')}: type {row.get('type')!r} unknown") from None
    if mt_type not in ORDER_TYPE:
        raise RowError(f"order {row.get('ticket')}: type {mt_type.value} is not an order")
    return mt_type


def _time_in_force(row: Row, order_type: OrderType) -> tuple[TimeInForce, dt.datetime | None]:
    if order_type == OrderType.MARKET:
        filling = row.get("type_filling")
        if filling == Filling.FOK.value:
            return TimeInForce.FOK, None
        if filling == Filling.IOC.value:
            return TimeInForce.IOC, None
        return TimeInForce.GTC, None
    kind = row.get("type_time", OrderTime.GTC.value)
    tif = _TIME_IN_FORCE.get(OrderTime(kind), TimeInForce.GTC)
    expire_ms = row.get("expiration_ms")
    if tif is TimeInForce.GTD and isinstance(expire_ms, int) and expire_ms > 0:
        return tif, _EPOCH + dt.timedelta(milliseconds=expire_ms)
    return tif, None


def _ticket(row: Row) -> int:
    return _int(row, "ticket")


def _int(row: Row, field: str) -> int:
    value = row.get(field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RowError(f"row {row.get('ticket')}: field {field} is not an integer")
    return value


def _decimal(row: Row, field: str) -> Decimal:
    value = row.get(field)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RowError(f"row {row.get('ticket')}: field {field} is not a decimal string")
    try:
        return Decimal(value)
    except ArithmeticError:
        raise RowError(f"row {row.get('ticket')}: field {field}={value!r}") from None


def _optional_decimal(row: Row, field: str) -> Decimal:
    return Decimal(0) if row.get(field) in (None, "") else _decimal(row, field)


def _price(row: Row, field: str) -> Decimal | None:
    value = _optional_decimal(row, field)
    return None if value == 0 else value
