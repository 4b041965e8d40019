"""PolygonRest against the Polygon simulator over loopback: paging, the page-loop guard,
empty ranges, wrong keys, 429 storms, unknown tickers and every endpoint's decoded values."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal
from typing import TypeVar

import pandas as pd
import pytest
from execution_engine.adapters.polygon.errors import (
    BadRequestError,
    NotFoundError,
    PageLoopError,
    RateLimited,
    Unauthorized,
)
from execution_engine.adapters.polygon.models import Agg
from execution_engine.adapters.polygon.rest import PolygonRest
from execution_engine.adapters.polygon.sim import sources
from execution_engine.adapters.polygon.sim.series import series_from_bars
from execution_engine.adapters.polygon.sim.server import PolygonSimConfig, PolygonSimulator
from pydantic import SecretStr

from marketdata import load_bars
from marketdata.synthetic import generate_bars

KEY = "rest-test-key"
T = TypeVar("T")
SAMPLE = load_bars(sources.SAMPLE)


@pytest.fixture(scope="module")
def sim() -> Iterator[PolygonSimulator]:
    stock = series_from_bars(
        generate_bars(500, timeframe="1min", price=180.0, digits=2), "AAPL", 60_000
    )
    crypto = series_from_bars(
        generate_bars(500, timeframe="1min", price=40_000.0, digits=2), "X:BTCUSD", 60_000
    )
    series = [*sources.sample(), stock, crypto]
    with PolygonSimulator(PolygonSimConfig(api_key=KEY, series=series)) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def no_faults_left(sim: PolygonSimulator) -> Iterator[None]:
    yield
    sim.faults.clear()


def call(
    sim: PolygonSimulator,
    use: Callable[[PolygonRest], Awaitable[T]],
    key: str = KEY,
    retries: int = 5,
) -> T:
    async def go() -> T:
        async with PolygonRest(
            SecretStr(key), base_url=sim.base_url, max_retries=retries, backoff=0.01
        ) as rest:
            return await use(rest)

    return asyncio.run(go())


async def pages(iterator: AsyncIterator[list[Agg]]) -> list[list[Agg]]:
    return [page async for page in iterator]


def hours(
    sim: PolygonSimulator,
    limit: int,
    sort: str = "asc",
    start: str = "2020-01-01",
    end: str = "2020-03-31",
) -> list[list[Agg]]:
    return call(
        sim,
        lambda r: pages(r.aggregates("C:EURUSD", 1, "hour", start, end, sort=sort, limit=limit)),
    )


def stamps_ms(frame: pd.DataFrame) -> list[int]:
    return [int(t) for t in pd.DatetimeIndex(frame.index).as_unit("ms").asi8]


def test_paging_follows_next_url_to_every_bar_once(sim: PolygonSimulator) -> None:
    expected = SAMPLE.loc["2020-01-01":"2020-03-31"]
    paged = hours(sim, limit=250)
    assert [len(p) for p in paged[:-1]] == [250] * (len(paged) - 1)
    assert [bar.t for page in paged for bar in page] == stamps_ms(expected)
    assert len(paged) == -(-len(expected) // 250)


def test_descending_pages_are_the_same_bars_reversed(sim: PolygonSimulator) -> None:
    ascending = [bar for page in hours(sim, limit=50_000) for bar in page]
    descending = [bar for page in hours(sim, limit=300, sort="desc") for bar in page]
    assert descending == ascending[::-1]


def test_prices_decode_exactly_as_decimals(sim: PolygonSimulator) -> None:
    first = hours(sim, limit=10, end="2020-01-01")[0][0]
    assert (first.o, first.h, first.l, first.c) == tuple(
        Decimal(x) for x in ("1.10000", "1.10081", "1.09981", "1.10028")
    )
    assert first.v == Decimal(2856)


def test_daily_aggregates_are_the_hours_resampled(sim: PolygonSimulator) -> None:
    days = call(
        sim, lambda r: pages(r.aggregates("C:EURUSD", 1, "day", "2020-01-01", "2020-01-31"))
    )
    bars = [bar for page in days for bar in page]
    hourly = SAMPLE.loc["2020-01-01":"2020-01-31"]
    daily = (
        hourly.resample("1D")
        .agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        .dropna()
    )
    assert [b.t for b in bars] == stamps_ms(daily)
    assert [float(b.h) for b in bars] == pytest.approx(daily["high"].tolist())
    assert [float(b.c) for b in bars] == pytest.approx(daily["close"].tolist())
    assert [float(b.v) for b in bars] == pytest.approx(daily["volume"].tolist())


def test_a_timespan_finer_than_the_data_has_no_results(sim: PolygonSimulator) -> None:
    assert (
        call(
            sim, lambda r: pages(r.aggregates("C:EURUSD", 1, "minute", "2020-01-02", "2020-01-03"))
        )
        == []
    )


def test_an_empty_range_yields_nothing(sim: PolygonSimulator) -> None:
    assert hours(sim, limit=100, start="2019-01-01", end="2019-12-31") == []
    assert hours(sim, limit=100, start="2020-01-04", end="2020-01-04") == []  # a Saturday


def test_a_page_loop_raises_after_each_bar_once(sim: PolygonSimulator) -> None:
    seen: list[int] = []

    async def read(rest: PolygonRest) -> None:
        async for page in rest.aggregates(
            "C:EURUSD", 1, "hour", "2020-01-01", "2020-03-31", limit=200
        ):
            seen.extend(bar.t for bar in page)
            if len(seen) == 400:
                sim.faults.page_loop()  # the third page will point at itself

    with pytest.raises(PageLoopError, match="pagination loops") as caught:
        call(sim, read)
    assert len(seen) == 600
    assert len(set(seen)) == 600
    assert "\n" not in str(caught.value)


def test_a_first_page_pointing_to_itself_is_a_page_loop(sim: PolygonSimulator) -> None:
    sim.faults.page_loop()
    seen: list[int] = []

    async def read(rest: PolygonRest) -> None:
        async for page in rest.aggregates(
            "C:EURUSD", 1, "hour", "2020-01-01", "2020-03-31", limit=200
        ):
            seen.extend(bar.t for bar in page)

    with pytest.raises(PageLoopError):
        call(sim, read)
    assert len(seen) == 200
    assert len(set(seen)) == 200


def test_a_wrong_key_is_one_line_without_the_key(sim: PolygonSimulator) -> None:
    with pytest.raises(Unauthorized) as caught:
        call(sim, lambda r: r.market_status(), key="not-the-key")
    assert caught.value.status == 401
    assert str(caught.value) == "GET /v1/marketstatus/now: HTTP 401: Unknown API Key"


def test_a_short_429_storm_is_ridden_out_with_backoff(sim: PolygonSimulator) -> None:
    sim.faults.rate_limit(3)
    before = sim.stats.rate_limited

    async def status(rest: PolygonRest) -> tuple[str, int]:
        return (await rest.market_status()).market, rest.retries

    market, retries = call(sim, status)
    assert market in ("open", "closed", "extended-hours")
    assert retries == 3
    assert sim.stats.rate_limited - before == 3


def test_a_long_429_storm_is_rate_limited(sim: PolygonSimulator) -> None:
    sim.faults.rate_limit(10)
    with pytest.raises(RateLimited, match="rate limited after 3 tries") as caught:
        call(sim, lambda r: r.last_trade("AAPL"), retries=2)
    assert caught.value.status == 429


def test_an_unknown_ticker(sim: PolygonSimulator) -> None:
    with pytest.raises(NotFoundError, match="HTTP 404: Data not found"):
        call(sim, lambda r: r.last_quote("NOPE"))
    with pytest.raises(NotFoundError):
        call(sim, lambda r: r.last_forex_quote("EUR", "XYZ"))
    # Polygon answers aggregates of a ticker it does not know as an empty range.
    assert (
        call(sim, lambda r: pages(r.aggregates("NOPE", 1, "day", "2020-01-01", "2020-02-01"))) == []
    )


def test_bad_arguments_are_bad_requests(sim: PolygonSimulator) -> None:
    with pytest.raises(BadRequestError, match="Could not parse the time parameter"):
        hours(sim, limit=10, start="2020-13-01")
    with pytest.raises(BadRequestError, match="timespan 'fortnight'"):
        call(
            sim,
            lambda r: pages(r.aggregates("C:EURUSD", 1, "fortnight", "2020-01-01", "2020-02-01")),
        )


def test_last_quote_and_trade_of_a_stock(sim: PolygonSimulator) -> None:
    stock = sim.state.series["AAPL"]
    quote = call(sim, lambda r: r.last_quote("AAPL"))
    trade = call(sim, lambda r: r.last_trade("AAPL"))
    close = Decimal(str(round(float(stock.c[-1]), 2)))
    assert quote.ticker == trade.ticker == "AAPL"
    assert quote.bid_price < close < quote.ask_price
    assert trade.price == close
    assert trade.sip_timestamp == (int(stock.t[-1]) + 60_000) * 1_000_000


def test_last_forex_quote_and_crypto_trade(sim: PolygonSimulator) -> None:
    fx = call(sim, lambda r: r.last_forex_quote("EUR", "USD"))
    close = Decimal(str(SAMPLE["close"].iloc[-1]))
    assert fx.bid < close < fx.ask
    assert fx.ask - fx.bid == Decimal("0.00010")
    crypto = call(sim, lambda r: r.last_crypto_trade("BTC", "USD"))
    assert crypto.price == Decimal(str(round(float(sim.state.series["X:BTCUSD"].c[-1]), 2)))


def test_tickers_page_and_filter(sim: PolygonSimulator) -> None:
    async def listed(
        rest: PolygonRest, market: str | None = None, ticker: str | None = None
    ) -> list[str]:
        return [info.ticker async for info in rest.tickers(market=market, ticker=ticker, limit=1)]

    assert call(sim, listed) == ["AAPL", "C:EURUSD", "X:BTCUSD"]
    assert call(sim, lambda r: listed(r, market="fx")) == ["C:EURUSD"]
    assert call(sim, lambda r: listed(r, ticker="AAPL")) == ["AAPL"]


def test_market_status_says_every_market(sim: PolygonSimulator) -> None:
    status = call(sim, lambda r: r.market_status())
    assert status.currencies["crypto"] == "open"
    assert set(status.exchanges) == {"nasdaq", "nyse", "otc"}
    assert status.server_time
