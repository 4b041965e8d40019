"""Running a paper or live node's loop to its end, the same way for both sessions: whatever
ends it, the node is disposed and late stop signals are only recorded, and an exception leaves
status.json saying "crashed" (never a stale "running") before it is raised."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any

from nautilus_trader.live.node import TradingNode

from execution_engine.paper.journal import RunJournal
from execution_engine.paper.signals import StopSignals


def run_to_end(
    node: TradingNode,
    drive: Coroutine[Any, Any, None],
    journal: RunJournal,
    stop: StopSignals,
    after_dispose: Callable[[], None] = lambda: None,
) -> None:
    """Run `drive` on the node's loop until it returns or raises."""
    loop = node.get_event_loop()
    if loop is None:  # the sessions build their nodes with a loop
        raise RuntimeError("the node has no event loop")
    try:
        loop.run_until_complete(drive)
    except BaseException:
        with contextlib.suppress(OSError):  # the node's own error is the one to report
            journal.status(state="crashed", heartbeat=time.time())
            journal.close()
        raise
    finally:
        stop.hold()
        node.dispose()
        after_dispose()
