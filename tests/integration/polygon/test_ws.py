"""PolygonStream against the Polygon simulator over loopback: auth, channels per market,
unsubscribe, and the faults (disconnect, malformed frames, a paused feed, auth failure) with
the sequence the simulator sent received without a gap or a repeat."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from decimal import Decimal

import numpy as np
import pytest
from execution_engine.adapters.polygon.errors import AuthFailedError
from execution_engine.adapters.polygon.models import (
    CryptoMinuteAgg,
    CryptoQuote,
    CryptoTrade,
    Event,
    ForexMinuteAgg,
    ForexQuote,
    StatusEvent,
    StockMinuteAgg,
    StockQuote,
    StockSecondAgg,
    StockTrade,
)
from execution_engine.adapters.polygon.sim import sources
from execution_engine.adapters.polygon.sim.series import series_from_bars
from execution_engine.adapters.polygon.sim.server import PolygonSimConfig, PolygonSimulator
from execution_engine.adapters.polygon.ws import PolygonStream
from pydantic import SecretStr

from marketdata.synthetic import generate_bars

KEY = "ws-test-key"
DEADLINE = 20.0  # seconds for any one exchange; generous for two slow shared cores


@pytest.fixture(scope="module")
def sim() -> Iterator[PolygonSimulator]:
    stock = series_from_bars(
        generate_bars(500, timeframe="1min", price=180.0, digits=2), "AAPL", 60_000
    )
    crypto = series_from_bars(
        generate_bars(500, timeframe="1min", price=4e4, digits=2), "X:BTCUSD", 60_000
    )
    config = PolygonSimConfig(api_key=KEY, series=[*sources.sample(), stock, crypto], rate=400)
    with PolygonSimulator(config) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def no_faults_left(sim: PolygonSimulator) -> Iterator[None]:
    yield
    sim.faults.clear()


def stream(
    sim: PolygonSimulator,
    market: str,
    key: str = KEY,
    on_status: Callable[[StatusEvent], None] | None = None,
) -> PolygonStream:
    return PolygonStream(SecretStr(key), market, url=sim.ws_url, backoff=0.01, on_status=on_status)


async def collect(
    source: PolygonStream,
    enough: Callable[[list[list[Event]]], bool],
    *,
    on_frame: Callable[[list[Event]], None] | None = None,
) -> list[list[Event]]:
    frames: list[list[Event]] = []

    async def read() -> None:
        async for frame in source:
            frames.append(frame)
            if on_frame is not None:
                on_frame(frame)
            if enough(frames):
                return

    await asyncio.wait_for(read(), DEADLINE)
    return frames


def bar_steps(sim: PolygonSimulator, frames: list[list[Event]]) -> list[int]:
    """Which bar of the EURUSD sample each C quote was made from."""
    series = sim.state.series["C:EURUSD"]
    stamps = [e.timestamp for f in frames for e in f if isinstance(e, ForexQuote)]
    steps = np.searchsorted(series.t, np.array(stamps) - series.resolution_ms + 1)
    return [int(step) for step in steps]


def assert_gapless(steps: list[int]) -> None:
    assert steps == list(range(steps[0], steps[0] + len(steps)))


def run_forex(
    sim: PolygonSimulator, during: Callable[[int, PolygonStream], None], frames: int = 60
) -> tuple[list[list[Event]], PolygonStream]:
    async def go() -> tuple[list[list[Event]], PolygonStream]:
        source = stream(sim, "forex")
        await source.connect()
        await source.subscribe("C.EUR/USD")
        count = 0

        def on_frame(_: list[Event]) -> None:
            nonlocal count
            count += 1
            during(count, source)

        try:
            return await collect(source, lambda got: len(got) >= frames, on_frame=on_frame), source
        finally:
            await source.close()

    return asyncio.run(go())


def test_forex_quotes_and_minute_aggs_decode_with_statuses(sim: PolygonSimulator) -> None:
    statuses: list[StatusEvent] = []

    async def go() -> list[list[Event]]:
        source = stream(sim, "forex", on_status=statuses.append)
        await source.connect()
        await source.subscribe("C.EUR/USD", "CA.*")
        try:
            return await collect(source, lambda got: len(got) >= 3)
        finally:
            await source.close()

    frames = asyncio.run(go())
    assert [s.status for s in statuses] == ["connected", "auth_success", "success", "success"]
    assert statuses[2].message == "subscribed to: C.EUR/USD"
    for frame in frames:
        quote, agg = frame
        assert isinstance(quote, ForexQuote)
        assert isinstance(agg, ForexMinuteAgg)
        assert quote.pair == agg.pair == "EUR/USD"
        assert quote.bid < agg.close < quote.ask
        assert isinstance(quote.bid, Decimal)


def test_stock_and_crypto_channels(sim: PolygonSimulator) -> None:
    async def first(market: str, *params: str) -> list[Event]:
        source = stream(sim, market)
        await source.connect()
        await source.subscribe(*params)
        try:
            return (await collect(source, lambda got: True))[0]
        finally:
            await source.close()

    stocks = asyncio.run(first("stocks", "T.AAPL", "Q.AAPL", "A.AAPL", "AM.AAPL"))
    assert [type(e) for e in stocks] == [StockTrade, StockQuote, StockSecondAgg, StockMinuteAgg]
    assert {e.sym for e in stocks} == {"AAPL"}  # type: ignore[union-attr]  # all four are stock events
    crypto = asyncio.run(first("crypto", "XT.*", "XQ.*", "XA.BTC-USD"))
    assert [type(e) for e in crypto] == [CryptoTrade, CryptoQuote, CryptoMinuteAgg]
    assert {e.pair for e in crypto} == {"BTC-USD"}  # type: ignore[union-attr]  # all three are crypto events


def test_unsubscribe_stops_a_channel(sim: PolygonSimulator) -> None:
    acked: list[bool] = []
    after: list[list[Event]] = []

    async def go() -> None:
        source = stream(
            sim, "forex", on_status=lambda s: acked.append(s.message.startswith("unsubscribed"))
        )
        await source.connect()
        await source.subscribe("C.EUR/USD", "CA.EUR/USD")

        def on_frame(frame: list[Event]) -> None:
            if any(acked):
                after.append(frame)

        try:
            await collect(source, lambda got: len(got) >= 2)
            await source.unsubscribe("CA.EUR/USD")
            await collect(source, lambda got: len(after) >= 5, on_frame=on_frame)
        finally:
            await source.close()

    asyncio.run(go())
    assert all(len(f) == 1 and isinstance(f[0], ForexQuote) for f in after)


def test_a_wrong_key_fails_auth_in_one_line(sim: PolygonSimulator) -> None:
    async def go() -> None:
        source = stream(sim, "forex", key="wrong-key")
        try:
            await source.connect()
        finally:
            await source.close()

    with pytest.raises(AuthFailedError, match="authentication failed") as caught:
        asyncio.run(go())
    assert "wrong-key" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_disconnect_reconnects_resubscribes_and_loses_nothing(sim: PolygonSimulator) -> None:
    before = sim.stats.disconnects

    def drop_at_20(count: int, _: PolygonStream) -> None:
        if count == 20:
            sim.faults.disconnect()

    frames, source = run_forex(sim, drop_at_20)
    assert source.stats.reconnects == 1
    assert sim.stats.disconnects == before + 1
    assert_gapless(bar_steps(sim, frames))


def test_malformed_frames_are_skipped_and_counted(sim: PolygonSimulator) -> None:
    def garble_at_10(count: int, _: PolygonStream) -> None:
        if count == 10:
            sim.faults.malformed_frames(3)

    frames, source = run_forex(sim, garble_at_10)
    assert source.stats.malformed_frames == 3
    assert_gapless(bar_steps(sim, frames))


def test_a_paused_feed_resumes_where_it_stopped(sim: PolygonSimulator) -> None:
    def pause_at_10(count: int, _: PolygonStream) -> None:
        if count == 10:
            sim.faults.pause(0.3)

    frames, _ = run_forex(sim, pause_at_10, frames=30)
    assert_gapless(bar_steps(sim, frames))


def test_an_auth_failure_on_reconnect_ends_the_stream(sim: PolygonSimulator) -> None:
    def refuse_at_5(count: int, _: PolygonStream) -> None:
        if count == 5:
            sim.faults.fail_auth(1)
            sim.faults.disconnect()

    with pytest.raises(AuthFailedError):
        run_forex(sim, refuse_at_5, frames=10_000)
