"""The simulator's pieces without a server: time and decimal formats, the FIFO plan of a
fill, the account's valuation and home-currency conversion, order triggers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from execution_engine.adapters.oanda.sim import account
from execution_engine.adapters.oanda.sim.broker import _plan
from execution_engine.adapters.oanda.sim.config import INSTRUMENTS
from execution_engine.adapters.oanda.sim.errors import OrderRejectError
from execution_engine.adapters.oanda.sim.market import Bar, Market
from execution_engine.adapters.oanda.sim.orders import Order, entry_triggered, parse_units
from execution_engine.adapters.oanda.sim.trades import Trade, TradeBook
from execution_engine.adapters.oanda.sim.wire import dec, parse_time, rfc3339


def _trade(tid: str, units: str, price: str = "1.10000", instrument: str = "EUR_USD") -> Trade:
    return Trade(tid, instrument, Decimal(price), "t", Decimal(units), Decimal(units), Decimal(0))


def _market() -> Market:
    bar = Bar(0, Decimal("1.1"), Decimal("1.1"), Decimal("1.1"), Decimal("1.1"), 0)
    market = Market(INSTRUMENTS, [bar])
    market.set_quote("EUR_USD", Decimal("1.10000"), Decimal("1.10010"))
    market.set_quote("USD_JPY", Decimal("150.000"), Decimal("150.020"))
    return market


def test_rfc3339_keeps_nanoseconds_both_ways() -> None:
    ns = 1_764_619_438_123_456_789
    text = rfc3339(ns)
    assert text == "2025-12-01T20:03:58.123456789Z"
    assert parse_time(text) == ns
    assert parse_time("1764619438.123456789") == ns
    assert parse_time("2025-12-01T20:03:58Z") == ns - 123_456_789


def test_decimals_are_plain_strings() -> None:
    assert dec(Decimal("1E-5")) == "0.00001"
    assert dec(Decimal("-0")) == "0"


def test_fifo_plan_reduces_oldest_first_then_opens_the_rest() -> None:
    first, second = _trade("1", "100"), _trade("2", "50")
    closing, remaining = _plan([first, second], Decimal(-120))
    assert closing == [(first, Decimal(100)), (second, Decimal(20))]
    assert remaining == 0
    closing, remaining = _plan([first], Decimal(-130))
    assert (closing, remaining) == ([(first, Decimal(100))], Decimal(-30))


def test_unrealized_pl_of_a_yen_pair_is_converted_home() -> None:
    market = _market()
    long = _trade("1", "1000", "149.000", "USD_JPY")
    # a long closes at the bid: (150.000 - 149.000) * 1000 JPY, at 1/150.01 USD per JPY
    assert account.unrealized(long, "USD", market) == pytest.approx(
        Decimal(1000) / Decimal("150.010")
    )


def test_closeout_percent_is_half_the_margin_over_nav() -> None:
    market = _market()
    book = TradeBook()
    book.add(_trade("1", "10000", "1.10010"))
    value = account.value(book, Decimal(1000), "USD", market)
    margin = Decimal(10000) * Decimal("1.10005") * Decimal("0.0333")
    assert value.margin_used == margin
    assert value.closeout_percent == (margin / 2) / value.nav


def test_hedged_units_take_margin_once() -> None:
    market = _market()
    book = TradeBook()
    book.add(_trade("1", "100"))
    book.add(_trade("2", "-60"))
    assert account.instrument_margin(book, "EUR_USD", "USD", market) == account.margin_for(
        "EUR_USD", Decimal(100), "USD", market
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("x", "UNITS_INVALID"), ("0.5", "UNITS_PRECISION_EXCEEDED"), (None, "UNITS_MISSING")],
)
def test_units_checks(raw: object, reason: str) -> None:
    with pytest.raises(OrderRejectError) as caught:
        parse_units(raw, INSTRUMENTS["EUR_USD"])
    assert caught.value.reason == reason


def test_buy_limit_watches_the_ask_and_sell_stop_the_bid() -> None:
    limit = Order("1", "LIMIT", "t", "EUR_USD", units=Decimal(10), price=Decimal("1.10000"))
    assert not entry_triggered(limit, Decimal("1.09995"), Decimal("1.10005"))
    assert entry_triggered(limit, Decimal("1.09990"), Decimal("1.10000"))
    stop = Order("2", "STOP", "t", "EUR_USD", units=Decimal(-10), price=Decimal("1.09000"))
    assert not entry_triggered(stop, Decimal("1.09001"), Decimal("1.09011"))
    assert entry_triggered(stop, Decimal("1.09000"), Decimal("1.09010"))
