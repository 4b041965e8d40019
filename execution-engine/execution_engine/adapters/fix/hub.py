"""One FIX session shared by a node's data and execution clients.

A FIX session is one (SenderCompID, TargetCompID) pair, and QuickFIX keeps one session
per pair in a process: the data and the execution client cannot each open their own. The
hub starts the initiator for the first client that connects, hands every incoming message
to each connected client on the node's event loop (through a LoopSink), and stops the
initiator when the last one disconnects. The initiator reconnects by itself after a drop
(session.py); the hub watches for the new logon and tells the clients that registered for
it (`on_relogon`), since a venue forgets subscriptions with the session. It holds the
secret resolver, so it is bound into the factories (factories.py), never put in a config.

Nothing is delivered until every client the node has (`roles`) has joined: right after the
logon the venue resends what the node missed while it was down (ExecutionReports among
them), and the data client, which usually joins first, must not be the only one to hear
them. Until then the messages are held, in order, by the hub.

Once every listener has handled a message, its MsgSeqNum is recorded as delivered
(delivered.py; the mark trails by its settle time): a node killed with messages still
queued, or not yet applied, gets them resent at its next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from execution_engine.adapters.fix.config import FixVenueConfig, SecretResolver
from execution_engine.adapters.fix.delivered import DELIVERED_FILE, DeliveredMark, seq_num_of
from execution_engine.adapters.fix.session import FixInitiator, FixSessionError
from execution_engine.adapters.fix.sinks import Inbound, LoopSink

Listener = Callable[[Inbound], None]
_WATCH_SECONDS = 0.1  # how often the session's logged-on state is looked at


class FixSessionHub:
    def __init__(
        self, resolve: SecretResolver, roles: tuple[str, ...] = ("data", "execution")
    ) -> None:
        self._resolve = resolve
        self._roles = frozenset(roles)
        self._joined: set[str] = set()
        self._all_joined = False
        # What came before every role joined, in order; None once released to the listeners.
        self._held: list[Inbound] | None = []
        self._listeners: list[Listener] = []
        self._initiator: FixInitiator | None = None
        # The running initiator's mark: a message is delivered only while its session's mark
        # is this one (none after leave(), a new one for a new session).
        self._mark: DeliveredMark | None = None
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
                mark = DeliveredMark(venue.state_dir(node_state) / DELIVERED_FILE)
                self._mark = mark
                sink = LoopSink(loop, partial(self._receive, mark))
                initiator = FixInitiator(venue, node_state, self._resolve, sink, delivered=mark)
                await loop.run_in_executor(None, initiator.start)
                self._initiator = initiator
                self._watch = loop.create_task(self._watch_logons(initiator, mark))
            self._listeners.append(listener)
            self._joined.add(role)
            if self._joined >= self._roles and not self._all_joined:
                self._all_joined = True
                # On a later loop turn: the joining client finishes connecting first. What
                # arrives meanwhile is still held, behind what is held already.
                loop.call_soon(self._release)
            return self._initiator

    async def leave(self, listener: Listener) -> None:
        """Unregister `listener`; the last one out stops the session (a Logout)."""
        async with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)
            if self._listeners or self._initiator is None:
                return
            initiator, self._initiator = self._initiator, None
            self._mark = None  # what QuickFIX still hands over is not delivered
            if self._watch is not None:
                self._watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._watch
            self._watch = None
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

    def _receive(self, delivered: DeliveredMark, message: Inbound) -> None:
        """On the loop, for each message of the session whose mark is `delivered`."""
        if delivered is not self._mark:
            return  # that session was left (or replaced) meanwhile
        if self._held is not None:
            self._held.append(message)
            return
        self._deliver(message, delivered)

    def _release(self) -> None:
        held, self._held = self._held or [], None
        for message in held:
            if self._mark is not None:
                self._deliver(message, self._mark)

    def _deliver(self, message: Inbound, delivered: DeliveredMark) -> None:
        for listener in list(self._listeners):
            listener(message)
        if (numbered := seq_num_of(message)) is not None:
            delivered.record(numbered[0], poss_dup=numbered[1], now=time.monotonic())
