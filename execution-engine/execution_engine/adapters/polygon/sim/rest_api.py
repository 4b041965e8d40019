"""The REST endpoints, answering with Polygon's bodies and status codes.

Auth: `apiKey` query parameter or `Authorization: Bearer KEY`; a wrong or missing key is a
401 with Polygon's error body. Aggregates page as Polygon does: `limit` caps at 50,000 and
`next_url` is the full URL of the next page, with a `cursor` that says where to resume.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

import msgspec
import numpy as np
from aiohttp import web

from execution_engine.adapters.polygon.sim.buckets import TIMESPANS, aggregate
from execution_engine.adapters.polygon.sim.series import REFERENCE_MARKET, Series
from execution_engine.adapters.polygon.sim.state import SimState, request_id

STATE: web.AppKey[SimState] = web.AppKey("polygon_state", SimState)
MAX_LIMIT, DEFAULT_LIMIT = 50_000, 5_000
DAY_MS = 86_400_000
NEW_YORK = ZoneInfo("America/New_York")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Cursor(msgspec.Struct, frozen=True):
    """Where the next aggregates page starts: its bounds (ms, inclusive) and the query."""

    start: int
    end: int
    limit: int
    sort: str
    adjusted: bool


class ApiError(Exception):
    """An answer other than 200, with Polygon's body."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def routes() -> list[web.RouteDef]:
    return [
        web.get("/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{start}/{end}", aggs),
        web.get("/v2/last/nbbo/{ticker}", last_quote),
        web.get("/v2/last/trade/{ticker}", last_trade),
        web.get("/v1/last_quote/currencies/{base}/{quote}", last_forex_quote),
        web.get("/v1/last/crypto/{base}/{quote}", last_crypto_trade),
        web.get("/v3/reference/tickers", tickers),
        web.get("/v1/marketstatus/now", market_status),
    ]


@web.middleware
async def polygon_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Auth, the 429 fault and ApiError -> Polygon's error bodies, for the REST paths only."""
    if (
        request.path.startswith("/__sim__")
        or request.headers.get("Upgrade", "").lower() == "websocket"
    ):
        return await handler(request)
    state = request.app[STATE]
    state.stats.requests += 1
    try:
        _authenticate(request, state)
        if state.faults.take_rate_limit():
            state.stats.rate_limited += 1
            raise ApiError(429, "ERROR", "You've exceeded the maximum requests per minute, "
                           "please wait or upgrade your subscription to continue.")  # fmt: skip
        return await handler(request)
    except ApiError as exc:
        body = {"status": exc.kind, "request_id": request_id()}
        body["error" if exc.kind == "ERROR" else "message"] = exc.message
        return _json(body, status=exc.status)


def _authenticate(request: web.Request, state: SimState) -> None:
    header = request.headers.get("Authorization", "")
    key = request.query.get("apiKey") or header.removeprefix("Bearer ").strip()
    if key != state.api_key:
        state.stats.unauthorized += 1
        raise ApiError(401, "ERROR", "Unknown API Key" if key else "API Key was not provided")


# ---- aggregates -------------------------------------------------------------------------


async def aggs(request: web.Request) -> web.Response:
    state = request.app[STATE]
    info = request.match_info
    multiplier, timespan = _multiplier(info["multiplier"]), info["timespan"]
    if timespan not in TIMESPANS:
        raise ApiError(400, "ERROR", f"Unknown timespan '{timespan}'")
    cursor = _cursor(request)
    body: dict[str, object] = {"ticker": info["ticker"], "adjusted": cursor.adjusted}
    series = state.series.get(info["ticker"])
    bars = aggregate(series, multiplier, timespan) if series is not None else None
    lo, hi, more = _page(bars, cursor) if bars is not None else (0, 0, False)
    state.stats.pages += 1
    if bars is None or hi == lo:
        body |= {
            "queryCount": 0,
            "resultsCount": 0,
            "status": "OK",
            "request_id": request_id(),
            "count": 0,
        }
        return _json(body)
    results = _results(bars, lo, hi, cursor.sort)
    body |= {"queryCount": hi - lo, "resultsCount": hi - lo, "status": "OK",
             "request_id": request_id(), "count": hi - lo, "results": results}  # fmt: skip
    following = _following(bars, cursor, lo, hi) if more else None
    if state.faults.take_page_loop():
        following = cursor  # next_url points back at this very page
    if following is not None:
        body["next_url"] = _next_url(request, following)
    return _json(body)


def _multiplier(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, "ERROR", f"Could not parse the multiplier '{text}'") from None
    if value < 1:
        raise ApiError(400, "ERROR", "The multiplier must be at least 1")
    return value


