"""One bridge shared by a node's MetaTrader data and execution clients.

A terminal's EA dials one bridge and the bridge serves one terminal at a time, so the two
clients cannot each run their own. The hub starts the `BridgeServer` in the node's loop for
the first client that connects, waits (`connect_timeout_seconds`) for the terminal to dial in,
and routes its events: `ticks` and `bar` to the data client, `transaction`, `account`,
`terminal` and `stop_out` to the execution client (held, in order, until it has joined). Both
hear the connection go down and come back: the data client subscribes again, the execution
client resolves its in-doubt orders. The last client out stops the bridge.

The hub holds the secret resolver (the terminal's token), so it is bound into the factories
(factories.py), never put in a config; one provider serves both clients (one `symbols` load).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from nautilus_trader.model.identifiers import Venue

from execution_engine.adapters.mt5.bridge import BridgeServer, BridgeTimeoutError
from execution_engine.adapters.mt5.codes import Event
from execution_engine.adapters.mt5.config import Mt5VenueConfig, SecretResolver
from execution_engine.adapters.mt5.providers import Mt5InstrumentProvider

EventListener = Callable[[str, dict[str, Any]], None]
ConnectionListener = Callable[[bool], None]
DATA, EXECUTION = "data", "execution"
_DATA_EVENTS = frozenset({Event.TICKS.value, Event.BAR.value})


class Mt5ConnectError(ConnectionError):
    """The bridge could not start, or no terminal dialed in; one line saying which."""


class Mt5BridgeHub:
    def __init__(self, resolve: SecretResolver) -> None:
        self._resolve = resolve
        self._bridge: BridgeServer | None = None
        self._venue: Mt5VenueConfig | None = None
        self._events: dict[str, EventListener] = {}
        self._connections: dict[str, ConnectionListener] = {}
        # Execution events before the execution client joined, in order; None once it has.
        self._held: list[tuple[str, dict[str, Any]]] | None = []
        self._provider: Mt5InstrumentProvider | None = None
        self._failed: Mt5ConnectError | None = None  # a start that failed: not tried twice
        self._lock = asyncio.Lock()

    @property
    def bridge(self) -> BridgeServer:
        if self._bridge is None:
            raise Mt5ConnectError("the MetaTrader bridge is not started")
        return self._bridge

    @property
    def started(self) -> bool:
        return self._bridge is not None

    @property
    def connected(self) -> bool:
        return self._bridge is not None and self._bridge.connected

    async def join(
        self,
        venue: Mt5VenueConfig,
        role: str,
        on_event: EventListener,
        on_connection: ConnectionListener,
    ) -> BridgeServer:
        """Register `role`'s listeners and return the bridge with a terminal connected
        (started and waited for on first use). Mt5ConnectError when none dials in."""
        async with self._lock:
            if self._failed is not None:  # the other client's attempt: one wait per node
                raise self._failed
            if self._bridge is None:
                try:
                    self._bridge = await self._start(venue)
                except Mt5ConnectError as exc:
                    self._failed = exc
                    raise
                self._venue = venue
            self._events[role] = on_event
            self._connections[role] = on_connection
            if role == EXECUTION and self._held is not None:
                held, self._held = self._held, None
                for event, data in held:
                    on_event(event, data)
            return self._bridge

    async def leave(self, role: str) -> None:
        """Unregister `role`; the last one out stops the bridge."""
        async with self._lock:
            self._events.pop(role, None)
            self._connections.pop(role, None)
            if self._events or self._bridge is None:
                return
            bridge, self._bridge = self._bridge, None
            await bridge.stop()

    async def request(
        self, op: str, args: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        """`op` on the connected terminal (BridgeServer.request's errors pass through)."""
        wait = timeout if timeout is not None else self._request_timeout()
        return await self.bridge.request(op, args, wait)

    def provider(self, names: Sequence[str], venue: Venue) -> Mt5InstrumentProvider:
        """The node's one provider of the terminal's symbols `names`, on `venue`."""
        if self._provider is None:
            self._provider = Mt5InstrumentProvider(self.request, names, venue)
        return self._provider

    async def _start(self, venue: Mt5VenueConfig) -> BridgeServer:
        token = self._resolve(venue.token_secret)
        try:
            bridge = BridgeServer(venue.bridge_config(), token, self._on_event, self._on_connection)
            await bridge.start()
        except (OSError, ValueError) as exc:
            raise Mt5ConnectError(f"the MetaTrader bridge cannot start: {exc}") from None
        try:
            await bridge.wait_connected(venue.connect_timeout_seconds)
        except BridgeTimeoutError:
            where = f"{venue.bridge.host}:{bridge.port}"  # the port is gone once stopped
            await bridge.stop()
            raise Mt5ConnectError(
                f"no MetaTrader terminal {venue.bridge.terminal!r} dialed in to {where} within "
                f"{venue.connect_timeout_seconds:g} s: is the EA running, with this host, port "
                "and its token?"
            ) from None
        return bridge

    def _request_timeout(self) -> float:
        return 5.0 if self._venue is None else self._venue.request_timeout_seconds

    def _on_event(self, event: str, data: dict[str, Any], seq: int) -> None:
        """On the loop, for every `evt` of the terminal."""
        if event in _DATA_EVENTS:
            listener = self._events.get(DATA)
            if listener is not None:
                listener(event, data)
            return
        if self._held is not None:
            self._held.append((event, data))
            return
        execution = self._events.get(EXECUTION)
        if execution is not None:
            execution(event, data)

    def _on_connection(self, connected: bool) -> None:
        for listener in list(self._connections.values()):
            listener(connected)
