"""The simulator's outgoing messages, sent by one thread of their own.

Why: QuickFIX calls the broker (fromApp) holding its session lock, and the broker then takes
its own lock (the book); a pushed quote or the expiry clock takes the broker's lock first.
Had the broker sent under its lock, a quote's send (broker lock -> session lock) and an
incoming order (session lock -> broker lock) could each wait for the other for ever (seen
under gdb). So the broker only queues messages under its lock, and this thread, holding
none of our locks, hands them to QuickFIX in the order they were queued: the one session's
messages keep their order whichever thread produced them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import quickfix as fix

_STOP_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class Outgoing:
    message: fix.Message
    # Called on the sender thread right before the send (the PossDup copy is marked in
    # toApp, so it must be flagged only once the original before it has gone).
    before_send: Callable[[], None] | None = None


class Outbox:
    def __init__(self, send: Callable[[fix.Message], None]) -> None:
        self._send = send
        self._queue: queue.Queue[Outgoing | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._run, name="fix-sim-outbox", daemon=True)
        self._thread.start()

    def put(self, item: Outgoing) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(item)

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued so far has been handed to QuickFIX."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        """Send what is queued, then end the thread (before the acceptor stops: QuickFIX
        must not be called on a stopped engine)."""
        self._queue.put(None)
        self._thread.join(_STOP_WAIT_SECONDS)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                if item.before_send is not None:
                    item.before_send()
                self._send(item.message)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()
