"""PolygonRest against a scripted loopback HTTP server: what it sends, retries it makes and
the one-line errors for answers the simulator never gives (5xx, garbage, 403, no server)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from aiohttp import web
from execution_engine.adapters.polygon.errors import (
    BadRequestError,
    MalformedResponseError,
    PageLoopError,
    ServerError,
    Unauthorized,
)
from execution_engine.adapters.polygon.rest import PolygonRest
from pydantic import SecretStr

T = TypeVar("T")
Answer = Callable[[web.Request], web.Response]
STATUS = {
    "market": "open",
    "serverTime": "2026-01-01T10:00:00-05:00",
    "exchanges": {},
    "currencies": {},
}


def served(
    answers: list[Answer], use: Callable[[PolygonRest], Awaitable[T]]
) -> tuple[T, list[web.Request]]:
    """Run `use` against a server answering each request with the next of `answers`."""
    seen: list[web.Request] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1](request)

    async def go() -> T:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with PolygonRest(
                SecretStr("secret-key"),
                base_url=f"http://127.0.0.1:{port}",
                max_retries=2,
                backoff=0.01,
            ) as rest:
                return await use(rest)
        finally:
            await runner.cleanup()

    return asyncio.run(go()), seen


def status(code: int, body: str = "") -> Answer:
    return lambda _: web.Response(status=code, text=body, content_type="application/json")


def ok(body: object) -> Answer:
    return lambda _: web.json_response(body)


def test_the_key_goes_in_a_bearer_header_never_the_query() -> None:
    result, seen = served([ok(STATUS)], lambda r: r.market_status())
    assert result.market == "open"
    assert seen[0].headers["Authorization"] == "Bearer secret-key"
    assert "apiKey" not in seen[0].query


def test_a_5xx_is_retried_then_succeeds() -> None:
    result, seen = served([status(502), status(503), ok(STATUS)], lambda r: r.market_status())
    assert result.market == "open"
    assert len(seen) == 3


def test_a_5xx_that_stays_is_a_server_error() -> None:
    with pytest.raises(
        ServerError, match=r"^GET /v1/marketstatus/now: HTTP 500 after 3 tries: boom$"
    ):
        served([status(500, '{"status":"ERROR","error":"boom"}')], lambda r: r.market_status())


def test_a_403_says_polygons_message_on_one_line() -> None:
    body = '{"status":"NOT_AUTHORIZED","request_id":"x","message":"You are not entitled\\nto this data."}'
    with pytest.raises(Unauthorized) as caught:
        served([status(403, body)], lambda r: r.last_trade("AAPL"))
    assert (
        str(caught.value) == "GET /v2/last/trade/AAPL: HTTP 403: You are not entitled to this data."
    )
    assert caught.value.status == 403


def test_a_body_that_is_not_polygons_json_is_malformed() -> None:
    with pytest.raises(MalformedResponseError, match="GET /v1/marketstatus/now"):
        served([status(200, "<html>proxy error</html>")], lambda r: r.market_status())
    with pytest.raises(MalformedResponseError, match="market"):
        served([ok({"serverTime": "x"})], lambda r: r.market_status())


def test_no_server_is_a_server_error_after_the_retries() -> None:
    async def go() -> None:
        async with PolygonRest(
            SecretStr("k"), base_url="http://127.0.0.1:9", max_retries=1, backoff=0.01
        ) as rest:
            await rest.market_status()

    with pytest.raises(ServerError, match="no answer after 2 tries"):
        asyncio.run(go())


def test_a_next_url_seen_before_stops_paging() -> None:
    served_pages: list[int] = []

    def page(request: web.Request) -> web.Response:
        served_pages.append(len(served_pages))
        bar = {"o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": 1000 + len(served_pages)}
        url = f"http://{request.host}/v2/aggs/ticker/X/range/1/day/1/2?cursor=same"
        return web.json_response({"status": "OK", "results": [bar], "next_url": url})

    got: list[int] = []

    async def read(rest: PolygonRest) -> None:
        async for bars in rest.aggregates("X", 1, "day", 1, 2):
            got.extend(b.t for b in bars)

    with pytest.raises(PageLoopError, match="was already read"):
        served([page], read)
    assert got == [1001, 1002]  # the first page and the cursor page, each once


async def drain(rest: PolygonRest, multiplier: int, timespan: str, limit: int) -> None:
    async for _ in rest.aggregates("X", multiplier, timespan, 1, 2, limit=limit):
        pass


@pytest.mark.parametrize(
    ("multiplier", "timespan", "limit", "why"),
    [(0, "day", 10, "multiplier 0"), (1, "fortnight", 10, "timespan 'fortnight'"),
     (1, "day", 50_001, "limit 50001")],
)  # fmt: skip
def test_arguments_polygon_would_refuse_are_refused_before_sending(
    multiplier: int, timespan: str, limit: int, why: str
) -> None:
    with pytest.raises(BadRequestError, match=why):
        served([ok(STATUS)], lambda r: drain(r, multiplier, timespan, limit))


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(Unauthorized, match="no Polygon API key"):
        PolygonRest(SecretStr(""))
