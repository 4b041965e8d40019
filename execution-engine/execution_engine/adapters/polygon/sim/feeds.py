"""The WebSocket clusters /stocks, /forex and /crypto: greeting, auth, subscriptions, replay.

Each connection replays its market's bars as events, one frame per step at the configured
rate, starting where the market's last connection stopped: a client that reconnects and
resubscribes sees the sequence go on without a gap. A step only advances once its frame is
sent, and faults act between frames, so a disconnect loses nothing the simulator counted
as sent. A disconnect is a dropped TCP connection, not a WebSocket close.
"""

from __future__ import annotations

import asyncio

import msgspec
from aiohttp import WSMsgType, web

from execution_engine.adapters.polygon.models import CHANNELS
from execution_engine.adapters.polygon.sim.events import BUILDERS, Bar, Event
from execution_engine.adapters.polygon.sim.rest_api import STATE
from execution_engine.adapters.polygon.sim.state import SimState

MALFORMED_FRAME = '[{"ev":"C","p":"EUR/USD","a":'  # cut off mid-object: not JSON
_ENCODER = msgspec.json.Encoder()


def _text(body: object) -> str:
    """A text frame, as Polygon sends them."""
    return _ENCODER.encode(body).decode()


class Action(msgspec.Struct):
    action: str
    params: str = ""


def routes() -> list[web.RouteDef]:
    return [web.get("/{market:stocks|forex|crypto}", feed)]


async def feed(request: web.Request) -> web.WebSocketResponse:
    state = request.app[STATE]
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    state.stats.ws_connections += 1
    connection = Connection(ws, request.match_info["market"], state, request.transport)
    await connection.status("connected", "Connected Successfully")
    if await connection.authenticate():
        await connection.serve()
    return ws


class Connection:
    """One client of one market's cluster."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        market: str,
        state: SimState,
        transport: asyncio.BaseTransport | None,
    ) -> None:
        self.ws, self.market, self.state, self.transport = ws, market, state, transport
        self.subscriptions: set[tuple[str, str]] = set()  # (channel, symbol or "*")
        self.step = 0

    async def status(self, status: str, message: str) -> None:
        await self.ws.send_str(_text([{"ev": "status", "status": status, "message": message}]))

    async def authenticate(self) -> bool:
        async for message in self.ws:
            action = _action(message)
            if action is None or action.action != "auth":
                await self.status("error", "you must authenticate first (action auth)")
                continue
            if action.params != self.state.api_key or self.state.faults.take_auth_failure():
                self.state.stats.auth_failures += 1
                await self.status("auth_failed", "authentication failed")
                await self.ws.close()
                return False
            await self.status("auth_success", "authenticated")
            return True
        return False

    async def serve(self) -> None:
        with self.state.lock:
            self.step = self.state.resume.get(self.market, 0)
        replay = asyncio.create_task(self._replay())
        try:
            async for message in self.ws:
                action = _action(message)
                if action is None:
                    await self.status("error", "could not parse the message")
                elif action.action in ("subscribe", "unsubscribe"):
                    await self._change(action)
                else:
                    await self.status("error", f"unknown action {action.action!r}")
        finally:
            replay.cancel()
            with self.state.lock:
                self.state.resume[self.market] = max(
                    self.state.resume.get(self.market, 0), self.step
                )

    async def _change(self, action: Action) -> None:
        acks: list[Event] = []
        for param in filter(None, (p.strip() for p in action.params.split(","))):
            channel, _, symbol = param.partition(".")
            if channel not in CHANNELS[self.market] or not symbol:
                acks.append(
                    {"ev": "status", "status": "error", "message": f"unknown channel {param}"}
                )
                continue
            if action.action == "subscribe":
                self.subscriptions.add((channel, symbol))
            else:
                self.subscriptions.discard((channel, symbol))
            acks.append(
                {"ev": "status", "status": "success", "message": f"{action.action}d to: {param}"}
            )
        if acks:
            await self.ws.send_str(_text(acks))

    async def _replay(self) -> None:
        faults, stats = self.state.faults, self.state.stats
        generation = faults.disconnects
        interval = 1.0 / self.state.rate
        try:
            while not self.ws.closed:
                if faults.disconnects != generation:
                    stats.disconnects += 1
                    self._drop()
                    return
                if (pause := faults.pause_left()) > 0:
                    await asyncio.sleep(min(pause, 0.05))
                    continue
                if faults.take_malformed():
                    await self.ws.send_str(MALFORMED_FRAME)
                    stats.malformed_sent += 1
                await self._send_step()
                await asyncio.sleep(interval)
        except ConnectionResetError:
            return  # the client went away mid-frame: nothing more to send it

    def _drop(self) -> None:
        """End the TCP connection without a close frame, as a network drop does (clients see
        1006 and reconnect); close() rather than abort() so frames already sent arrive."""
        if self.transport is not None:
            self.transport.close()

    async def _send_step(self) -> None:
        events = self._events(self.step)
        if not events:
            return  # nothing subscribed matches: the market waits for this client
        await self.ws.send_str(_text(events))
        self.step += 1
        with self.state.lock:  # before any close, so a reconnect resumes after this frame
            self.state.resume[self.market] = max(self.state.resume.get(self.market, 0), self.step)
        self.state.stats.frames_sent += 1
        self.state.stats.events_sent += len(events)

    def _events(self, step: int) -> list[Event]:
        builders = BUILDERS[self.market]
        events: list[Event] = []
        for series in self.state.in_market(self.market):
            bar = Bar(series, step)
            for channel, build in builders.items():
                if (channel, series.symbol) in self.subscriptions or (
                    channel,
                    "*",
                ) in self.subscriptions:
                    events.append(build(bar))
        return events


def _action(message: object) -> Action | None:
    data = getattr(message, "data", None)
    if getattr(message, "type", None) not in (WSMsgType.TEXT, WSMsgType.BINARY) or data is None:
        return None
    try:
        return msgspec.json.decode(data, type=Action)
    except msgspec.DecodeError:
        return None
