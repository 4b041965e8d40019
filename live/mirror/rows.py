"""NautilusTrader events → the rows of the trading tables (0001_core.sql), as plain values.

Mapping runs on the node's event loop thread, when the event is published: the order is read
from the node's cache at that moment, so its status is the one this event produced (the
execution engine applies an event to the order before it publishes it). The writer thread then
only sees these frozen rows, never a NautilusTrader object (the cache is not thread-safe).

Money and quantities are Decimal from `Price`/`Quantity`/`Money.as_decimal()`. The one
exception NautilusTrader forces on us is a position's average open price, which it keeps as a
float: it is converted with `str()` (the shortest text that reads back as the same float), so
the column holds exactly what NautilusTrader holds, never a binary expansion of it.

Every order type gets an orders row with its limit and trigger prices (where the type has
them) and its time in force. What the columns do not hold, the audit row of each event does
(audit.py, the order's terms and NautilusTrader's serialised event): a trailing stop's offsets,
a GTD order's expiry time, the display quantity and other order options.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from nautilus_trader.model.enums import OrderType, PositionSide
from nautilus_trader.model.events import (
    AccountState,
    OrderEvent,
    OrderFilled,
    OrderInitialized,
    PositionEvent,
)
from nautilus_trader.model.identifiers import ClientOrderId, InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.orders import Order
from nautilus_trader.model.orders.unpacker import OrderUnpacker

from live.mirror.audit import INTERNAL_DIFF, AuditRow, audit_row, is_reconciliation_order
from live.state.models import Position

# Every NautilusTrader order type, as the orders table's CHECK (0006_live_mirror.sql) names it.
# A type NautilusTrader adds later is audited but gets no orders row (`skipped`) until the
# schema admits it.
ORDER_TYPES = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP_MARKET: "stop",
    OrderType.STOP_LIMIT: "stop_limit",
    OrderType.MARKET_TO_LIMIT: "market_to_limit",
    OrderType.LIMIT_IF_TOUCHED: "limit_if_touched",
    OrderType.MARKET_IF_TOUCHED: "market_if_touched",
    OrderType.TRAILING_STOP_MARKET: "trailing_stop_market",
    OrderType.TRAILING_STOP_LIMIT: "trailing_stop_limit",
}


class Lookups(Protocol):
    """What the mapping reads from the node; NautilusTrader's `Cache` is one."""

    def instrument(self, instrument_id: InstrumentId) -> Instrument | None: ...

    def order(self, client_order_id: ClientOrderId) -> Order | None: ...


class CacheContents(Lookups, Protocol):
    """What a resync walks; NautilusTrader's `Cache` is one."""

    def orders(self) -> list[Order]: ...

    def positions(self) -> list[Any]: ...

    def accounts(self) -> list[Any]: ...


@dataclass(frozen=True)
class InstrumentRow:
    instrument: str
    venue: str
    asset_class: str
    tick_size: Decimal
    lot_size: Decimal


@dataclass(frozen=True)
class OrderRow:
    client_order_id: str
    venue_order_id: str | None
    strategy: str
    instrument: str
    side: str
    order_type: str
    quantity: Decimal
    limit_price: Decimal | None  # None: no limit price (yet: a market-to-limit before its fill)
    trigger_price: Decimal | None  # None: no trigger (yet: a trailing stop before activation)
    time_in_force: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime  # the event's ts_init: the node's clock, so later events sort later


@dataclass(frozen=True)
class FillRow:
    fill_id: str  # the venue's trade id: a replayed fill is a no-op
    client_order_id: str
    instrument: str
    side: str
    quantity: Decimal
    price: Decimal
    commission: Decimal
    filled_at: dt.datetime


@dataclass(frozen=True)
class AccountRow:
    account: str
    taken_at: dt.datetime
    currency: str
    balance: Decimal
    equity: Decimal
    margin_used: Decimal


Row = InstrumentRow | OrderRow | FillRow | Position | AccountRow | AuditRow


@dataclass(frozen=True)
class Mapped:
    """The rows of one event, in the order they must be written (instruments first)."""

    rows: list[Row]
    skipped: str | None = None  # why part of the event has no row (counted, logged)


