"""NautilusTrader orders → OANDA v20 order requests, and what OANDA cannot take."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pandas as pd
import pytest
from execution_engine.adapters.oanda.providers import oanda_instrument
from execution_engine.adapters.oanda.translate import (
    OrderRefusedError,
    order_request,
    replace_request,
    rfc3339,
)
from execution_engine.adapters.oanda.v20 import models
from nautilus_trader.common.component import TestClock
from nautilus_trader.common.factories import OrderFactory
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.identifiers import StrategyId, TraderId, Venue
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Price, Quantity

EUR_USD = {
    "name": "EUR_USD", "type": "CURRENCY", "displayPrecision": 5, "tradeUnitsPrecision": 0,
    "minimumTradeSize": "1", "maximumOrderUnits": "100000000", "marginRate": "0.0333",
}  # fmt: skip


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    return oanda_instrument(EUR_USD, Venue("OANDA"))


@pytest.fixture
def factory() -> OrderFactory:
    return OrderFactory(TraderId("T-001"), StrategyId("S-001"), TestClock())


def test_a_market_buy_is_a_fok_market_order_with_the_client_id(instrument, factory) -> None:
    order = factory.market(instrument.id, OrderSide.BUY, Quantity.from_int(1000))
    request = order_request(order, "EUR_USD", instrument)
    assert request == {
        "type": "MARKET", "instrument": "EUR_USD", "units": "1000", "timeInForce": "FOK",
        "positionFill": "DEFAULT",
        "clientExtensions": {"id": order.client_order_id.value, "tag": "gauntlet"},
    }  # fmt: skip
    typed = msgspec.convert(request, models.OrderRequest)  # what the V20Client sends
    assert isinstance(typed, models.MarketOrderRequest)
    assert typed.units == Decimal(1000)


def test_a_sell_limit_has_negative_units_and_the_price_at_its_precision(
    instrument, factory
) -> None:
    order = factory.limit(
        instrument.id, OrderSide.SELL, Quantity.from_int(2500), Price.from_str("1.10000")
    )
    request = order_request(order, "EUR_USD", instrument)
    assert (request["type"], request["units"], request["price"]) == ("LIMIT", "-2500", "1.10000")
    assert request["timeInForce"] == "GTC"


def test_stop_limit_is_an_oanda_stop_with_a_price_bound(instrument, factory) -> None:
    order = factory.stop_limit(
        instrument.id, OrderSide.BUY, Quantity.from_int(1000),
        price=Price.from_str("1.20200"), trigger_price=Price.from_str("1.20100"),
    )  # fmt: skip
    request = order_request(order, "EUR_USD", instrument)
    assert (request["type"], request["price"], request["priceBound"]) == (
        "STOP",
        "1.20100",
        "1.20200",
    )
    assert isinstance(msgspec.convert(request, models.OrderRequest), models.StopOrderRequest)


def test_gtd_carries_its_expiry_and_day_is_gfd(instrument, factory) -> None:
    expiry = pd.Timestamp("2026-12-01T21:00:00.5Z")
    gtd = factory.limit(
        instrument.id, OrderSide.BUY, Quantity.from_int(1000), Price.from_str("1.1"),
        time_in_force=TimeInForce.GTD, expire_time=expiry,
    )  # fmt: skip
    request = order_request(gtd, "EUR_USD", instrument)
    assert (request["timeInForce"], request["gtdTime"]) == ("GTD", "2026-12-01T21:00:00.500000000Z")
    day = factory.limit(
        instrument.id, OrderSide.BUY, Quantity.from_int(1000), Price.from_str("1.1"),
        time_in_force=TimeInForce.DAY,
    )  # fmt: skip
    assert order_request(day, "EUR_USD", instrument)["timeInForce"] == "GFD"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda f, i: f.market_to_limit(i.id, OrderSide.BUY, Quantity.from_int(1000)),
         "no MARKET_TO_LIMIT orders"),
        (lambda f, i: f.market(i.id, OrderSide.BUY, Quantity.from_int(1000),
                               time_in_force=TimeInForce.AT_THE_OPEN),
         "no time in force AT_THE_OPEN"),
        (lambda f, i: f.market(i.id, OrderSide.BUY, Quantity.from_str("1000.5")),
         "not a multiple"),
        (lambda f, i: f.limit(i.id, OrderSide.BUY, Quantity.from_int(1000),
                              Price.from_str("1.1"), post_only=True),
         "no post-only"),
    ],
)  # fmt: skip
def test_what_oanda_cannot_take_is_refused_in_one_line(instrument, factory, make, words) -> None:
    with pytest.raises(OrderRefusedError, match=words) as caught:
        order_request(make(factory, instrument), "EUR_USD", instrument)
    assert "\n" not in str(caught.value)


def test_replace_changes_the_terms_asked_and_keeps_the_rest(instrument, factory) -> None:
    order = factory.stop_limit(
        instrument.id, OrderSide.SELL, Quantity.from_int(1000),
        price=Price.from_str("1.09000"), trigger_price=Price.from_str("1.09100"),
    )  # fmt: skip
    request = replace_request(
        order, "EUR_USD", instrument, quantity=Quantity.from_int(3000),
        trigger_price=Price.from_str("1.08900"),
    )  # fmt: skip
    assert (request["units"], request["price"], request["priceBound"]) == (
        "-3000",
        "1.08900",
        "1.09000",
    )
    assert request["clientExtensions"]["id"] == order.client_order_id.value


def test_a_market_order_cannot_be_replaced(instrument, factory) -> None:
    order = factory.market(instrument.id, OrderSide.BUY, Quantity.from_int(1000))
    with pytest.raises(OrderRefusedError, match="cannot be modified"):
        replace_request(order, "EUR_USD", instrument, quantity=Quantity.from_int(2000))


def test_rfc3339_keeps_nanoseconds() -> None:
    assert rfc3339(1_764_619_200_123_456_789) == "2025-12-01T20:00:00.123456789Z"
