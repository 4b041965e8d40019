"""Client-side pacing under OANDA's request limit (120 requests a second per connection):
the client starts at most `per_second` requests in any one-second window, so a burst waits a
little here rather than drawing 429s (which it would still wait out, with backoff)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable


class RequestPacer:
    """A sliding one-second window of request starts."""

    def __init__(
        self,
        per_second: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_second < 1:
            raise ValueError(f"requests per second must be at least 1, not {per_second}")
        self.per_second = per_second
        self.waited = 0.0  # seconds spent waiting for the window, in all
        self._starts: deque[float] = deque()
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        """Return when one more request may start."""
        async with self._lock:  # turns are taken in order; one sleeper at a time
            now = self._clock()
            while self._starts and now - self._starts[0] >= 1.0:
                self._starts.popleft()
            if len(self._starts) >= self.per_second:
                delay = 1.0 - (now - self._starts[0])
                self.waited += delay
                await self._sleep(delay)
                self._starts.popleft()
                now = self._clock()
            self._starts.append(now)
