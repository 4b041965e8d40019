"""NautilusTrader orders → MqlTradeRequest dicts: every order type and time in force, and
every refusal (each names its reason; nothing would be sent)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from execution_engine.adapters.mt5 import keys
from execution_engine.adapters.mt5.translate import (
    OrderRefusedError,
    SendTerms,
    modify_request,
    remove_request,
    trade_request,
)
from nautilus_trader.common.component import TestClock
from nautilus_trader.common.factories import OrderFactory
from nautilus_trader.model.enums import OrderSide, TimeInForce, TrailingOffsetType
from nautilus_trader.model.identifiers import InstrumentId, StrategyId, TraderId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.model.orders import Order

from tests.unit.mt5.test_adapter_providers import EURUSD, spec

EUR_USD = InstrumentId.from_str("EUR/USD.MT5")
MT5 = SendTerms(magic=4242, deviation_points=10, platform="mt5")
MT4 = SendTerms(magic=4242, deviation_points=10, platform="mt4")
QUOTE = (Decimal("1.10010"), Decimal("1.10012"))
EXPIRE = pd.Timestamp("2030-01-02T03:04:05.678Z")


@pytest.fixture
def orders() -> OrderFactory:
    return OrderFactory(TraderId("T-001"), StrategyId("S-001"), TestClock())


def qty(units: int = 10_000) -> Quantity:
    return Quantity.from_int(units)


def send(order: Order, symbol: dict[str, Any] = EURUSD, terms: SendTerms = MT5) -> dict[str, Any]:
    return trade_request(order, symbol, terms, quote=QUOTE)


def test_a_market_buy_is_a_deal_at_the_ask_with_key_and_magic(orders: OrderFactory) -> None:
    order = orders.market(EUR_USD, OrderSide.BUY, qty())
    assert send(order) == {
        "action": "TRADE_ACTION_DEAL",
        "magic": 4242,
        "symbol": "EURUSD",
        "volume": "0.10",
        "type": "ORDER_TYPE_BUY",
        "comment": keys.comment_key(order.client_order_id.value),
        "type_filling": "ORDER_FILLING_FOK",
        "deviation": 10,
        "price": "1.10012",
    }


def test_a_market_sell_is_priced_at_the_bid(orders: OrderFactory) -> None:
    request = send(orders.market(EUR_USD, OrderSide.SELL, qty()))
    assert (request["type"], request["price"]) == ("ORDER_TYPE_SELL", "1.10010")


def test_a_market_order_without_a_quote_leaves_the_price_to_the_ea(orders: OrderFactory) -> None:
    order = orders.market(EUR_USD, OrderSide.BUY, qty())
    assert "price" not in trade_request(order, EURUSD, MT5, quote=None)


@pytest.mark.parametrize(
    ("tif", "flags", "execution", "filling"),
    [
        (TimeInForce.FOK, 3, "SYMBOL_TRADE_EXECUTION_MARKET", "ORDER_FILLING_FOK"),
        (TimeInForce.IOC, 3, "SYMBOL_TRADE_EXECUTION_MARKET", "ORDER_FILLING_IOC"),
        (TimeInForce.GTC, 3, "SYMBOL_TRADE_EXECUTION_MARKET", "ORDER_FILLING_FOK"),
        (TimeInForce.DAY, 2, "SYMBOL_TRADE_EXECUTION_MARKET", "ORDER_FILLING_IOC"),
        (TimeInForce.GTC, 0, "SYMBOL_TRADE_EXECUTION_INSTANT", "ORDER_FILLING_RETURN"),
    ],
)
def test_market_filling_follows_the_time_in_force_and_the_symbol(
    orders: OrderFactory, tif: TimeInForce, flags: int, execution: str, filling: str
) -> None:
    order = orders.market(EUR_USD, OrderSide.BUY, qty(), time_in_force=tif)
    request = send(order, spec(filling_mode=flags, execution_mode=execution))
    assert request["type_filling"] == filling


def test_fok_on_a_symbol_that_only_allows_ioc_is_refused(orders: OrderFactory) -> None:
    order = orders.market(EUR_USD, OrderSide.BUY, qty(), time_in_force=TimeInForce.FOK)
    with pytest.raises(OrderRefusedError, match="does not allow FOK filling"):
        send(order, spec(filling_mode=2))


@pytest.mark.parametrize(
    ("tif", "order_time"),
    [
        (TimeInForce.GTC, "ORDER_TIME_GTC"),
        (TimeInForce.DAY, "ORDER_TIME_DAY"),
    ],
)
def test_a_limit_is_a_pending_order(
    orders: OrderFactory, tif: TimeInForce, order_time: str
) -> None:
    order = orders.limit(
        EUR_USD, OrderSide.BUY, qty(), Price.from_str("1.09000"), time_in_force=tif
    )
    request = send(order)
    assert request["action"] == "TRADE_ACTION_PENDING"
    assert (request["type"], request["price"]) == ("ORDER_TYPE_BUY_LIMIT", "1.09000")
    assert (request["type_time"], request["type_filling"]) == (order_time, "ORDER_FILLING_RETURN")
    assert "deviation" not in request
    assert "expiration_ms" not in request


def test_gtd_is_specified_with_the_expiration_in_ms(orders: OrderFactory) -> None:
    order = orders.limit(
        EUR_USD, OrderSide.SELL, qty(), Price.from_str("1.11000"),
        time_in_force=TimeInForce.GTD, expire_time=EXPIRE,
    )  # fmt: skip
    request = send(order)
    assert request["type"] == "ORDER_TYPE_SELL_LIMIT"
    assert request["type_time"] == "ORDER_TIME_SPECIFIED"
    assert request["expiration_ms"] == EXPIRE.value // 1_000_000


def test_stop_market_and_stop_limit(orders: OrderFactory) -> None:
    stop = orders.stop_market(EUR_USD, OrderSide.SELL, qty(), Price.from_str("1.08000"))
    assert (send(stop)["type"], send(stop)["price"]) == ("ORDER_TYPE_SELL_STOP", "1.08000")
    stop_limit = orders.stop_limit(
        EUR_USD, OrderSide.BUY, qty(), Price.from_str("1.12010"), Price.from_str("1.12000")
    )
    request = send(stop_limit)
    assert request["type"] == "ORDER_TYPE_BUY_STOP_LIMIT"
    assert (request["price"], request["stoplimit"]) == ("1.12000", "1.12010")


def test_mt4_has_no_stop_limit(orders: OrderFactory) -> None:
    order = orders.stop_limit(
        EUR_USD, OrderSide.BUY, qty(), Price.from_str("1.12010"), Price.from_str("1.12000")
    )
    with pytest.raises(OrderRefusedError, match="MetaTrader 4 has no stop-limit"):
        send(order, terms=MT4)


def test_a_limit_ioc_only_on_an_exchange_symbol(orders: OrderFactory) -> None:
    order = orders.limit(
        EUR_USD, OrderSide.BUY, qty(), Price.from_str("1.09000"), time_in_force=TimeInForce.IOC
    )
    with pytest.raises(OrderRefusedError, match="only possible on an exchange-execution symbol"):
        send(order)
    request = send(order, spec(execution_mode="SYMBOL_TRADE_EXECUTION_EXCHANGE"))
    assert request["type_filling"] == "ORDER_FILLING_IOC"


@pytest.mark.parametrize("tif", [TimeInForce.AT_THE_OPEN, TimeInForce.AT_THE_CLOSE])
def test_auction_times_in_force_are_refused(orders: OrderFactory, tif: TimeInForce) -> None:
    limit = orders.limit(EUR_USD, OrderSide.BUY, qty(), Price.from_str("1.09"), time_in_force=tif)
    with pytest.raises(OrderRefusedError, match=f"no pending orders with time in force {tif.name}"):
        send(limit)
    market = orders.market(EUR_USD, OrderSide.BUY, qty(), time_in_force=tif)
    with pytest.raises(OrderRefusedError, match=f"no market orders with time in force {tif.name}"):
        send(market)


def test_unsupported_order_types_are_refused(orders: OrderFactory) -> None:
    touched = orders.market_if_touched(EUR_USD, OrderSide.BUY, qty(), Price.from_str("1.09"))
    with pytest.raises(OrderRefusedError, match="no MARKET_IF_TOUCHED orders"):
        send(touched)
    trailing = orders.trailing_stop_market(
        EUR_USD, OrderSide.SELL, qty(), trailing_offset=Decimal("0.001"),
        trailing_offset_type=TrailingOffsetType.PRICE, trigger_price=Price.from_str("1.08"),
    )  # fmt: skip
    with pytest.raises(OrderRefusedError, match="no TRAILING_STOP_MARKET orders"):
        send(trailing)


def test_a_quantity_off_the_step_names_the_step_in_lots(orders: OrderFactory) -> None:
    order = orders.market(EUR_USD, OrderSide.BUY, qty(1_500))
    with pytest.raises(OrderRefusedError, match=r"0\.015 lots.*volume step 0\.01 lots"):
        send(order)


def test_a_symbol_that_forbids_the_type_or_trading(orders: OrderFactory) -> None:
    stop = orders.stop_market(EUR_USD, OrderSide.SELL, qty(), Price.from_str("1.08000"))
    with pytest.raises(OrderRefusedError, match="does not allow STOP_MARKET"):
        send(stop, spec(order_mode=1 | 2))
    with pytest.raises(OrderRefusedError, match="trading is disabled"):
        send(stop, spec(trade_mode="SYMBOL_TRADE_MODE_DISABLED"))


def test_gtd_on_a_symbol_without_specified_expiration(orders: OrderFactory) -> None:
    order = orders.limit(
        EUR_USD, OrderSide.SELL, qty(), Price.from_str("1.11000"),
        time_in_force=TimeInForce.GTD, expire_time=EXPIRE,
    )  # fmt: skip
    with pytest.raises(OrderRefusedError, match="does not allow ORDER_TIME_SPECIFIED"):
        send(order, spec(expiration_mode=1 | 2))


def test_a_hedging_close_names_its_position(orders: OrderFactory) -> None:
    order = orders.market(EUR_USD, OrderSide.SELL, qty())
    assert trade_request(order, EURUSD, MT5, quote=QUOTE, position=777)["position"] == 777


def test_modify_and_remove(orders: OrderFactory) -> None:
    limit = orders.limit(EUR_USD, OrderSide.BUY, qty(), Price.from_str("1.09000"))
    assert modify_request(
        limit, EURUSD, 55, price=Decimal("1.09100"), trigger=None, expire_ns=None
    ) == {
        "action": "TRADE_ACTION_MODIFY",
        "order": 55,
        "price": "1.09100",
        "type_time": "ORDER_TIME_GTC",
    }
    stop_limit = orders.stop_limit(
        EUR_USD, OrderSide.BUY, qty(), Price.from_str("1.12010"), Price.from_str("1.12000")
    )
    changed = modify_request(
        stop_limit, EURUSD, 56, price=None, trigger=Decimal("1.12100"), expire_ns=None
    )
    assert (changed["price"], changed["stoplimit"]) == ("1.12100", "1.12010")
    assert remove_request(55) == {"action": "TRADE_ACTION_REMOVE", "order": 55}
