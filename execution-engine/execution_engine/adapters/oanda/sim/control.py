"""The `/__sim__/` control routes, outside OANDA's /v3 namespace, for an out-of-process
simulator: move a price, ask for faults, read the connection count."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from execution_engine.adapters.oanda.sim.errors import REJECT_MESSAGES
from execution_engine.adapters.oanda.sim.faults import Faults

PushQuote = Callable[[str, Decimal, Decimal], None]
PUSH: web.AppKey[PushQuote] = web.AppKey("push_quote")
FAULTS: web.AppKey[Faults] = web.AppKey("faults", Faults)
STATE: web.AppKey[Callable[[], dict[str, Any]]] = web.AppKey("state")
_COUNTERS = ("too_many_requests", "malformed_lines")
_SWITCHES = ("revoked", "drop_on_next_order", "duplicate_next_fill", "stalled")


def _bad(message: str) -> web.Response:
    return web.json_response({"errorMessage": message}, status=400)


async def _payload(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json(loads=json.loads)
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {}


async def quote(request: web.Request) -> web.Response:
    body = await _payload(request)
    try:
        bid, ask = Decimal(str(body["bid"])), Decimal(str(body["ask"]))
        instrument = str(body["instrument"])
    except (KeyError, InvalidOperation):
        return _bad("give instrument, bid and ask")
    try:
        request.app[PUSH](instrument, bid, ask)
    except ValueError as error:
        return _bad(str(error))
    return web.json_response({"instrument": instrument, "bid": str(bid), "ask": str(ask)})


async def faults(request: web.Request) -> web.Response:
    body = await _payload(request)
    switches = request.app[FAULTS]
    if body.get("clear"):
        switches.clear()
    reason = body.get("reject_next")
    if reason is not None:
        if reason not in REJECT_MESSAGES:
            return _bad(f"reject_next {reason!r} is not a reject reason the simulator knows")
        switches.reject_next_order(str(reason))
    for name in _COUNTERS:
        if name in body:
            if not isinstance(body[name], int) or body[name] < 0:
                return _bad(f"{name} must be a count")
            setattr(switches, name, body[name])
    for name in _SWITCHES:
        if name in body:
            setattr(switches, name, bool(body[name]))
    if body.get("drop_streams"):
        switches.drop_streams()
    return web.json_response({"applied": sorted(body)})


async def state(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE]())


def add_control_routes(app: web.Application) -> None:
    app.router.add_post("/__sim__/quote", quote)
    app.router.add_post("/__sim__/faults", faults)
    app.router.add_get("/__sim__/state", state)
