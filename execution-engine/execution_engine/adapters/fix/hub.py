"""One FIX session shared by a node's data and execution clients.

A FIX session is one (SenderCompID, TargetCompID) pair, and QuickFIX keeps one session
per pair in a process: the data and the execution client cannot each open their own. The
hub starts the initiator for the first client that connects, hands every incoming message
to each connected client on the node's event loop (through an AsyncioSink), and stops the
initiator when the last one disconnects. The initiator reconnects by itself after a drop
(session.py); the hub watches for the new logon and tells the clients that registered for
it (`on_relogon`), since a venue forgets subscriptions with the session. It holds the
secret resolver, so it is bound into the factories (factories.py), never put in a config.

Nothing is delivered until every client the node has (`roles`) has joined: right after the
logon the venue resends what the node missed while it was down (ExecutionReports among
them), and the data client, which usually joins first, must not be the only one to hear
them. Until then the messages wait in the sink's queue.

Once every listener has handled a message, its MsgSeqNum is recorded as delivered
(delivered.py; the mark trails by its settle time): a node killed with messages still
queued, or not yet applied, gets them resent at its next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from execution_engine.adapters.fix.config import FixVenueConfig, SecretResolver
from execution_engine.adapters.fix.delivered import DELIVERED_FILE, DeliveredMark, seq_num_of
from execution_engine.adapters.fix.session import FixInitiator, FixSessionError
from execution_engine.adapters.fix.sinks import AsyncioSink, Inbound

Listener = Callable[[Inbound], None]
_WATCH_SECONDS = 0.1  # how often the session's logged-on state is looked at


class FixSessionHub:
    def __init__(
        self, resolve: SecretResolver, roles: tuple[str, ...] = ("data", "execution")
    ) -> None:
        self._resolve = resolve
        self._roles = frozenset(roles)
        self._joined: set[str] = set()
        self._all_joined = asyncio.Event()
        self._listeners: list[Listener] = []
        self._initiator: FixInitiator | None = None
        self._pump: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._relogon: list[Callable[[], None]] = []
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
        *,
        role: str,
    ) -> FixInitiator:
        """Register `listener` for `role` (one of the hub's roles) and return the logged-on
        initiator (started on first use; its logon blocks, so it runs off the loop).
        FixLogonError etc. pass through."""
        if role not in self._roles:
            raise FixSessionError(f"the FIX session hub has no client role {role!r}")
        async with self._lock:
            if self._initiator is None:
                sink = AsyncioSink(loop)
                mark = DeliveredMark(venue.state_dir(node_state) / DELIVERED_FILE)
                initiator = FixInitiator(venue, node_state, self._resolve, sink, delivered=mark)
                await loop.run_in_executor(None, initiator.start)
                self._initiator = initiator
                self._pump = loop.create_task(self._deliver(sink, mark))
                self._watch = loop.create_task(self._watch_logons(initiator, mark))
            self._listeners.append(listener)
            self._joined.add(role)
            if self._joined >= self._roles:
                self._all_joined.set()
            return self._initiator

    async def leave(self, listener: Listener) -> None:
        """Unregister `listener`; the last one out stops the session (a Logout)."""
        async with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)
            if self._listeners or self._initiator is None:
                return
            initiator, self._initiator = self._initiator, None
            for task in (self._pump, self._watch):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            self._pump = self._watch = None
            await asyncio.get_running_loop().run_in_executor(None, initiator.stop)

    def on_relogon(self, callback: Callable[[], None]) -> None:
        """Call `callback` on the loop each time the session logs on again after a drop."""
        self._relogon.append(callback)

    async def _watch_logons(self, initiator: FixInitiator, mark: DeliveredMark) -> None:
        was_on = True  # join() returned a logged-on session
        while True:
            await asyncio.sleep(_WATCH_SECONDS)
            mark.settle(time.monotonic())  # when no message comes to do it
            is_on = initiator.is_logged_on
            if is_on and not was_on:
                for callback in list(self._relogon):
                    callback()
            was_on = is_on

    async def _deliver(self, sink: AsyncioSink, delivered: DeliveredMark) -> None:
        await self._all_joined.wait()  # what came meanwhile waits in the queue
        while True:
            message = await sink.queue.get()
            for listener in list(self._listeners):
                listener(message)
            if (numbered := seq_num_of(message)) is not None:
                delivered.record(numbered[0], poss_dup=numbered[1], now=time.monotonic())
