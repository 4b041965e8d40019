"""Polygon's own Python client (`massive` 2.9.1, formerly polygon-api-client), unchanged,
against the simulator: the evidence that code written for the real API works against it.
Only the base URL (REST) and the feed host (WebSocket, plain ws://) point at the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pandas as pd
import pytest
from execution_engine.adapters.polygon.sim import sources
from execution_engine.adapters.polygon.sim.series import series_from_bars
from execution_engine.adapters.polygon.sim.server import PolygonSimConfig, PolygonSimulator
from massive import RESTClient, WebSocketClient
from massive.exceptions import AuthError, BadResponse
from massive.websocket.models import CurrencyAgg, ForexQuote, WebSocketMessage

from marketdata import load_bars
from marketdata.synthetic import generate_bars

KEY = "official-client-key"
SAMPLE = load_bars(sources.SAMPLE)


@pytest.fixture(scope="module")
def sim() -> Iterator[PolygonSimulator]:
    stock = series_from_bars(
        generate_bars(300, timeframe="1min", price=180.0, digits=2), "AAPL", 60_000
    )
    config = PolygonSimConfig(api_key=KEY, series=[*sources.sample(), stock], rate=200)
    with PolygonSimulator(config) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def client(sim: PolygonSimulator) -> RESTClient:
    return RESTClient(api_key=KEY, base=sim.base_url, retries=0)


def test_list_aggs_pages_through_every_bar(client: RESTClient, sim: PolygonSimulator) -> None:
    pages_before = sim.stats.pages
    aggs = list(client.list_aggs("C:EURUSD", 1, "hour", "2020-01-01", "2020-01-31", limit=100))
    expected = SAMPLE.loc["2020-01-01":"2020-01-31"]
    assert len(aggs) == len(expected)
    assert sim.stats.pages - pages_before == -(-len(expected) // 100)
    assert [a.timestamp for a in aggs] == [
        t // 1_000_000 for t in pd.DatetimeIndex(expected.index).asi8
    ]
    assert aggs[0].open == 1.1
    assert aggs[0].close == 1.10028


def test_get_aggs_resamples(client: RESTClient) -> None:
    weeks = client.get_aggs("C:EURUSD", 1, "week", "2020-01-05", "2020-02-01")
    hourly = SAMPLE.loc["2020-01-05":"2020-01-11"]
    assert len(weeks) == 4
    assert weeks[0].high == pytest.approx(hourly["high"].max())
    assert weeks[0].low == pytest.approx(hourly["low"].min())


def test_last_trade_and_quote(client: RESTClient, sim: PolygonSimulator) -> None:
    trade = client.get_last_trade("AAPL")
    quote = client.get_last_quote("AAPL")
    close = round(float(sim.state.series["AAPL"].c[-1]), 2)
    assert trade.price == close
    assert quote.bid_price < close < quote.ask_price
    assert quote.ticker == "AAPL"


def test_last_forex_quote(client: RESTClient) -> None:
    last = client.get_last_forex_quote("EUR", "USD")
    assert last.symbol == "EUR/USD"
    assert last.last.bid < float(SAMPLE["close"].iloc[-1]) < last.last.ask


def test_list_tickers_and_market_status(client: RESTClient) -> None:
    assert [t.ticker for t in client.list_tickers(limit=1)] == ["AAPL", "C:EURUSD"]
    assert [t.ticker for t in client.list_tickers(market="fx")] == ["C:EURUSD"]
    status = client.get_market_status()
    assert status.currencies.fx in ("open", "closed")
    assert status.market in ("open", "closed", "extended-hours")


def test_a_wrong_key_is_refused(sim: PolygonSimulator) -> None:
    with pytest.raises(BadResponse, match="Unknown API Key"):
        RESTClient(api_key="nope", base=sim.base_url, retries=0).get_market_status()


def websocket(sim: PolygonSimulator, key: str = KEY, **kwargs: object) -> WebSocketClient:
    return WebSocketClient(
        api_key=key, feed=f"127.0.0.1:{sim.port}", market="forex", secure=False, **kwargs
    )


def test_websocket_client_receives_forex_quotes(sim: PolygonSimulator) -> None:
    received: list[WebSocketMessage] = []
    ws = websocket(sim, subscriptions=["C.EUR/USD", "CA.EUR/USD"])

    async def processor(messages: list[WebSocketMessage]) -> None:
        received.extend(messages)
        if len(received) >= 20:
            await ws.close()

    asyncio.run(asyncio.wait_for(ws.connect(processor), 20))
    quotes = [m for m in received if isinstance(m, ForexQuote)]
    aggs = [m for m in received if isinstance(m, CurrencyAgg)]
    assert len(quotes) >= 10
    assert len(aggs) >= 10
    assert all(q.pair == "EUR/USD" and q.bid_price < q.ask_price for q in quotes)
    assert [a.start_timestamp for a in aggs] == sorted(a.start_timestamp for a in aggs)


def test_websocket_client_reconnects_after_a_drop(sim: PolygonSimulator) -> None:
    received: list[ForexQuote] = []
    ws = websocket(sim, subscriptions=["C.EUR/USD"], max_reconnects=3)
    drops = sim.stats.disconnects

    async def processor(messages: list[WebSocketMessage]) -> None:
        received.extend(m for m in messages if isinstance(m, ForexQuote))
        if len(received) == 10:
            sim.faults.disconnect()
        if len(received) >= 30:
            await ws.close()

    asyncio.run(asyncio.wait_for(ws.connect(processor), 20))
    assert sim.stats.disconnects == drops + 1
    stamps = [q.timestamp for q in received]
    assert stamps == sorted(set(stamps))  # resubscribed, nothing repeated


def test_websocket_client_wrong_key(sim: PolygonSimulator) -> None:
    async def ignore(_: list[WebSocketMessage]) -> None:
        return None

    with pytest.raises(AuthError, match="authentication failed"):
        asyncio.run(asyncio.wait_for(websocket(sim, key="nope").connect(ignore), 20))
