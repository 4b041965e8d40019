"""The aiohttp application: OANDA's v20 REST routes and both streams on one port, behind
bearer-token auth and a per-connection rate limit, plus the `/__sim__/` control routes.

Routes are thin: they read the path and query, call the broker under its lock and encode
its dicts. Errors are OANDA's shapes: `{"errorMessage": ...}` (and `errorCode` where OANDA
gives one) with 400, 401, 403, 404, 405 or 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from execution_engine.adapters.oanda.sim import candles, control, statements, views
from execution_engine.adapters.oanda.sim.broker import Broker
from execution_engine.adapters.oanda.sim.errors import RATE_LIMITED, UNAUTHORIZED, ApiError
from execution_engine.adapters.oanda.sim.streams import (
    StreamHub,
    Subscriber,
    open_stream,
    serve_fast,
    serve_queue,
)  # fmt: skip
from execution_engine.adapters.oanda.sim.wire import encode, now, unix_times

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BROKER: web.AppKey[Broker] = web.AppKey("broker", Broker)
HUB: web.AppKey[StreamHub] = web.AppKey("hub", StreamHub)
_request_ids = itertools.count(10_000_000_000_000_000)


def json_response(status: int, body: object) -> web.Response:
    return web.Response(
        status=status, body=encode(body), content_type="application/json",
        headers={"RequestID": str(next(_request_ids))},
    )  # fmt: skip


class _RateWindow:
    """Requests of one connection in the current second."""

    __slots__ = ("count", "second")

    def __init__(self) -> None:
        self.second = 0
        self.count = 0

    def admit(self, limit: int) -> bool:
        second = int(time.monotonic())
        if second != self.second:
            self.second, self.count = second, 0
        self.count += 1
        return self.count <= limit


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Auth, rate limit and faults before a route; OANDA's error bodies after."""
    broker = request.app[BROKER]
    if request.path.startswith("/__sim__/"):
        return await handler(request)
    faults = broker.faults
    if (
        faults.revoked
        or request.headers.get("Authorization")
        != f"Bearer {broker.config.token.get_secret_value()}"
    ):
        return json_response(401, {"errorMessage": UNAUTHORIZED})
    window = _window(request)
    if faults.take_too_many() or not window.admit(broker.config.rate_limit):
        response = json_response(429, {"errorMessage": RATE_LIMITED})
        response.headers["Retry-After"] = "1"
        return response
    try:
        account = request.match_info.get("account")
        if account is not None and account != broker.config.account_id:
            raise ApiError(403, "The provided request was forbidden.")
        return await handler(request)
    except ApiError as error:
        return json_response(error.status, error.body())
    except web.HTTPMethodNotAllowed:
        return json_response(
            405, {"errorMessage": f"The method {request.method} is not allowed for this path"}
        )
    except web.HTTPNotFound:
        return json_response(404, {"errorMessage": "The path requested does not exist"})


_windows: weakref.WeakKeyDictionary[object, _RateWindow] = weakref.WeakKeyDictionary()


def _window(request: web.Request) -> _RateWindow:
    """The rate window of the request's TCP connection (forgotten when it closes)."""
    key = request.transport
    window = _windows.get(key)
    if window is None:
        window = _windows[key] = _RateWindow()
    return window


def _dated(request: web.Request, body: Any) -> Any:
    """The body in the client's Accept-Datetime-Format (RFC3339 unless it asks for UNIX)."""
    if request.headers.get("Accept-Datetime-Format", "RFC3339").upper() == "UNIX":
        return unix_times(body)
    return body


def _locked(action: Callable[[Broker, web.Request], tuple[int, Any]]) -> Handler:
    async def route(request: web.Request) -> web.StreamResponse:
        broker = request.app[BROKER]
        with broker.lock:
            status, body = action(broker, request)
        return json_response(status, _dated(request, body))

    return route


