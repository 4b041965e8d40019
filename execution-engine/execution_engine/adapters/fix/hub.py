"""One FIX session shared by a node's data and execution clients.

A FIX session is one (SenderCompID, TargetCompID) pair, and QuickFIX keeps one session
per pair in a process: the data and the execution client cannot each open their own. The
hub starts the initiator for the first client that connects, hands every incoming message
to each connected client on the node's event loop (through an AsyncioSink), and stops the
initiator when the last one disconnects. It holds the secret resolver, so it is bound into
the factories (factories.py), never put in a config.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from execution_engine.adapters.fix.config import FixVenueConfig, SecretResolver
from execution_engine.adapters.fix.session import FixInitiator, FixSessionError
from execution_engine.adapters.fix.sinks import AsyncioSink, Inbound

Listener = Callable[[Inbound], None]


class FixSessionHub:
    def __init__(self, resolve: SecretResolver) -> None:
        self._resolve = resolve
        self._listeners: list[Listener] = []
        self._initiator: FixInitiator | None = None
        self._pump: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def initiator(self) -> FixInitiator:
        if self._initiator is None:
            raise FixSessionError("the FIX session is not connected")
        return self._initiator

    async def join(
        self,
        loop: asyncio.AbstractEventLoop,
        venue: FixVenueConfig,
        node_state: Path,
        listener: Listener,
    ) -> FixInitiator:
        """Register `listener` and return the logged-on initiator (started on first use;
        its logon blocks, so it runs off the loop). FixLogonError etc. pass through."""
        async with self._lock:
            if self._initiator is None:
                sink = AsyncioSink(loop)
                initiator = FixInitiator(venue, node_state, self._resolve, sink)
                await loop.run_in_executor(None, initiator.start)
                self._initiator = initiator
                self._pump = loop.create_task(self._deliver(sink))
            self._listeners.append(listener)
            return self._initiator

    async def leave(self, listener: Listener) -> None:
        """Unregister `listener`; the last one out stops the session (a Logout)."""
        async with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)
            if self._listeners or self._initiator is None:
                return
            initiator, self._initiator = self._initiator, None
            if self._pump is not None:
                self._pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._pump
                self._pump = None
            await asyncio.get_running_loop().run_in_executor(None, initiator.stop)

    async def _deliver(self, sink: AsyncioSink) -> None:
        while True:
            message = await sink.queue.get()
            for listener in list(self._listeners):
                listener(message)
