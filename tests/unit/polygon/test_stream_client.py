"""PolygonStream against a scripted loopback WebSocket server: frames the simulator never
sends (unknown events, bad fields, binary, garbage) are salvaged or skipped and counted,
and a server that stays away ends the stream after max_reconnects."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from execution_engine.adapters.polygon.errors import PolygonError, StreamClosedError
from execution_engine.adapters.polygon.models import Event, ForexQuote, StatusEvent
from execution_engine.adapters.polygon.ws import PolygonStream
from pydantic import SecretStr

GREETING = '[{"ev":"status","status":"connected","message":"Connected Successfully"}]'
AUTHED = '[{"ev":"status","status":"auth_success","message":"authenticated"}]'
QUOTE = '{"ev":"C","p":"EUR/USD","x":48,"a":1.10010,"b":1.10000,"t":%d}'
Script = Callable[[web.WebSocketResponse], Awaitable[None]]


async def serving(
    script: Script, use: Callable[[str], Awaitable[None]], *, connections: int = 1
) -> None:
    """Serve `script` after the handshake to the first `connections` clients; refuse the rest."""
    served: list[None] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        served.append(None)
        if len(served) > connections:
            return web.Response(status=503, text="down for maintenance")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(GREETING)
        await ws.receive()  # the auth
        await ws.send_str(AUTHED)
        await script(ws)
        return ws

    app = web.Application()
    app.router.add_get("/forex", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await use(f"ws://127.0.0.1:{runner.addresses[0][1]}")
    finally:
        await runner.cleanup()


def test_bad_frames_are_skipped_and_good_events_kept() -> None:
    async def script(ws: web.WebSocketResponse) -> None:
        await ws.send_str(f'[{QUOTE % 1},{{"ev":"NEW","x":1}},{{"ev":"C","p":"EUR/USD"}}]')
        await ws.send_str("not json at all")
        await ws.send_str('{"ev":"C"}')  # an object, not the array Polygon sends
        await ws.send_bytes(f"[{QUOTE % 2}]".encode())
        await ws.send_str('[{"ev":"status","status":"max_connections","message":"too many"}]')
        await ws.send_str(f"[{QUOTE % 3}]")
        await ws.receive()  # until the client closes

    frames: list[list[Event]] = []
    statuses: list[StatusEvent] = []
    stream: list[PolygonStream] = []

    async def use(url: str) -> None:
        source = PolygonStream(SecretStr("k"), "forex", url=url, on_status=statuses.append)
        stream.append(source)
        await source.connect()
        async for frame in source:
            frames.append(frame)
            if len(frames) == 3:
                break
        await source.close()

    asyncio.run(asyncio.wait_for(serving(script, use), 20))
    assert [[e.timestamp for e in f if isinstance(e, ForexQuote)] for f in frames] == [
        [1],
        [2],
        [3],
    ]
    stats = stream[0].stats
    assert (stats.malformed_frames, stats.malformed_events) == (2, 2)
    assert statuses[-1].status == "max_connections"


def test_a_server_that_stays_away_ends_the_stream_after_max_reconnects() -> None:
    async def script(ws: web.WebSocketResponse) -> None:
        await ws.close()

    reconnects: list[int] = []

    async def use(url: str) -> None:
        source = PolygonStream(SecretStr("k"), "forex", url=url, max_reconnects=2, backoff=0.01)
        await source.connect()
        try:
            async for _ in source:
                pass
        finally:
            reconnects.append(source.stats.reconnects)
            await source.close()

    with pytest.raises(StreamClosedError, match="gave up after 2 reconnect"):
        asyncio.run(asyncio.wait_for(serving(script, use), 20))
    assert reconnects == [0]


def test_bad_arguments() -> None:
    with pytest.raises(PolygonError, match="market 'options' is not one of stocks, forex, crypto"):
        PolygonStream(SecretStr("k"), "options")

    async def go() -> None:
        source = PolygonStream(SecretStr("k"), "forex")
        await source.subscribe("EUR/USD")

    with pytest.raises(PolygonError, match=r"give CHANNEL\.SYMBOL"):
        asyncio.run(go())