async def _body(request: web.Request) -> object:
    if not request.can_read_body:
        return {}
    try:
        return await request.json(loads=json.loads)
    except ValueError:
        raise ApiError(400, "Invalid JSON in the request body") from None


def _body_route(
    action: Callable[[Broker, web.Request, object], tuple[int, Any]], drop_fault: bool = False
) -> Handler:
    async def route(request: web.Request) -> web.StreamResponse:
        broker = request.app[BROKER]
        payload = await _body(request)
        with broker.lock:
            status, body = action(broker, request, payload)
        body = _dated(request, body)
        if drop_fault and broker.faults.take_drop_on_order() and request.transport is not None:
            request.transport.abort()  # executed, never answered: the client must reconcile
        return json_response(status, body)

    return route


def _last(broker: Broker, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body["lastTransactionID"] = broker.log.last_id
    return 200, body


def _instrument_list(broker: Broker, raw: str | None, name: str = "instruments") -> list[str]:
    names = [part for part in (raw or "").split(",") if part]
    if not names or any(n not in broker.market.specs for n in names):
        raise ApiError(400, f"Invalid value specified for '{name}'")
    return names


def _int(raw: str | None, name: str, default: int, high: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        raise ApiError(400, f"Invalid value specified for '{name}'")
    return int(raw)


# -- accounts ------------------------------------------------------------------------------


def accounts(broker: Broker, request: web.Request) -> tuple[int, Any]:
    return 200, {"accounts": [{"id": broker.config.account_id, "tags": []}]}


def account(broker: Broker, request: web.Request) -> tuple[int, Any]:
    return _last(broker, {"account": statements.details(broker)})


def summary(broker: Broker, request: web.Request) -> tuple[int, Any]:
    return _last(broker, {"account": statements.summary(broker)})


def instruments(broker: Broker, request: web.Request) -> tuple[int, Any]:
    wanted = request.query.get("instruments")
    names = list(broker.market.specs) if wanted is None else _instrument_list(broker, wanted)
    return _last(
        broker, {"instruments": [views.instrument_json(broker.market.specs[n]) for n in names]}
    )


def changes(broker: Broker, request: web.Request) -> tuple[int, Any]:
    since = request.query.get("sinceTransactionID")
    if since is None or not since.isdigit() or int(since) > int(broker.log.last_id):
        raise ApiError(400, "Invalid value specified for 'sinceTransactionID'")
    return _last(broker, views.account_changes(broker, int(since)))


def configure(broker: Broker, request: web.Request, payload: object) -> tuple[int, Any]:
    raise ApiError(403, "The provided request was forbidden.")


# -- orders, trades, positions -----------------------------------------------------------------


def list_orders(broker: Broker, request: web.Request) -> tuple[int, Any]:
    state = request.query.get("state", "PENDING")
    instrument = request.query.get("instrument")
    count = _int(request.query.get("count"), "count", 50, 500)
    ids = {i for i in request.query.get("ids", "").split(",") if i}
    chosen = [
        o for o in reversed(list(broker.orders.values()))
        if (state == "ALL" or o.state == state) and (instrument is None or o.instrument == instrument)
        and (not ids or o.id in ids)
    ][:count]  # fmt: skip
    return _last(broker, {"orders": [o.to_json() for o in chosen]})


def pending_orders(broker: Broker, request: web.Request) -> tuple[int, Any]:
    return _last(broker, {"orders": [o.to_json() for o in reversed(broker.pending_orders())]})


def get_order(broker: Broker, request: web.Request) -> tuple[int, Any]:
    order = broker.find_order(request.match_info["spec"])
    if order is None:
        raise ApiError(404, "The Order specified does not exist", "ORDER_DOESNT_EXIST")
    return _last(broker, {"order": order.to_json()})


def list_trades(broker: Broker, request: web.Request) -> tuple[int, Any]:
    state = request.query.get("state", "OPEN")
    instrument = request.query.get("instrument")
    count = _int(request.query.get("count"), "count", 50, 500)
    chosen = [
        t for t in reversed(list(broker.book.trades.values()))
        if (state == "ALL" or (t.is_open == (state == "OPEN")))
        and (instrument is None or t.instrument == instrument)
    ][:count]  # fmt: skip
    return _last(broker, {"trades": [statements.trade_json(broker, t) for t in chosen]})


def open_trades(broker: Broker, request: web.Request) -> tuple[int, Any]:
    return _last(
        broker,
        {"trades": [statements.trade_json(broker, t) for t in reversed(broker.book.open_trades())]},
    )


def get_trade(broker: Broker, request: web.Request) -> tuple[int, Any]:
    trade = broker.book.find(request.match_info["spec"])
    if trade is None:
        raise ApiError(404, "The Trade specified does not exist", "TRADE_DOESNT_EXIST")
    return _last(broker, {"trade": statements.trade_json(broker, trade)})


def positions(broker: Broker, request: web.Request) -> tuple[int, Any]:
    return _last(broker, {"positions": statements.positions(broker, open_only=False)})


def open_positions(broker: Broker, request: web.Request) -> tuple[int, Any]:
    return _last(broker, {"positions": statements.positions(broker, open_only=True)})


def get_position(broker: Broker, request: web.Request) -> tuple[int, Any]:
    name = request.match_info["instrument"]
    if name not in broker.market.specs:
        raise ApiError(400, "Invalid value specified for 'instrument'")
    return _last(broker, {"position": statements.position_json(broker, name)})


# -- transactions and pricing -------------------------------------------------------------------


def transactions(broker: Broker, request: web.Request) -> tuple[int, Any]:
    return 200, views.transaction_pages(broker, request)


def transaction(broker: Broker, request: web.Request) -> tuple[int, Any]:
    found = broker.log.get(request.match_info["tid"])
    if found is None:
        raise ApiError(404, "The transaction ID specified does not exist", "NO_SUCH_TRANSACTION")
    return _last(broker, {"transaction": found})


def id_range(broker: Broker, request: web.Request) -> tuple[int, Any]:
    first = request.query.get("from", "")
    last = request.query.get("to", "")
    if not first.isdigit() or not last.isdigit() or int(first) > int(last):
        raise ApiError(400, "Invalid value specified for 'from' or 'to'")
    wanted = views.type_filter(request.query.get("type"))
    found = [
        t
        for t in broker.log.id_range(int(first), int(last))
        if wanted is None or t["type"] in wanted
    ]
    return _last(broker, {"transactions": found})


def since_id(broker: Broker, request: web.Request) -> tuple[int, Any]:
    since = request.query.get("id", "")
    if not since.isdigit():
        raise ApiError(400, "Invalid value specified for 'id'")
    wanted = views.type_filter(request.query.get("type"))
    found = [t for t in broker.log.since(int(since)) if wanted is None or t["type"] in wanted]
    return _last(broker, {"transactions": found})


def pricing(broker: Broker, request: web.Request) -> tuple[int, Any]:
    names = _instrument_list(broker, request.query.get("instruments"))
    return 200, {"prices": [broker.market.price(n) for n in names], "time": now()}


async def price_stream(request: web.Request) -> web.StreamResponse:
    broker, hub = request.app[BROKER], request.app[HUB]
    names = _instrument_list(broker, request.query.get("instruments"))
    snapshot = request.query.get("snapshot", "true") != "false"
    response = await open_stream(request)
    config = broker.config
    if config.stream_rate is not None:
        with contextlib.suppress(ConnectionError):  # the reader left: the benchmark is over
            await serve_fast(
                request,
                response,
                broker.market,
                names,
                broker.faults,
                config.heartbeat_interval,
                config.stream_rate,
            )
        return response
    subscriber = Subscriber(
        asyncio.Queue(maxsize=50_000), asyncio.get_running_loop(), frozenset(names)
    )
    hub.prices.add(subscriber)
    try:
        if snapshot:
            with broker.lock:
                first = b"".join(broker.market.line(n) for n in names)
            await response.write(first)
        await serve_queue(
            request,
            response,
            subscriber,
            broker.faults,
            config.heartbeat_interval,
            lambda: None,
            True,
        )
    except (ConnectionResetError, ConnectionError):
        pass
    finally:
        hub.prices.discard(subscriber)
    return response


async def transaction_stream(request: web.Request) -> web.StreamResponse:
    broker, hub = request.app[BROKER], request.app[HUB]
    response = await open_stream(request)
    subscriber = Subscriber(asyncio.Queue(maxsize=50_000), asyncio.get_running_loop())
    hub.transactions.add(subscriber)
    try:
        await serve_queue(
            request, response, subscriber, broker.faults, broker.config.heartbeat_interval,
            lambda: broker.log.last_id, False,
        )  # fmt: skip
    except (ConnectionResetError, ConnectionError):
        pass
    finally:
        hub.transactions.discard(subscriber)
    return response


def build_app(broker: Broker, hub: StreamHub) -> web.Application:
    app = web.Application(middlewares=[guard])
    app[BROKER] = broker
    app[HUB] = hub
    a = "/v3/accounts/{account}"
    get = [
        ("/v3/accounts", accounts), (a, account), (f"{a}/summary", summary),
        (f"{a}/instruments", instruments), (f"{a}/changes", changes),
        (f"{a}/orders", list_orders), (f"{a}/pendingOrders", pending_orders),
        (f"{a}/orders/{{spec}}", get_order), (f"{a}/trades", list_trades),
        (f"{a}/openTrades", open_trades), (f"{a}/trades/{{spec}}", get_trade),
        (f"{a}/positions", positions), (f"{a}/openPositions", open_positions),
        (f"{a}/positions/{{instrument}}", get_position), (f"{a}/transactions", transactions),
        (f"{a}/transactions/idrange", id_range), (f"{a}/transactions/sinceid", since_id),
        (f"{a}/transactions/{{tid}}", transaction), (f"{a}/pricing", pricing),
        ("/v3/instruments/{instrument}/candles", candles.instrument_candles),
        (f"{a}/instruments/{{instrument}}/candles", candles.instrument_candles),
    ]  # fmt: skip
    # the streams first: `/transactions/{tid}` would otherwise take `/transactions/stream`
    app.router.add_get(f"{a}/pricing/stream", price_stream, allow_head=False)
    app.router.add_get(f"{a}/transactions/stream", transaction_stream, allow_head=False)
    for path, action in get:
        app.router.add_get(path, _locked(action), allow_head=False)
    app.router.add_post(
        f"{a}/orders", _body_route(lambda b, r, p: b.create_order(p), drop_fault=True)
    )
    app.router.add_put(
        f"{a}/orders/{{spec}}",
        _body_route(lambda b, r, p: b.replace_order(r.match_info["spec"], p), drop_fault=True),
    )
    app.router.add_put(
        f"{a}/orders/{{spec}}/cancel",
        _body_route(lambda b, r, p: b.cancel_order(r.match_info["spec"])),
    )
    app.router.add_put(
        f"{a}/orders/{{spec}}/clientExtensions",
        _body_route(lambda b, r, p: b.modify_client_extensions(r.match_info["spec"], p)),
    )
    app.router.add_put(
        f"{a}/trades/{{spec}}/close",
        _body_route(lambda b, r, p: b.close_trade(r.match_info["spec"], p), drop_fault=True),
    )
    app.router.add_put(
        f"{a}/positions/{{instrument}}/close",
        _body_route(
            lambda b, r, p: b.close_position(r.match_info["instrument"], p), drop_fault=True
        ),
    )
    control.add_control_routes(app)
    return app
