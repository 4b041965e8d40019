"""PolygonStream: one of Polygon.io's WebSocket clusters (stocks, forex or crypto).

The protocol: the server greets with a `connected` status, the client sends
`{"action":"auth","params":KEY}` and waits for `auth_success` (or `auth_failed`), then
subscribes with `{"action":"subscribe","params":"C.EUR/USD,CA.EUR/USD"}`. Every frame is a
JSON array of events. A dropped connection is reopened with backoff, authenticated again and
resubscribed to everything subscribed so far; a refused key is never retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import msgspec
from pydantic import SecretStr

from execution_engine.adapters.polygon.errors import (
    AuthFailedError,
    PolygonError,
    StreamClosedError,
)
from execution_engine.adapters.polygon.models import MARKETS, Event, StatusEvent

StatusCallback = Callable[[StatusEvent], None]
_FRAME = msgspec.json.Decoder(list[Event])
_RAW_FRAME = msgspec.json.Decoder(list[msgspec.Raw])
_EVENT = msgspec.json.Decoder(Event)
_ENCODER = msgspec.json.Encoder()


class StreamStats(msgspec.Struct):
    """What the stream has seen, for logs and tests."""

    frames: int = 0
    events: int = 0
    malformed_frames: int = 0  # frames that were not a JSON array: skipped whole
    malformed_events: int = 0  # elements of a good frame that were not a known event
    connects: int = 0
    reconnects: int = 0


class PolygonStream:
    """An async WebSocket client of one Polygon market; iterate it for lists of events.

    Status events never reach the iterator: they go to on_status. max_reconnects bounds the
    attempts to reopen after one drop (None: forever); a reconnect that succeeds resets it.
    """

    def __init__(
        self,
        api_key: SecretStr,
        market: str,
        *,
        url: str = "wss://socket.polygon.io",
        heartbeat: float = 30.0,
        max_reconnects: int | None = None,
        on_status: StatusCallback | None = None,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        timeout: float = 10.0,
    ) -> None:
        if market not in MARKETS:
            raise PolygonError(0, f"market {market!r} is not one of {', '.join(MARKETS)}")
        self.market = market
        self.url = f"{url.rstrip('/')}/{market}"
        self.stats = StreamStats()
        self._key = api_key
        self._heartbeat = heartbeat
        self._max_reconnects = max_reconnects
        self._on_status = on_status
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._timeout = timeout
        self._subscriptions: dict[str, None] = {}  # ordered set: resubscribed in this order
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def subscriptions(self) -> tuple[str, ...]:
        return tuple(self._subscriptions)

    async def connect(self) -> None:
        """Open, read the greeting, authenticate; raises AuthFailedError for a refused key."""
        if self._closed:
            raise StreamClosedError(f"{self.url}: the stream was closed")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        await self._open()

    async def subscribe(self, *params: str) -> None:
        """Subscribe to channels, e.g. "C.EUR/USD", "T.AAPL", "XQ.BTC-USD", "AM.*"."""
        await self._change("subscribe", params)

    async def unsubscribe(self, *params: str) -> None:
        await self._change("unsubscribe", params)

    def __aiter__(self) -> AsyncIterator[list[Event]]:
        return self._frames()

    async def close(self) -> None:
        self._closed = True
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        self._ws = self._session = None

    # ---- internals ----------------------------------------------------------------------

    async def _change(self, action: str, params: tuple[str, ...]) -> None:
        for param in params:
            if not param or "," in param or "." not in param:
                raise PolygonError(0, f"{action} {param!r}: give CHANNEL.SYMBOL, e.g. C.EUR/USD")
        async with self._lock:
            for param in params:
                if action == "subscribe":
                    self._subscriptions[param] = None
                else:
                    self._subscriptions.pop(param, None)
            # While reconnecting there is no socket: _open resubscribes everything.
            if self._ws is not None and not self._ws.closed and params:
                await self._send(self._ws, action, ",".join(params))

    async def _open(self) -> None:
        assert self._session is not None  # connect() made it
        try:
            ws = await self._session.ws_connect(
                self.url,
                heartbeat=self._heartbeat,
                timeout=aiohttp.ClientWSTimeout(ws_close=self._timeout),
            )
        except (aiohttp.ClientError, OSError) as exc:
            raise StreamClosedError(f"{self.url}: cannot connect: {exc}") from None
        try:
            await self._handshake(ws)
        except BaseException:
            await ws.close()
            if self._closed:  # a refused key ends the stream: nothing will reopen it
                await self.close()
            raise
        async with self._lock:
            self._ws = ws
            self.stats.connects += 1
            if self._subscriptions:
                await self._send(ws, "subscribe", ",".join(self._subscriptions))

    async def _handshake(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await self._await_status(ws, ("connected",))
        await self._send(ws, "auth", self._key.get_secret_value())
        status = await self._await_status(ws, ("auth_success", "auth_failed"))
        if status.status == "auth_failed":
            self._closed = True
            raise AuthFailedError(f"{self.url}: authentication failed: {status.message}")

    async def _await_status(
        self, ws: aiohttp.ClientWebSocketResponse, wanted: tuple[str, ...]
    ) -> StatusEvent:
        """Read frames until a status in `wanted`; other statuses go to on_status."""
        while True:
            try:
                message = await ws.receive(timeout=self._timeout)
            except TimeoutError:
                raise StreamClosedError(
                    f"{self.url}: no {wanted[0]} status in {self._timeout:g} s"
                ) from None
            if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                raise StreamClosedError(
                    f"{self.url}: closed before {wanted[0]} ({message.type.name})"
                )
            for event in self._decode(message.data):
                if isinstance(event, StatusEvent):
                    self._status(event)
                    if event.status in wanted:
                        return event

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, action: str, params: str) -> None:
        await ws.send_str(_ENCODER.encode({"action": action, "params": params}).decode())

    async def _frames(self) -> AsyncIterator[list[Event]]:
        while not self._closed:
            ws = self._ws
            if ws is None or ws.closed:
                await self._reconnect()
                continue
            message = await ws.receive()
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                events = self._market_events(message.data)
                if events:
                    yield events
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING,
                                  aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):  # fmt: skip
                async with self._lock:
                    self._ws = None
                await ws.close()

    def _market_events(self, data: str | bytes) -> list[Event]:
        """The frame's events other than statuses (those go to on_status)."""
        events = self._decode(data)
        self.stats.frames += 1
        market: list[Event] = []
        for event in events:
            if isinstance(event, StatusEvent):
                self._status(event)
            else:
                market.append(event)
        self.stats.events += len(market)
        return market

    def _decode(self, data: str | bytes) -> list[Event]:
        try:
            return _FRAME.decode(data)
        except msgspec.DecodeError:
            pass  # salvage what can be read, element by element
        try:
            raws = _RAW_FRAME.decode(data)
        except msgspec.DecodeError:
            self.stats.malformed_frames += 1
            return []
        events: list[Event] = []
        for raw in raws:
            try:
                events.append(_EVENT.decode(raw))
            except msgspec.DecodeError:
                self.stats.malformed_events += 1
        return events

    def _status(self, event: StatusEvent) -> None:
        if self._on_status is not None:
            self._on_status(event)

    async def _reconnect(self) -> None:
        attempt = 0
        while not self._closed:
            if self._max_reconnects is not None and attempt >= self._max_reconnects:
                self._closed = True
                raise StreamClosedError(f"{self.url}: gave up after {attempt} reconnect(s)")
            await asyncio.sleep(min(self._backoff * 2**attempt, self._max_backoff))
            attempt += 1
            try:
                await self._open()
            except StreamClosedError:
                continue  # the server is not back yet
            self.stats.reconnects += 1
            return
