"""The quote hot path: lines to QuoteTicks exactly, and v20 times to nanoseconds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import pytest
from execution_engine.adapters.oanda.quotes import (
    QuoteError,
    StreamPrice,
    decode_line,
    price_at,
    quantity_of,
    quote_tick,
)
from execution_engine.adapters.oanda.v20.models import ClientPrice, PricingHeartbeat
from execution_engine.adapters.oanda.v20.times import rfc3339_ns
from nautilus_trader.model.identifiers import InstrumentId

EUR_USD = InstrumentId.from_str("EUR/USD.OANDA")
LINE = (
    b'{"type":"PRICE","time":"2016-09-20T15:05:47.960449532Z","bids":[{"price":"1.11570",'
    b'"liquidity":10000000}],"asks":[{"price":"1.11586","liquidity":5000000}],'
    b'"closeoutBid":"1.11555","closeoutAsk":"1.11601","status":"tradeable","tradeable":true,'
    b'"instrument":"EUR_USD"}'
)


def _ns(text: str) -> int:
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000


def test_a_price_line_becomes_a_quote_tick() -> None:
    price = decode_line(LINE)
    assert isinstance(price, StreamPrice)
    tick = quote_tick(price, EUR_USD, 5, ts_init=7)
    assert tick.instrument_id == EUR_USD
    assert str(tick.bid_price) == "1.11570"
    assert str(tick.ask_price) == "1.11586"
    assert tick.bid_price.precision == 5
    assert str(tick.bid_size) == "10000000"
    assert str(tick.ask_size) == "5000000"
    assert tick.ts_event == _ns("2016-09-20T15:05:47") + 960449532
    assert tick.ts_init == 7


def test_the_full_client_price_gives_the_same_tick() -> None:
    full = msgspec.json.decode(LINE, type=ClientPrice)
    fast = decode_line(LINE)
    assert isinstance(fast, StreamPrice)
    assert quote_tick(full, EUR_USD, 5, ts_init=1) == quote_tick(fast, EUR_USD, 5, ts_init=1)


def test_a_heartbeat_line_is_a_heartbeat() -> None:
    assert isinstance(
        decode_line(b'{"type":"HEARTBEAT","time":"2016-09-20T15:05:50Z"}'), PricingHeartbeat
    )


@pytest.mark.parametrize(
    "line",
    [b"not json", b'{"type":"PRICE"}', b'{"type":"SOMETHING","time":"x"}', b'{"type":"PRICE",'],
)
def test_a_malformed_line_raises_a_decode_error(line: bytes) -> None:
    with pytest.raises((msgspec.DecodeError, msgspec.ValidationError)):
        decode_line(line)


def test_short_prices_are_padded_to_the_instruments_precision() -> None:
    assert str(price_at("1.1", 5)) == "1.10000"
    assert str(price_at("150", 3)) == "150.000"
    assert price_at("1.1", 5) == price_at("1.10000", 5)


def test_a_price_finer_than_the_instrument_is_refused_not_rounded() -> None:
    with pytest.raises(QuoteError, match="more than 5 decimals"):
        price_at("1.123456", 5)


def test_a_price_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(QuoteError, match="not a price"):
        price_at("1.1x", 5)


def test_a_side_without_levels_is_refused() -> None:
    price = decode_line(LINE.replace(b'[{"price":"1.11586","liquidity":5000000}]', b"[]"))
    assert isinstance(price, StreamPrice)
    with pytest.raises(QuoteError, match="no bid or no ask"):
        quote_tick(price, EUR_USD, 5)


@pytest.mark.parametrize("liquidity", [10000000, "10000000", Decimal("10000000")])
def test_liquidity_in_any_of_oandas_forms(liquidity: int | str | Decimal) -> None:
    assert str(quantity_of(liquidity)) == "10000000"


@pytest.mark.parametrize("liquidity", [-1, "1.5", "lots"])
def test_liquidity_that_is_not_whole_units_is_refused(liquidity: int | str) -> None:
    with pytest.raises(QuoteError):
        quantity_of(liquidity)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T20:00:00.123456789Z", _ns("2026-12-01T20:00:00") + 123456789),
        ("2026-12-01T20:00:00.1Z", _ns("2026-12-01T20:00:00") + 100000000),
        ("2026-12-01T20:00:01.000001Z", _ns("2026-12-01T20:00:01") + 1000),
        ("2026-12-01T20:00:00Z", _ns("2026-12-01T20:00:00")),
        ("2026-12-01T21:00:00.5+01:00", _ns("2026-12-01T20:00:00") + 500000000),
        ("1796155200.123456789", 1796155200123456789),
    ],
)
def test_v20_times_to_nanoseconds(text: str, expected: int) -> None:
    assert rfc3339_ns(text) == expected


def test_the_second_cache_follows_the_clock() -> None:
    first = rfc3339_ns("2026-12-01T20:00:00.5Z")
    later = rfc3339_ns("2026-12-01T20:00:07.5Z")
    assert later - first == 7_000_000_000


@pytest.mark.parametrize(
    "text", ["yesterday", "2026-12-01T20:00:00.12x4Z", "2026-13-01T20:00:00.1Z", "1.2.3"]
)
def test_a_time_that_is_none_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="time"):
        rfc3339_ns(text)


def test_a_remembered_price_keeps_to_its_precision() -> None:
    five = price_at("1.1", 5)
    three = price_at("1.1", 3)
    assert (five.precision, three.precision) == (5, 3)
    assert price_at("1.1", 5) is five  # the same string at the same precision: one Price
    with pytest.raises(QuoteError):
        price_at("1.1234", 3)  # refused every time, never remembered
    with pytest.raises(QuoteError):
        price_at("1.1234", 3)
