"""Faults on demand, shared by the simulator's loop and the thread that asks for them.

Counters are consumed one request (or one frame, one auth) at a time under a lock, so a
"429 for the next 3 requests" is exactly three 429s whichever thread asked.
"""

from __future__ import annotations

import threading
import time

import msgspec


class FaultRequest(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The body of POST /__sim__/faults: every field optional, each adds to what is pending."""

    rate_limit: int = 0  # the next N REST requests answer 429
    page_loop: int = 0  # the next N aggregate pages carry a next_url pointing to themselves
    auth_failures: int = 0  # the next N WebSocket auths fail, whatever the key
    malformed_frames: int = 0  # send N frames that are not JSON, between good ones
    pause_seconds: float = 0.0  # the feeds send nothing for this long (a slow consumer)
    disconnect: bool = False  # close every WebSocket now (between frames)


class Faults:
    """What is pending; the simulator consumes it, tests and the control surface add to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rate_limit = self._page_loop = self._auth_failures = self._malformed = 0
        self._paused_until = 0.0
        self.disconnects = 0  # a generation: each feed closes when it sees this change

    def apply(self, request: FaultRequest) -> None:
        if min(request.rate_limit, request.page_loop, request.auth_failures,
               request.malformed_frames, request.pause_seconds) < 0:  # fmt: skip
            raise ValueError("fault counts and pause_seconds must not be negative")
        with self._lock:
            self._rate_limit += request.rate_limit
            self._page_loop += request.page_loop
            self._auth_failures += request.auth_failures
            self._malformed += request.malformed_frames
            if request.pause_seconds:
                self._paused_until = time.monotonic() + request.pause_seconds
            if request.disconnect:
                self.disconnects += 1

    def clear(self) -> None:
        """Drop every pending fault (a disconnect already asked for stays asked)."""
        with self._lock:
            self._rate_limit = self._page_loop = self._auth_failures = self._malformed = 0
            self._paused_until = 0.0

    def rate_limit(self, requests: int) -> None:
        self.apply(FaultRequest(rate_limit=requests))

    def page_loop(self, pages: int = 1) -> None:
        self.apply(FaultRequest(page_loop=pages))

    def fail_auth(self, times: int = 1) -> None:
        self.apply(FaultRequest(auth_failures=times))

    def malformed_frames(self, frames: int = 1) -> None:
        self.apply(FaultRequest(malformed_frames=frames))

    def pause(self, seconds: float) -> None:
        self.apply(FaultRequest(pause_seconds=seconds))

    def disconnect(self) -> None:
        self.apply(FaultRequest(disconnect=True))

    def take_rate_limit(self) -> bool:
        return self._take("_rate_limit")

    def take_page_loop(self) -> bool:
        return self._take("_page_loop")

    def take_auth_failure(self) -> bool:
        return self._take("_auth_failures")

    def take_malformed(self) -> bool:
        return self._take("_malformed")

    def pause_left(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    def _take(self, name: str) -> bool:
        with self._lock:
            left: int = getattr(self, name)
            if left <= 0:
                return False
            setattr(self, name, left - 1)
            return True
