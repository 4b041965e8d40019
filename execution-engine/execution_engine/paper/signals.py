"""SIGTERM and SIGINT end a paper session the way the end of the data does: the node stops,
the summary is written and status.json says the run was stopped.

NautilusTrader's kernel installs its own handlers on the loop (they only log and leave the
node running until the feed ends); these replace them for the session and are removed after.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignals:
    """Installs the handlers; `received` is the first stop signal, if any came."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
        self._loop = loop
        self._stop = stop
        self.received: signal.Signals | None = None
        # Signal handlers exist only in the main thread (a node run from a worker thread keeps
        # the default behaviour).
        self._installed = threading.current_thread() is threading.main_thread()
        if self._installed:
            for sig in STOP_SIGNALS:
                loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.received is None:  # a second signal while stopping changes nothing
            self.received = sig
            self._stop()

    def remove(self) -> None:
        if self._installed and not self._loop.is_closed():
            for sig in STOP_SIGNALS:
                self._loop.remove_signal_handler(sig)  # SIGINT goes back to KeyboardInterrupt
