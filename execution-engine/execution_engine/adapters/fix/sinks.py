"""Handing incoming messages from QuickFIX's threads to their consumer.

QuickFIX calls `fromApp` on its own socket thread; NautilusTrader's clients run on an
asyncio event loop. A sink is the only thing the session calls with a message, and it must
return at once (QuickFIX holds the session lock while it runs).
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable

from execution_engine.adapters.fix.reports import FixReport, UnreadableMessage

Inbound = FixReport | UnreadableMessage
Sink = Callable[[Inbound], None]


class QueueSink:
    """For threads and tests: a `queue.Queue` of messages."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Inbound] = queue.Queue()

    def __call__(self, message: Inbound) -> None:
        self.queue.put_nowait(message)

    def get(self, timeout: float) -> Inbound:
        return self.queue.get(timeout=timeout)


class AsyncioSink:
    """For an event loop: messages land on an `asyncio.Queue` through call_soon_threadsafe,
    in the order QuickFIX delivered them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Inbound] = asyncio.Queue()

    def __call__(self, message: Inbound) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.queue.put_nowait, message)


class LoopSink:
    """For an event loop's own consumer: `consume(message)` runs on the loop (through
    call_soon_threadsafe), in the order QuickFIX delivered the messages.

    No queue and no task in between: AsyncioSink's consumer is a task awaiting its queue, so
    every message costs a loop turn to wake it; here the message is handled in the very turn
    that takes it off the loop's thread-safe queue (one hop fewer on the quote-to-order path)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, consume: Callable[[Inbound], None]) -> None:
        self.loop = loop
        self.consume = consume

    def __call__(self, message: Inbound) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.consume, message)