def _cursor(request: web.Request) -> Cursor:
    token = request.query.get("cursor")
    if token is not None:
        try:
            return msgspec.json.decode(base64.urlsafe_b64decode(token + "=="), type=Cursor)
        except (ValueError, msgspec.DecodeError):
            raise ApiError(400, "ERROR", "Invalid cursor") from None
    info = request.match_info
    start, end = _stamp(info["start"], False), _stamp(info["end"], True)
    sort = request.query.get("sort", "asc")
    if sort not in ("asc", "desc"):
        raise ApiError(400, "ERROR", f"Invalid sort '{sort}': use asc or desc")
    adjusted = request.query.get("adjusted", "true").lower() != "false"
    return Cursor(
        start, end, _limit(request.query.get("limit"), MAX_LIMIT, DEFAULT_LIMIT), sort, adjusted
    )


def _stamp(text: str, end_of_day: bool) -> int:
    """A date (a whole day: `to` runs to its end) or Unix milliseconds."""
    if text.isdigit():
        return int(text)
    try:
        day = dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    except ValueError:
        raise ApiError(400, "ERROR", f"Could not parse the time parameter: '{text}'. "
                       "Use YYYY-MM-DD or a Unix millisecond timestamp") from None  # fmt: skip
    ms = int(day.timestamp() * 1000)
    return ms + DAY_MS - 1 if end_of_day else ms


def _limit(text: str | None, cap: int, default: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, "ERROR", f"Could not parse the limit '{text}'") from None
    if value < 1:
        raise ApiError(400, "ERROR", "The limit must be at least 1")
    return min(value, cap)


def _page(bars: Series, cursor: Cursor) -> tuple[int, int, bool]:
    """Rows [lo, hi) of this page and whether more follow, in the cursor's sort order."""
    lo = int(np.searchsorted(bars.t, cursor.start, "left"))
    hi = int(np.searchsorted(bars.t, cursor.end, "right"))
    if hi - lo <= cursor.limit:
        return lo, hi, False
    if cursor.sort == "asc":
        return lo, lo + cursor.limit, True
    return hi - cursor.limit, hi, True


def _following(bars: Series, cursor: Cursor, lo: int, hi: int) -> Cursor:
    if cursor.sort == "asc":
        return msgspec.structs.replace(cursor, start=int(bars.t[hi]))
    return msgspec.structs.replace(cursor, end=int(bars.t[lo - 1]))


def _next_url(request: web.Request, cursor: Cursor) -> str:
    token = base64.urlsafe_b64encode(msgspec.json.encode(cursor)).decode().rstrip("=")
    info = request.match_info
    path = f"/v2/aggs/ticker/{info['ticker']}/range/{info['multiplier']}/{info['timespan']}"
    return f"{_origin(request)}{path}/{cursor.start}/{cursor.end}?cursor={token}"


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _results(bars: Series, lo: int, hi: int, sort: str) -> list[dict[str, object]]:
    step = -1 if sort == "desc" else 1
    rows = slice(lo, hi) if step == 1 else slice(hi - 1, lo - 1 if lo else None, -1)
    d = bars.digits
    o, h, low, c = (np.round(a[rows], d).tolist() for a in (bars.o, bars.h, bars.low, bars.c))
    vw = np.round((bars.h[rows] + bars.low[rows] + bars.c[rows]) / 3, d + 1).tolist()
    v, t = bars.v[rows].tolist(), bars.t[rows].tolist()
    n = np.maximum(1, bars.v[rows]).astype(np.int64).tolist()
    return [
        {"v": vv, "vw": ww, "o": oo, "c": cc, "h": hh, "l": ll, "t": tt, "n": nn}
        for vv, ww, oo, cc, hh, ll, tt, nn in zip(v, vw, o, c, h, low, t, n, strict=True)
    ]


# ---- last quote / trade -----------------------------------------------------------------


def _latest(state: SimState, ticker: str) -> tuple[Series, int, float, float, float]:
    """The last bar of a ticker: (series, its close time in ms, bid, ask, close)."""
    series = state.series.get(ticker)
    if series is None:
        raise ApiError(404, "NOT_FOUND", "Data not found.")
    spread = float(series.spread[-1]) if series.spread is not None else 10.0 ** (1 - series.digits)
    close = float(series.c[-1])
    half = spread / 2
    ends = int(series.t[-1]) + series.resolution_ms
    return (
        series,
        ends,
        round(close - half, series.digits + 1),
        round(close + half, series.digits + 1),
        close,
    )


async def last_quote(request: web.Request) -> web.Response:
    series, ms, bid, ask, _ = _latest(request.app[STATE], request.match_info["ticker"])
    ns = ms * 1_000_000
    results = {"T": series.ticker, "P": ask, "S": 1, "X": 19, "p": bid, "s": 1, "x": 11,
               "t": ns, "y": ns, "q": len(series), "z": 3}  # fmt: skip
    return _json({"request_id": request_id(), "results": results, "status": "OK"})


