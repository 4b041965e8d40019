"""The node's heartbeat: between bars it polls the kill switch and says it is alive.

At real-time speeds a bar can be an hour away; a kill must not wait for it. The heartbeat
runs on the node's event loop (the thread the risk engine lives on), so applying a state from
here is the same as applying it from the strategy's bar handler.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from execution_engine.risk import KillSwitch

POLL_SECONDS = 0.2  # how soon a kill is applied between bars
BEAT_SECONDS = 1.0  # how often status.json's heartbeat is refreshed


async def heartbeat(
    switch: KillSwitch,
    beat: Callable[[float], None],
    poll: float = POLL_SECONDS,
    every: float = BEAT_SECONDS,
) -> None:
    """Until cancelled: poll `switch` every `poll` seconds, call `beat(now)` every `every`."""
    last = 0.0
    while True:
        switch()
        now = time.time()
        if now - last >= every:
            beat(now)
            last = now
        await asyncio.sleep(poll)