def from_nanos(ns: int) -> dt.datetime:
    """A UNIX-nanosecond timestamp as an aware UTC datetime, exact to the microsecond."""
    seconds, nanos = divmod(int(ns), 1_000_000_000)
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(microsecond=nanos // 1000)


def _lower(enum_value: Any) -> str:
    return str(enum_value.name).lower()


class RowMapper:
    """Maps events to rows; remembers which instruments it has emitted so each goes out once."""

    def __init__(self, lookups: Lookups, actor: str) -> None:
        self._lookups = lookups
        self._actor = actor
        self._instruments: set[InstrumentId] = set()

    def rows(self, event: object) -> Mapped:
        if isinstance(event, OrderEvent):
            return self._order_rows(event)
        if isinstance(event, PositionEvent):
            return self._position_rows(event, event.ts_init)
        if isinstance(event, AccountState):
            return _account_rows(event)
        return Mapped([], skipped=f"not mirrored: {type(event).__name__}")

    def cache_rows(self, cache: CacheContents, now_ns: int) -> list[Mapped]:
        """Everything the node's cache holds, as rows: every event of every order (so each
        order row ends at its current state, each fill and audit row is there once), each
        position as of `now_ns`, and each account's states. Written over the tables, it
        restores what a dead process had queued and not written; what was written already
        is left as it is (sql.py: every statement is idempotent)."""
        mapped = [self.rows(event) for order in cache.orders() for event in order.events]
        mapped += [self._position_rows(p, now_ns) for p in cache.positions()]
        mapped += [self.rows(state) for account in cache.accounts() for state in account.events]
        return mapped

    def _instrument_rows(self, instrument_id: InstrumentId) -> tuple[list[Row], str | None]:
        if instrument_id in self._instruments:
            return [], None
        instrument = self._lookups.instrument(instrument_id)
        if instrument is None:
            return [], f"instrument {instrument_id} is not in the node's cache"
        self._instruments.add(instrument_id)
        row = InstrumentRow(
            instrument=str(instrument.id),
            venue=str(instrument.id.venue),
            asset_class=_lower(instrument.asset_class),
            tick_size=instrument.price_increment.as_decimal(),
            lot_size=instrument.size_increment.as_decimal(),
        )
        return [row], None

    def _order(self, event: Any) -> Any:
        """The order as this event left it. A strategy publishes OrderInitialized before the
        order reaches the cache, so that one is rebuilt from the event itself."""
        order = self._lookups.order(event.client_order_id)
        if order is None and isinstance(event, OrderInitialized):
            order = OrderUnpacker.from_init(event)
        return order

    def _order_rows(self, event: Any) -> Mapped:
        order = self._order(event)
        audit = audit_row(event, order, self._actor)
        if order is None:
            return Mapped([audit], skipped=f"order {event.client_order_id} is not in the cache")
        if is_reconciliation_order(order):
            # NautilusTrader's own alignment order for a position difference: not a venue
            # order, and its fill is not a venue fill. Audited only (see audit.py).
            return Mapped([audit], skipped=f"reconciliation order {order.client_order_id}")
        order_type = ORDER_TYPES.get(order.order_type)
        if order_type is None:
            why = f"order type {_lower(order.order_type)} has no orders row in the schema"
            return Mapped([audit], skipped=why)
        rows, missing = self._instrument_rows(order.instrument_id)
        rows.append(_order_row(order, order_type, event.ts_init))
        if isinstance(event, OrderFilled):
            rows.append(_fill_row(event))
        rows.append(audit)
        return Mapped(rows, skipped=missing)

    def _position_rows(self, position: Any, ts_ns: int) -> Mapped:
        """A PositionEvent or a NautilusTrader Position (same attribute names) as of `ts_ns`."""
        if position.strategy_id.value == INTERNAL_DIFF:
            return Mapped([], skipped=f"reconciliation position on {position.instrument_id}")
        rows, missing = self._instrument_rows(position.instrument_id)
        quantity = position.quantity.as_decimal()
        signed = -quantity if position.side == PositionSide.SHORT else quantity
        row = Position(
            strategy=position.strategy_id.value,
            instrument=str(position.instrument_id),
            quantity=signed,
            avg_price=Decimal(str(position.avg_px_open)),  # a float in NautilusTrader: see above
            updated_at=from_nanos(ts_ns),
        )
        rows.append(row)
        return Mapped(rows, skipped=missing)


def _price(order: Any, name: str) -> Decimal | None:
    """`order.price` or `order.trigger_price` where the order type has it and it is set."""
    price = getattr(order, name, None)  # only the priced (triggered) types have the attribute
    return None if price is None else price.as_decimal()


def _order_row(order: Any, order_type: str, ts_init: int) -> OrderRow:
    return OrderRow(
        client_order_id=order.client_order_id.value,
        venue_order_id=None if order.venue_order_id is None else order.venue_order_id.value,
        strategy=order.strategy_id.value,
        instrument=str(order.instrument_id),
        side=_lower(order.side),
        order_type=order_type,
        quantity=order.quantity.as_decimal(),
        limit_price=_price(order, "price"),
        trigger_price=_price(order, "trigger_price"),
        time_in_force=_lower(order.time_in_force),
        status=_lower(order.status),
        created_at=from_nanos(order.init_event.ts_init),
        updated_at=from_nanos(ts_init),
    )


def _fill_row(fill: Any) -> FillRow:
    return FillRow(
        fill_id=fill.trade_id.value,
        client_order_id=fill.client_order_id.value,
        instrument=str(fill.instrument_id),
        side=_lower(fill.order_side),
        quantity=fill.last_qty.as_decimal(),
        price=fill.last_px.as_decimal(),
        commission=fill.commission.as_decimal(),
        filled_at=from_nanos(fill.ts_event),
    )


def _account_rows(state: Any) -> Mapped:
    """One snapshot row per currency the state has a balance in, with the initial margin held
    in that currency (a margin in a currency the state has no balance in has no row: reported
    as skipped). NautilusTrader's account state carries no unrealized P&L, so equity is the
    total balance."""
    balances = list(state.balances)
    if not balances:
        return Mapped([], skipped=f"account {state.account_id} reported no balance")
    taken_at = from_nanos(state.ts_event)
    rows: list[Row] = [
        AccountRow(
            account=state.account_id.value,
            taken_at=taken_at,
            currency=balance.currency.code,
            balance=balance.total.as_decimal(),
            equity=balance.total.as_decimal(),
            margin_used=sum(
                (m.initial.as_decimal() for m in state.margins if m.currency == balance.currency),
                Decimal(0),
            ),
        )
        for balance in balances
    ]
    unheld = {m.currency.code for m in state.margins} - {b.currency.code for b in balances}
    return Mapped(rows, skipped=f"margin in {sorted(unheld)} without a balance" if unheld else None)
