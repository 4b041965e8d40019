"""PolygonRest: Polygon.io's REST API (aggregates, last quote/trade, tickers, market status).

Async on httpx. The key goes in an `Authorization: Bearer` header on every request, so a
`next_url` (which Polygon sends without the key) is followed as is. 429 and 5xx are retried
with exponential backoff (Retry-After honoured); 401/403/404/400 are not. Paging stops with
PageLoopError when a next_url was seen before or a page goes back in time, so no bar is
yielded twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

import httpx
import msgspec
from pydantic import SecretStr

from execution_engine.adapters.polygon.errors import (
    BadRequestError,
    MalformedResponseError,
    NotFoundError,
    PageLoopError,
    PolygonError,
    RateLimited,
    ServerError,
    Unauthorized,
)
from execution_engine.adapters.polygon.models import (
    Agg,
    AggsResponse,
    ErrorBody,
    LastCryptoTrade,
    LastCryptoTradeResponse,
    LastForexQuote,
    LastForexQuoteResponse,
    LastQuote,
    LastQuoteResponse,
    LastTrade,
    LastTradeResponse,
    MarketStatus,
    TickerInfo,
    TickersResponse,
)
from execution_engine.adapters.retry_after import retry_after_seconds

T = TypeVar("T")
MAX_LIMIT = 50_000
TIMESPANS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")
_RETRIED = frozenset({429, 500, 502, 503, 504})
_ERROR_DECODER = msgspec.json.Decoder(ErrorBody)
_KINDS: dict[int, type[PolygonError]] = {
    400: BadRequestError,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFoundError,
}


class PolygonRest:
    """An async client of Polygon's REST API; use as `async with PolygonRest(key) as rest`."""

    def __init__(
        self,
        api_key: SecretStr,
        *,
        base_url: str = "https://api.polygon.io",
        max_connections: int = 10,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        if not api_key.get_secret_value():
            raise Unauthorized(0, "no Polygon API key given")
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.retries = 0  # requests retried after a 429/5xx, for callers' stats
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key.get_secret_value()}"},
            limits=httpx.Limits(max_connections=max_connections),
            timeout=timeout,
        )

    async def __aenter__(self) -> PolygonRest:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- aggregates ---------------------------------------------------------------------

    async def aggregates(
        self,
        ticker: str,
        multiplier: int,
        timespan: str,
        start: str | int,
        end: str | int,
        *,
        adjusted: bool = True,
        sort: str = "asc",
        limit: int = MAX_LIMIT,
    ) -> AsyncIterator[list[Agg]]:
        """One list of bars per page, in `sort` order; nothing at all for an empty range."""
        _check_aggs_args(multiplier, timespan, sort, limit)
        path = f"/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{start}/{end}"
        params: dict[str, str] | None = {
            "adjusted": str(adjusted).lower(),
            "sort": sort,
            "limit": str(limit),
        }
        url, seen, last_t = path, {path}, None
        while True:
            page = await self._get(url, params, AggsResponse)
            if page.results:
                _require_progress(page.results, last_t, sort, url)
                last_t = page.results[-1].t
                yield page.results
            if not page.next_url:
                return
            url, params = _next(page.next_url, seen)

    # ---- last quote / trade -------------------------------------------------------------

    async def last_quote(self, ticker: str) -> LastQuote:
        """The stock's latest NBBO."""
        return (await self._get(f"/v2/last/nbbo/{ticker}", None, LastQuoteResponse)).results

    async def last_trade(self, ticker: str) -> LastTrade:
        """The stock's latest trade."""
        return (await self._get(f"/v2/last/trade/{ticker}", None, LastTradeResponse)).results

    async def last_forex_quote(self, pair_from: str, pair_to: str) -> LastForexQuote:
        """The latest quote of pair_from/pair_to, e.g. ("EUR", "USD")."""
        path = f"/v1/last_quote/currencies/{pair_from}/{pair_to}"
        return (await self._get(path, None, LastForexQuoteResponse)).last

    async def last_crypto_trade(self, base: str, quote: str) -> LastCryptoTrade:
        """The latest trade of base-quote, e.g. ("BTC", "USD")."""
        path = f"/v1/last/crypto/{base}/{quote}"
        return (await self._get(path, None, LastCryptoTradeResponse)).last

    # ---- reference ----------------------------------------------------------------------

    async def tickers(
        self,
        *,
        market: str | None = None,
        ticker: str | None = None,
        active: bool = True,
        limit: int = 100,
    ) -> AsyncIterator[TickerInfo]:
        """Every ticker matching the filters, following next_url (market: stocks, fx, crypto...)."""
        first = {"active": str(active).lower(), "limit": str(limit)}
        if market is not None:
            first["market"] = market
        if ticker is not None:
            first["ticker"] = ticker
        url: str = "/v3/reference/tickers"
        params: dict[str, str] | None = first
        seen = {url}
        while True:
            page = await self._get(url, params, TickersResponse)
            for info in page.results:
                yield info
            if not page.next_url:
                return
            url, params = _next(page.next_url, seen)

    async def market_status(self) -> MarketStatus:
        """Whether the markets are open now."""
        return await self._get("/v1/marketstatus/now", None, MarketStatus)

    # ---- transport ----------------------------------------------------------------------

    async def _get(self, url: str, params: dict[str, str] | None, kind: type[T]) -> T:
        body = await self._get_body(url, params)
        try:
            return msgspec.json.decode(body, type=kind)
        except msgspec.DecodeError as exc:
            raise MalformedResponseError(200, f"GET {_path(url)}: {exc}") from None

    async def _get_body(self, url: str, params: dict[str, str] | None) -> bytes:
        attempt = 0
        while True:
            response = await self._send(url, params, attempt)
            if response is not None and response.status_code == 200:
                return response.content
            if response is not None and response.status_code not in _RETRIED:
                raise _error(response, url)
            if attempt >= self.max_retries:
                if response is None:
                    raise ServerError(0, f"GET {_path(url)}: no answer after {attempt + 1} tries")
                raise _error(response, url, tries=attempt + 1)
            await asyncio.sleep(self._delay(response, attempt))
            attempt += 1
            self.retries += 1

    async def _send(
        self, url: str, params: dict[str, str] | None, attempt: int
    ) -> httpx.Response | None:
        """The answer, or None when the connection failed (retried like a 5xx)."""
        try:
            return await self._http.get(url, params=params)
        except httpx.TransportError:
            return None

    def _delay(self, response: httpx.Response | None, attempt: int) -> float:
        retry_after = None if response is None else retry_after_seconds(response)
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        return float(min(self.backoff * 2**attempt, self.max_backoff))


