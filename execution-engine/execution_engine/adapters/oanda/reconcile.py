"""OANDA's records (orders, ORDER_FILL transactions, positions, open trades) →
NautilusTrader's reconciliation reports and the facts the execution client reads off them.

The client order id of a record is its `clientExtensions.id` (translate.py puts it there);
a record without one is external (an order placed elsewhere, a take-profit, a margin
closeout). A fill's trade id is its ORDER_FILL transaction id, so a fill applies once
whether it comes from the create answer, the stream, a `sinceid` fetch or a restart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.reports import FillReport, OrderStatusReport, PositionStatusReport
from nautilus_trader.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
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

from execution_engine.adapters.oanda.v20 import models
from execution_engine.adapters.oanda.v20.times import rfc3339_ns
from execution_engine.adapters.positions import net_position_report

# The transaction types that create an order (each carries the order's terms).
ORDER_CREATES = frozenset({"MARKET_ORDER", "LIMIT_ORDER", "STOP_ORDER", "MARKET_IF_TOUCHED_ORDER"})
_TIME_IN_FORCE = {
    "GTC": TimeInForce.GTC,
    "GTD": TimeInForce.GTD,
    "GFD": TimeInForce.DAY,
    "IOC": TimeInForce.IOC,
    "FOK": TimeInForce.FOK,
}
_STATES = {
    "PENDING": OrderStatus.ACCEPTED,
    "TRIGGERED": OrderStatus.ACCEPTED,  # being filled now: the fill follows
    "FILLED": OrderStatus.FILLED,
    "CANCELLED": OrderStatus.CANCELED,
}


class RecordError(ValueError):
    """An OANDA record the adapter cannot read; one line naming the record and field."""


def client_order_id(extensions: models.ClientExtensions | None) -> ClientOrderId | None:
    """The node's client order id an order or transaction carries, or None (external)."""
    if extensions is None or not extensions.id:
        return None
    return ClientOrderId(extensions.id)


def side_of(units: Decimal | None) -> OrderSide:
    return OrderSide.SELL if units is not None and units < 0 else OrderSide.BUY


def order_type(kind: str, price_bound: Decimal | None) -> OrderType | None:
    """The NautilusTrader type of OANDA's order `kind` (a creating transaction's type with
    `_ORDER` dropped); None for the dependent orders (take-profit, stop-loss, trailing)."""
    kind = kind.removesuffix("_ORDER")
    if kind == "MARKET":
        return OrderType.MARKET
    if kind == "LIMIT":
        return OrderType.LIMIT
    if kind == "STOP":
        return OrderType.STOP_LIMIT if price_bound is not None else OrderType.STOP_MARKET
    if kind == "MARKET_IF_TOUCHED":
        return OrderType.MARKET_IF_TOUCHED
    return None


def time_ns(text: str | None) -> int:
    return 0 if not text else rfc3339_ns(text)


def order_status_report(
    order: models.Order,
    instrument: Instrument,
    account_id: AccountId,
    ts_init: int,
    *,
    client_id: ClientOrderId | None = None,
    venue_order_id: VenueOrderId | None = None,
    avg_px: Decimal | None = None,
    expired: bool = False,
) -> OrderStatusReport | None:
    """What OANDA's `order` shows; None for an order type the node does not trade.
    `client_id` / `venue_order_id` stand in for the record's own (a replaced order is the
    node's first order); `expired`: its cancel was TIME_IN_FORCE_EXPIRED."""
    kind = order_type(order.type, order.price_bound)
    if kind is None or order.units is None:
        return None
    status = _STATES.get(order.state)
    if status is None:
        raise RecordError(f"order {order.id}: state {order.state!r} is not one OANDA documents")
    if status is OrderStatus.CANCELED and expired:
        status = OrderStatus.EXPIRED
    quantity = instrument.make_qty(abs(order.units))
    filled = quantity if status is OrderStatus.FILLED else instrument.make_qty(0)
    price = trigger = None
    if kind is OrderType.LIMIT:
        price = order.price
    elif kind is OrderType.STOP_LIMIT:
        trigger, price = order.price, order.price_bound
    elif kind is not OrderType.MARKET:
        trigger = order.price
    tif = _TIME_IN_FORCE.get(order.time_in_force or "GTC", TimeInForce.GTC)
    created = time_ns(order.create_time)
    last = time_ns(order.filled_time or order.cancelled_time) or created
    return OrderStatusReport(
        account_id=account_id,
        instrument_id=instrument.id,
        venue_order_id=venue_order_id or VenueOrderId(order.id),
        client_order_id=client_id or client_order_id(order.client_extensions),
        order_side=side_of(order.units),
        order_type=kind,
        time_in_force=tif,
        order_status=status,
        quantity=quantity,
        filled_qty=filled,
        price=None if price is None else instrument.make_price(price),
        trigger_price=None if trigger is None else instrument.make_price(trigger),
        trigger_type=TriggerType.NO_TRIGGER if trigger is None else TriggerType.DEFAULT,
        expire_time=_expiry(order.gtd_time) if tif is TimeInForce.GTD else None,
        avg_px=avg_px if status is OrderStatus.FILLED else None,
        report_id=UUID4(),
        ts_accepted=created,
        ts_last=last,
        ts_init=ts_init,
        cancel_reason="cancelled at OANDA" if status is OrderStatus.CANCELED else None,
    )