async def last_trade(request: web.Request) -> web.Response:
    series, ms, _, _, close = _latest(request.app[STATE], request.match_info["ticker"])
    ns = ms * 1_000_000
    results = {"T": series.ticker, "c": [37], "i": str(len(series)), "p": close, "q": len(series),
               "s": max(1, int(series.v[-1])), "t": ns, "x": 4, "y": ns, "z": 3}  # fmt: skip
    return _json({"request_id": request_id(), "results": results, "status": "OK"})


async def last_forex_quote(request: web.Request) -> web.Response:
    base, quote = request.match_info["base"].upper(), request.match_info["quote"].upper()
    _, ms, bid, ask, _ = _latest(request.app[STATE], f"C:{base}{quote}")
    last = {"ask": ask, "bid": bid, "exchange": 48, "timestamp": ms}
    body = {
        "last": last,
        "request_id": request_id(),
        "status": "success",
        "symbol": f"{base}/{quote}",
    }
    return _json(body)


async def last_crypto_trade(request: web.Request) -> web.Response:
    base, quote = request.match_info["base"].upper(), request.match_info["quote"].upper()
    series, ms, _, _, close = _latest(request.app[STATE], f"X:{base}{quote}")
    last = {
        "conditions": [1],
        "exchange": 1,
        "price": close,
        "size": float(series.v[-1]),
        "timestamp": ms,
    }
    body = {
        "last": last,
        "request_id": request_id(),
        "status": "success",
        "symbol": f"{base}-{quote}",
    }
    return _json(body)


# ---- reference --------------------------------------------------------------------------


async def tickers(request: web.Request) -> web.Response:
    state, query = request.app[STATE], request.query
    offset = _offset(query.get("cursor"))
    rows = [_ticker_row(s) for _, s in sorted(state.series.items())]
    if query.get("market"):
        rows = [r for r in rows if r["market"] == query["market"]]
    if query.get("ticker"):
        rows = [r for r in rows if r["ticker"] == query["ticker"]]
    if query.get("active", "true").lower() == "false":
        rows = []  # every simulated ticker is active
    limit = _limit(query.get("limit"), 1_000, 100)
    page = rows[offset : offset + limit]
    body: dict[str, object] = {
        "results": page,
        "status": "OK",
        "request_id": request_id(),
        "count": len(page),
    }
    if offset + limit < len(rows):
        params = "&".join(f"{k}={v}" for k, v in query.items() if k not in ("cursor", "apiKey"))
        token = base64.urlsafe_b64encode(str(offset + limit).encode()).decode().rstrip("=")
        body["next_url"] = (
            f"{_origin(request)}/v3/reference/tickers?cursor={token}&{params}".rstrip("&")
        )
    return _json(body)


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token + "==").decode())
    except ValueError:
        raise ApiError(400, "ERROR", "Invalid cursor") from None


def _ticker_row(series: Series) -> dict[str, object]:
    market = REFERENCE_MARKET[series.market]
    row: dict[str, object] = {"ticker": series.ticker, "market": market, "active": True,
                              "last_updated_utc": "2026-01-01T00:00:00Z"}  # fmt: skip
    if series.market == "stocks":
        return row | {"name": series.ticker, "locale": "us", "type": "CS",
                      "primary_exchange": "XNAS", "currency_name": "usd"}  # fmt: skip
    base, quote = series.currencies
    return row | {"name": f"{base} - {quote}", "locale": "global", "currency_symbol": quote,
                  "currency_name": quote, "base_currency_symbol": base, "base_currency_name": base}  # fmt: skip


async def market_status(request: web.Request) -> web.Response:
    now = dt.datetime.now(NEW_YORK)
    stocks = _stock_session(now)
    fx_open = not (now.weekday() == 5 or (now.weekday() == 4 and now.hour >= 17)
                   or (now.weekday() == 6 and now.hour < 17))  # fmt: skip
    body = {
        "afterHours": stocks == "extended-hours" and now.hour >= 16,
        "earlyHours": stocks == "extended-hours" and now.hour < 12,
        "currencies": {"crypto": "open", "fx": "open" if fx_open else "closed"},
        "exchanges": {
            "nasdaq": stocks,
            "nyse": stocks,
            "otc": "open" if stocks == "open" else "closed",
        },
        "market": stocks,
        "serverTime": now.isoformat(timespec="seconds"),
    }
    return _json(body)


def _stock_session(now: dt.datetime) -> str:
    """US equities by New York time: 9:30-16:00 open, 4:00-20:00 extended (no holidays)."""
    if now.weekday() >= 5:
        return "closed"
    minutes = now.hour * 60 + now.minute
    if 9 * 60 + 30 <= minutes < 16 * 60:
        return "open"
    return "extended-hours" if 4 * 60 <= minutes < 20 * 60 else "closed"


def _json(body: object, status: int = 200) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(body), status=status, content_type="application/json"
    )
