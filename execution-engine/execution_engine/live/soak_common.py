"""What the SIGKILL soaks share, whatever the venue (soak.py on FIX, mt5_soak.py on
MetaTrader): the child processes and their READY line, the kill moments and their odds,
the wait for READY, the restart-time percentiles and the soak's Redis keys.

A child prints `READY <time.monotonic()> ...` once it is reconciled and trading; the soak
reads its stdout on a thread and times the restart from spawn to that line (both on
CLOCK_MONOTONIC, which the processes share).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO

import redis

from execution_engine.live.churn import READY, SECRET_PREFIX

KILL_MODES = ("order", "random", "startup")
MODE_WEIGHTS = (0.4, 0.4, 0.2)
ORDER_KILL_JITTER_S = 0.003  # after an order reaches the venue
STARTUP_KILL_WINDOW_S = 0.25  # after the logon / dial-in: the reconciliation's queries
MAX_CRASHES = 3  # children that die by themselves before the soak gives up


class SoakAbortedError(RuntimeError):
    """The child stopped making progress (or kept dying): the soak cannot go on; one line."""


@dataclass
class Child:
    """One child process, its stdout read on a thread (the READY line's timestamp)."""

    process: subprocess.Popen[str]
    spawned: float  # time.monotonic() just before the spawn
    echo: IO[str]  # where its other stdout lines go (NautilusTrader's errors)
    ready_at: float | None = None
    ready_line: str = ""
    ready: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        stream = self.process.stdout
        assert stream is not None  # spawned with stdout=PIPE
        for line in stream:
            if line.startswith(READY + " "):
                self.ready_at, self.ready_line = float(line.split()[1]), line.strip()
                self.ready.set()
            self.echo.write(f"[{self.process.pid}] {line}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def startup_s(self) -> float | None:
        return None if self.ready_at is None else self.ready_at - self.spawned


def spawn(command: list[str], secrets: dict[str, str], stderr: IO[str]) -> Child:
    """Start `command` with `secrets` (name → value) as GAUNTLET_SECRET_<NAME> variables."""
    env = os.environ | {SECRET_PREFIX + k.upper(): v for k, v in secrets.items()}
    spawned = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    child = Child(process, spawned, stderr)
    threading.Thread(target=child.read, daemon=True).start()
    return child


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def wait_ready(child: Child, timeout: float) -> bool:
    """True once READY; False when the child ended first; SoakAbortedError when it hangs."""
    deadline = time.monotonic() + timeout
    while not child.ready.wait(0.05):
        if child.process.poll() is not None:
            return False
        if time.monotonic() > deadline:
            raise SoakAbortedError(f"the child was not READY within {timeout:g} s")
    return True


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def restart_line(times: list[float]) -> str:
    """The restart times' p50, p99 and max, one line."""
    return (
        f"p50 {statistics.median(times):.2f} s  p99 {percentile(times, 0.99):.2f} s  "
        f"max {max(times):.2f} s  ({len(times)} restarts)"
    )


def drop_redis_keys(url: str, trader_id: str) -> int:
    """Delete the trader's keys (NautilusTrader's `trader-<id>:` prefix): each soak has its
    own trader id, so nothing else's keys are touched."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"trader-{trader_id}:*", count=1000))
        if keys:
            client.unlink(*keys)
        return len(keys)
    finally:
        client.close()
