"""SIGTERM and SIGINT end a paper session the way the end of the data does: the node stops,
the summary is written and status.json says the run was stopped.

NautilusTrader's kernel installs its own handlers on the loop (they only log and leave the
node running until the feed ends) and resets SIGINT to the default action (the process dies
on the spot). These replace them for the session; while the summary is written a further
signal is only recorded, and the handlers the caller had come back at the end.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignals:
    """Create before the node (it records the caller's handlers); `received` is the first
    stop signal, if any came."""

    def __init__(self) -> None:
        self.received: signal.Signals | None = None
        # Signal handlers exist only in the main thread; elsewhere everything here is a no-op.
        self._main = threading.current_thread() is threading.main_thread()
        self._previous: dict[signal.Signals, Any] = (
            {sig: signal.getsignal(sig) for sig in STOP_SIGNALS} if self._main else {}
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: Callable[[], None] = lambda: None

    def install(self, loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
        """While `loop` runs, the first stop signal calls `stop`."""
        self._loop, self._stop = loop, stop
        if self._main:
            for sig in STOP_SIGNALS:
                loop.add_signal_handler(sig, self._on_signal, sig)

    def hold(self) -> None:
        """The loop is done: until `restore`, a stop signal is recorded, never raised (a
        KeyboardInterrupt half-way through writing the summary would lose it)."""
        if not self._main:
            return
        if self._loop is not None and not self._loop.is_closed():
            for sig in STOP_SIGNALS:
                self._loop.remove_signal_handler(sig)
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_late_signal)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            if handler is not None:  # None: installed outside Python; nothing to put back
                signal.signal(sig, handler)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.received is None:  # a second signal while stopping changes nothing
            self.received = sig
            self._stop()

    def _on_late_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signal.Signals(signum)