def _expiry(gtd_time: str | None) -> dt.datetime | None:
    if not gtd_time:
        return None
    seconds, nanos = divmod(rfc3339_ns(gtd_time), 1_000_000_000)
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return moment + dt.timedelta(microseconds=nanos // 1_000)


def fill_report(
    fill: models.Transaction,
    instrument: Instrument,
    account_id: AccountId,
    currency: Currency,
    ts_init: int,
    *,
    client_id: ClientOrderId | None = None,
    venue_order_id: VenueOrderId | None = None,
    hedging: bool = False,
) -> FillReport:
    """One ORDER_FILL as a fill; its transaction id is the trade id."""
    if fill.type != "ORDER_FILL" or fill.units is None or fill.price is None:
        raise RecordError(f"transaction {fill.id} ({fill.type}) is not an ORDER_FILL with units")
    return FillReport(
        account_id=account_id,
        instrument_id=instrument.id,
        venue_order_id=venue_order_id or VenueOrderId(str(fill.order_id)),
        client_order_id=client_id or client_order_id(fill.client_extensions),
        venue_position_id=fill_position_id(fill) if hedging else None,
        trade_id=TradeId(fill.id),
        order_side=side_of(fill.units),
        last_qty=instrument.make_qty(abs(fill.units)),
        last_px=instrument.make_price(fill.price),
        commission=commission(fill, currency),
        liquidity_side=LiquiditySide.TAKER,
        report_id=UUID4(),
        ts_event=time_ns(fill.time),
        ts_init=ts_init,
    )


def commission(fill: models.Transaction, currency: Currency) -> Money:
    """What the fill cost in the account's currency: OANDA's commission (and guaranteed
    stop fee) are charges, NautilusTrader's commission is positive when paid."""
    paid = abs(fill.commission or Decimal(0)) + abs(fill.guaranteed_execution_fee or Decimal(0))
    return Money(paid, currency)


def fill_position_id(fill: models.Transaction) -> PositionId | None:
    """On a hedging account each trade is a position: the trade this fill opened, else
    the first it closed or reduced."""
    if fill.trade_opened is not None:
        return PositionId(fill.trade_opened.trade_id)
    reduced = fill.trade_reduced or (fill.trades_closed[0] if fill.trades_closed else None)
    return None if reduced is None else PositionId(reduced.trade_id)


def position_status_reports(
    positions: Iterable[models.Position],
    trades: Iterable[models.Trade],
    instruments: Mapping[str, Instrument],
    account_id: AccountId,
    ts_init: int,
    *,
    hedging: bool,
) -> list[PositionStatusReport]:
    """Netting: one report per instrument the account holds (long + short units).
    Hedging: one per open trade, its id the position id."""
    if hedging:
        return [
            _trade_report(trade, instruments[trade.instrument], account_id, ts_init)
            for trade in trades
            if trade.instrument in instruments and trade.current_units != 0
        ]
    reports = []
    for position in positions:
        instrument = instruments.get(position.instrument)
        if instrument is None:
            continue
        net = position.long.units + position.short.units  # short units are negative
        side = position.long if net > 0 else position.short
        reports.append(_report(instrument, account_id, net, side.average_price, ts_init, None))
    return reports


def _trade_report(
    trade: models.Trade, instrument: Instrument, account_id: AccountId, ts_init: int
) -> PositionStatusReport:
    return _report(
        instrument, account_id, trade.current_units, trade.price, ts_init, PositionId(trade.id)
    )


def _report(
    instrument: Instrument,
    account_id: AccountId,
    net: Decimal,
    avg_px: Decimal | None,
    ts_init: int,
    position_id: PositionId | None,
) -> PositionStatusReport:
    return net_position_report(
        account_id, instrument.id, net, instrument.make_qty(abs(net)), ts_last=ts_init,
        ts_init=ts_init, avg_px_open=avg_px, venue_position_id=position_id,
    )  # fmt: skip
