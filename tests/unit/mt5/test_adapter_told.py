"""What the execution client has told NautilusTrader, ahead of the order's queued status."""

from __future__ import annotations

from decimal import Decimal

from execution_engine.adapters.told import Told
from nautilus_trader.common.component import TestClock
from nautilus_trader.common.factories import OrderFactory
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId, StrategyId, TraderId
from nautilus_trader.model.objects import Price, Quantity

ORDERS = OrderFactory(TraderId("T-001"), StrategyId("S-001"), TestClock())
EUR_USD = InstrumentId.from_str("EUR/USD.MT5")


def test_told_goes_before_the_orders_status() -> None:
    order = ORDERS.market(EUR_USD, OrderSide.BUY, Quantity.from_int(10_000))
    told = Told()
    assert not told.accepted(order)
    assert not told.finished(order)
    told.accept(order)
    assert told.accepted(order)  # the order itself is still INITIALIZED
    told.fill(order, Decimal(4_000))
    assert told.filled_qty(order) == Decimal(4_000)
    assert not told.finished(order)
    told.fill(order, Decimal(6_000))
    assert told.finished(order)  # filled in full


def test_a_rejection_or_cancel_finishes_the_order() -> None:
    order = ORDERS.limit(
        EUR_USD, OrderSide.SELL, Quantity.from_int(1_000), price=Price.from_str("1.10000")
    )
    told = Told()
    told.finish(order)
    assert told.finished(order)


def test_tickets_both_ways() -> None:
    order = ORDERS.market(EUR_USD, OrderSide.SELL, Quantity.from_int(1_000))
    told = Told()
    assert told.ticket(order) is None
    told.know_ticket(order, 10_000_007)
    assert told.ticket(order) == 10_000_007
    assert told.order_of(10_000_007) == order.client_order_id
    assert told.order_of(1) is None