def _check_aggs_args(multiplier: int, timespan: str, sort: str, limit: int) -> None:
    if multiplier < 1:
        raise BadRequestError(0, f"aggregates: multiplier {multiplier} must be at least 1")
    if timespan not in TIMESPANS:
        raise BadRequestError(
            0, f"aggregates: timespan {timespan!r} is not one of {', '.join(TIMESPANS)}"
        )
    if sort not in ("asc", "desc"):
        raise BadRequestError(0, f"aggregates: sort {sort!r} must be asc or desc")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequestError(0, f"aggregates: limit {limit} must be between 1 and {MAX_LIMIT}")


def _next(next_url: str, seen: set[str]) -> tuple[str, None]:
    """The next page's URL (parameters are in it), refusing one already read."""
    if next_url in seen:
        raise PageLoopError(f"pagination loops: next_url {_path(next_url)} was already read")
    seen.add(next_url)
    return next_url, None


def _require_progress(results: list[Agg], last_t: int | None, sort: str, url: str) -> None:
    """A page must start after the last bar yielded, else it repeats bars: a page loop."""
    if last_t is None:
        return
    first = results[0].t
    if (sort == "asc" and first <= last_t) or (sort == "desc" and first >= last_t):
        raise PageLoopError(
            f"pagination loops: page {_path(url)} starts at {first}, not after {last_t}"
        )


def _error(response: httpx.Response, url: str, *, tries: int = 1) -> PolygonError:
    status = response.status_code
    why = _reason(response.content) or response.reason_phrase or "no reason given"
    where = f"GET {_path(url)}"
    if status == 429:
        return RateLimited(status, f"{where}: rate limited after {tries} tries: {why}")
    if status >= 500:
        return ServerError(status, f"{where}: HTTP {status} after {tries} tries: {why}")
    return _KINDS.get(status, PolygonError)(status, f"{where}: HTTP {status}: {why}")


def _reason(body: bytes) -> str:
    try:
        error = _ERROR_DECODER.decode(body)
    except msgspec.DecodeError:
        return body[:200].decode("utf-8", "replace")
    return error.error or error.message or error.status


def _path(url: str) -> str:
    """The URL without its query: a next_url may carry the key in apiKey."""
    return httpx.URL(url).path
