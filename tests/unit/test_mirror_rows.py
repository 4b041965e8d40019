"""Real NautilusTrader events (test_kit stubs, a real Cache) mapped to the mirror's rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import TestClock
from nautilus_trader.common.factories import OrderFactory
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.model.currencies import EUR, JPY, USD
from nautilus_trader.model.enums import (
    AccountType,
    OrderSide,
    OrderType,
    TimeInForce,
    TrailingOffsetType,
)
from nautilus_trader.model.events import AccountState, OrderDenied
from nautilus_trader.model.identifiers import (
    AccountId,
    ClientOrderId,
    PositionId,
    StrategyId,
    TradeId,
)
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import (
    AccountBalance,
    Currency,
    MarginBalance,
    Money,
    Price,
    Quantity,
)
from nautilus_trader.model.orders import Order
from nautilus_trader.model.position import Position as NautilusPosition
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.test_kit.stubs.events import TestEventStubs
from nautilus_trader.test_kit.stubs.execution import TestExecStubs
from nautilus_trader.test_kit.stubs.identifiers import TestIdStubs

from live.mirror import RISK_ENGINE, AuditRow, RowMapper
from live.mirror.audit import action_of
from live.mirror.rows import ORDER_TYPES, AccountRow, FillRow, InstrumentRow, OrderRow, from_nanos
from live.state.models import Position

EURUSD = TestInstrumentProvider.default_fx_ccy("EUR/USD")
T0 = 1_764_590_400_123_456_789  # 2025-12-01 12:00:00.123456789 UTC


def _cache(instrument: Instrument = EURUSD) -> Cache:
    cache = Cache()
    cache.add_instrument(instrument)
    return cache


def _limit(cache: Cache, number: int = 1, tags: list[str] | None = None) -> Order:
    order = TestExecStubs.limit_order(
        instrument=EURUSD,
        order_side=OrderSide.SELL,
        price=Price.from_str("1.10250"),
        quantity=Quantity.from_int(2_000),
        client_order_id=ClientOrderId(f"O-{number}"),
        tags=tags,
    )
    cache.add_order(order)
    return order


def _apply(order: Order, event: object) -> object:
    order.apply(event)  # as the execution engine does before it publishes the event
    return event


def test_a_limit_order_lifecycle_gives_the_instrument_once_then_order_fill_and_audit_rows() -> None:
    cache = _cache()
    mapper = RowMapper(cache, actor="ops")
    order = _limit(cache)

    initialized = mapper.rows(order.init_event).rows
    assert initialized[0] == InstrumentRow(
        "EUR/USD.SIM", "SIM", "fx", Decimal("0.00001"), Decimal(1)
    )
    first = initialized[1]
    assert isinstance(first, OrderRow)
    assert (first.client_order_id, first.venue_order_id, first.strategy, first.side) == (
        "O-1", None, "S-001", "sell")  # fmt: skip
    assert (first.order_type, first.quantity, first.limit_price, first.status) == (
        "limit", Decimal(2_000), Decimal("1.10250"), "initialized")  # fmt: skip

    _apply(order, TestEventStubs.order_submitted(order))
    accepted = mapper.rows(_apply(order, TestEventStubs.order_accepted(order))).rows
    assert [type(r) for r in accepted] == [OrderRow, AuditRow]  # the instrument went out already
    assert (accepted[0].status, accepted[0].venue_order_id) == ("accepted", "1")  # type: ignore[union-attr]

    fill = TestEventStubs.order_filled(
        order, EURUSD, trade_id=TradeId("T-9"), last_qty=Quantity.from_int(500),
        last_px=Price.from_str("1.10260"), ts_event=T0,
    )  # fmt: skip
    order_row, fill_row, audit = mapper.rows(_apply(order, fill)).rows
    assert isinstance(order_row, OrderRow)
    assert order_row.status == "partially_filled"
    assert fill_row == FillRow(
        "T-9", "O-1", "EUR/USD.SIM", "sell", Decimal(500), Decimal("1.10260"),
        fill.commission.as_decimal(), from_nanos(T0),
    )  # fmt: skip
    assert isinstance(audit, AuditRow)
    assert (audit.actor, audit.action, audit.subject) == ("S-001", "filled", "O-1")
    assert audit.details["event"]["last_px"] == "1.10260"
    assert audit.details["order"]["filled_qty"] == "500"


def test_who_a_denial_a_tagged_order_and_a_reconciliation_order_are_attributed_to() -> None:
    cache = _cache()
    mapper = RowMapper(cache, actor="ops")
    denied_order = _limit(cache, 1)
    denial = OrderDenied(
        denied_order.trader_id, denied_order.strategy_id, EURUSD.id,
        denied_order.client_order_id, "MAX_NOTIONAL_PER_ORDER exceeded", UUID4(), 0,
    )  # fmt: skip
    audit = mapper.rows(_apply(denied_order, denial)).rows[-1]
    assert isinstance(audit, AuditRow)
    assert (audit.actor, audit.action) == (RISK_ENGINE, "denied")
    assert audit.details["event"]["reason"] == "MAX_NOTIONAL_PER_ORDER exceeded"

    for number, tags, who in ((2, ["actor=alice"], "alice"), (3, ["flatten"], "gauntlet kill")):
        tagged = _limit(cache, number, tags=tags)
        audit = mapper.rows(tagged.init_event).rows[-1]
        assert isinstance(audit, AuditRow)
        assert audit.actor == who

    aligning = TestExecStubs.market_order(
        instrument=EURUSD,
        strategy_id=StrategyId("INTERNAL-DIFF"),
        client_order_id=ClientOrderId("O-4"),
    )
    cache.add_order(aligning)
    mapped = mapper.rows(aligning.init_event)
    assert [type(r) for r in mapped.rows] == [AuditRow]  # not a venue order: no orders row
    assert mapped.skipped is not None
    only = mapped.rows[0]
    assert isinstance(only, AuditRow)
    assert (only.actor, only.details["origin"]) == ("ops", "reconciliation")


def every_order_type(cache: Cache) -> list[Order]:
    """One order of each NautilusTrader type (two trailing stops: before and after their
    trigger is set), added to `cache`, numbered T-0, T-1, ..."""
    make = OrderFactory(TestIdStubs.trader_id(), TestIdStubs.strategy_id(), TestClock())
    q, limit, trigger = (
        Quantity.from_int(1_000),
        Price.from_str("1.10000"),
        Price.from_str("1.09000"),
    )
    offsets: dict[str, Any] = {
        "trailing_offset": Decimal("0.001"), "trailing_offset_type": TrailingOffsetType.PRICE,
    }  # fmt: skip
    buy, eur = OrderSide.BUY, EURUSD.id
    orders = [
        make.market(eur, buy, q, time_in_force=TimeInForce.IOC),
        make.limit(eur, buy, q, limit, time_in_force=TimeInForce.DAY),
        make.stop_market(eur, buy, q, trigger),
        make.stop_limit(eur, buy, q, limit, trigger),
        make.market_to_limit(eur, buy, q),
        make.market_if_touched(eur, buy, q, trigger),
        make.limit_if_touched(eur, buy, q, limit, trigger),
        make.trailing_stop_market(eur, buy, q, **offsets),
        make.trailing_stop_market(eur, buy, q, trigger_price=trigger, **offsets),
        make.trailing_stop_limit(eur, buy, q, limit_offset=Decimal("0.001"), **offsets),
    ]
    for order in orders:
        cache.add_order(order)
    return orders


def test_every_order_type_gets_an_orders_row_with_its_prices_and_time_in_force() -> None:
    assert set(ORDER_TYPES) == set(OrderType)  # a type NautilusTrader adds fails here first
    cache = _cache()
    mapper = RowMapper(cache, actor="ops")
    rows = [mapper.rows(order.init_event) for order in every_order_type(cache)]
    assert all(one.skipped is None for one in rows)
    orders = [row for one in rows for row in one.rows if isinstance(row, OrderRow)]
    limit, trigger = Decimal("1.10000"), Decimal("1.09000")
    assert [(o.order_type, o.limit_price, o.trigger_price, o.time_in_force) for o in orders] == [
        ("market", None, None, "ioc"),
        ("limit", limit, None, "day"),
        ("stop", None, trigger, "gtc"),
        ("stop_limit", limit, trigger, "gtc"),
        ("market_to_limit", None, None, "gtc"),  # its limit price comes with its first fill
        ("market_if_touched", None, trigger, "gtc"),
        ("limit_if_touched", limit, trigger, "gtc"),
        ("trailing_stop_market", None, None, "gtc"),  # no trigger until the trail sets one
        ("trailing_stop_market", None, trigger, "gtc"),
        ("trailing_stop_limit", None, None, "gtc"),
    ]


def test_positions_are_signed_and_keep_the_average_price_exactly() -> None:
    cache = _cache()
    mapper = RowMapper(cache, actor="ops")
    order = TestExecStubs.make_accepted_order(
        instrument=EURUSD, order_side=OrderSide.SELL, quantity=Quantity.from_int(3_000)
    )
    fill = TestEventStubs.order_filled(
        order, EURUSD, position_id=PositionId("P-1"), last_px=Price.from_str("1.10013")
    )
    position = NautilusPosition(EURUSD, fill)
    opened = mapper.rows(TestEventStubs.position_opened(position)).rows
    assert [type(r) for r in opened] == [InstrumentRow, Position]
    row = opened[1]
    assert isinstance(row, Position)
    assert (row.strategy, row.instrument, row.quantity, row.avg_price) == (
        "S-001", "EUR/USD.SIM", Decimal(-3_000), Decimal("1.10013"))  # fmt: skip


def test_an_account_state_is_one_snapshot_with_its_margin() -> None:
    state = TestEventStubs.margin_account_state()
    (row,) = RowMapper(_cache(), actor="ops").rows(state).rows
    assert row == AccountRow(
        "SIM-000", dt.datetime(1970, 1, 1, tzinfo=dt.UTC), "USD", Decimal("1000000.00"),
        Decimal("1000000.00"), Decimal("10000.00"),
    )  # fmt: skip


def multi_currency_state(ts_event: int = T0) -> AccountState:
    """A cash account without a base currency holding USD and EUR, margin held in each, and
    one margin in JPY, a currency it has no balance in."""

    def balance(total: str, currency: Currency) -> AccountBalance:
        return AccountBalance(Money(total, currency), Money(0, currency), Money(total, currency))

    def margin(initial: str, currency: Currency) -> MarginBalance:
        return MarginBalance(Money(initial, currency), Money(0, currency), EURUSD.id)

    return AccountState(
        AccountId("FIX-001"), AccountType.MARGIN, None, True,
        [balance("1500.25", USD), balance("320.50", EUR)],
        [margin("10.00", USD), margin("2.00", USD), margin("4.50", EUR), margin("7", JPY)],
        {}, UUID4(), ts_event, ts_event,
    )  # fmt: skip


def test_every_currency_of_an_account_state_is_a_snapshot_row() -> None:
    mapped = RowMapper(_cache(), actor="ops").rows(multi_currency_state())
    at = from_nanos(T0)
    assert mapped.rows == [
        AccountRow("FIX-001", at, "USD", Decimal("1500.25"), Decimal("1500.25"), Decimal("12.00")),
        AccountRow("FIX-001", at, "EUR", Decimal("320.50"), Decimal("320.50"), Decimal("4.50")),
    ]
    assert mapped.skipped == "margin in ['JPY'] without a balance"


def test_actions_are_the_event_names_in_snake_case() -> None:
    order = TestExecStubs.make_accepted_order(instrument=EURUSD)
    assert action_of(TestEventStubs.order_pending_cancel(order)) == "pending_cancel"
    assert action_of(TestEventStubs.order_canceled(order)) == "canceled"
    assert action_of(TestEventStubs.order_updated(order)) == "updated"
    assert action_of(TestEventStubs.order_expired(order)) == "expired"


def test_from_nanos_keeps_microseconds() -> None:
    assert from_nanos(T0) == dt.datetime(2025, 12, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)


def test_an_order_initialized_before_it_is_cached_is_rebuilt_from_its_event() -> None:
    order = TestExecStubs.limit_order(instrument=EURUSD, client_order_id=ClientOrderId("O-8"))
    mapped = RowMapper(_cache(), actor="ops").rows(order.init_event)  # not added to the cache
    assert mapped.skipped is None
    row = mapped.rows[1]
    assert isinstance(row, OrderRow)
    assert (row.client_order_id, row.status, row.limit_price) == ("O-8", "initialized", Decimal(55))
