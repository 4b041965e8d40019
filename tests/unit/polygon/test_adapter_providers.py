"""Polygon tickers → NautilusTrader instruments through Gauntlet's definitions, their stream
channels, and prices exact from Polygon's decimals."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from execution_engine.adapters.polygon.data import BarTypeError, price, quantity, timespan_of
from execution_engine.adapters.polygon.providers import (
    Market,
    PolygonInstrumentProvider,
    PolygonTickerError,
    polygon_ticker,
    ticker_of,
)
from nautilus_trader.model.data import BarType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import CurrencyPair, Equity
from nautilus_trader.model.objects import Price, Quantity


@pytest.mark.parametrize(
    ("ticker", "market", "symbol", "quotes", "trades", "bars", "catalog"),
    [
        ("C:EURUSD", Market.FOREX, "EUR/USD", "C.EUR/USD", None, "CA.EUR/USD", "EURUSD"),
        ("X:BTCUSD", Market.CRYPTO, "BTC/USD", "XQ.BTC-USD", "XT.BTC-USD", "XA.BTC-USD", "BTCUSD"),
        ("AAPL", Market.STOCKS, "AAPL", "Q.AAPL", "T.AAPL", "AM.AAPL", "AAPL"),
        ("c:usdjpy", Market.FOREX, "USD/JPY", "C.USD/JPY", None, "CA.USD/JPY", "USDJPY"),
    ],
)
def test_ticker_names(
    ticker: str, market: Market, symbol: str, quotes: str, trades: str | None, bars: str,
    catalog: str,
) -> None:  # fmt: skip
    found = polygon_ticker(ticker)
    assert (found.market, found.definition.symbol) == (market, symbol)
    assert (found.quote_channel, found.trade_channel, found.bar_channel) == (quotes, trades, bars)
    assert found.catalog_name == catalog
    assert found.instrument_id() == InstrumentId.from_str(f"{symbol}.POLYGON")
    assert ticker_of(found.instrument_id()).ticker == ticker.upper()


def test_instruments_follow_the_definitions() -> None:
    eurusd = polygon_ticker("C:EURUSD").instrument()
    assert isinstance(eurusd, CurrencyPair)
    assert (eurusd.price_precision, str(eurusd.price_increment)) == (5, "0.00001")
    assert isinstance(polygon_ticker("AAPL").instrument(), Equity)
    assert polygon_ticker("C:USDJPY").instrument().price_precision == 3


@pytest.mark.parametrize(
    ("ticker", "says"),
    [
        ("C:FOOBAR", "no currency 'FOO'"),
        ("Z:ABC", "unsupported prefix 'Z'"),
        ("X:BTC", "needs a base currency"),
        ("C:BTCUSD", "defined as crypto, not fx"),
        ("", "is not a Polygon ticker"),
    ],
)
def test_tickers_that_map_to_nothing(ticker: str, says: str) -> None:
    with pytest.raises(PolygonTickerError, match=says):
        polygon_ticker(ticker)


def test_a_users_definition_reaches_the_instrument(tmp_path: Path) -> None:
    path = tmp_path / "instruments.yaml"
    path.write_text(
        "instruments:\n  SAP: {asset_class: equity, quote_currency: EUR, tick_size: '0.001', "
        "lot_size: '1', calendar: XETR}\n",
        encoding="utf-8",
    )
    provider = PolygonInstrumentProvider(("SAP",), instruments_file=path)
    asyncio.run(provider.load_all_async())
    (instrument,) = provider.list_all()
    assert str(instrument.id) == "SAP.POLYGON"
    assert instrument.price_precision == 3
    assert provider.ticker(instrument.id).ticker == "SAP"


def test_prices_are_exact_and_rounded_half_even() -> None:
    assert price(Decimal("1.10028"), 5) == Price.from_str("1.10028")
    assert price(Decimal("1.100285"), 5) == Price.from_str("1.10028")  # half to even
    assert price(Decimal("1.100295"), 5) == Price.from_str("1.10030")
    assert price(Decimal("98765.43"), 2) == Price.from_str("98765.43")
    assert quantity(Decimal("0.00012345"), 8) == Quantity.from_str("0.00012345")


def test_bar_types_polygon_serves() -> None:
    assert timespan_of(BarType.from_str("EUR/USD.POLYGON-5-MINUTE-LAST-EXTERNAL")) == (
        5,
        "minute",
        300_000,
    )
    with pytest.raises(BarTypeError, match="LAST-EXTERNAL"):
        timespan_of(BarType.from_str("EUR/USD.POLYGON-1-MINUTE-BID-EXTERNAL"))
