"""Launching a long-lived server child and reaping it (`EmbeddedServer._spawn`: NATS, OpenBao).

Servers run in their own session so they outlive `gauntlet up`. When the process that
started one also stops it (tests, one `gauntlet` run), it must reap the child, or the
exited server lingers as a zombie whose pid still looks taken.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from live.stack._process import pid_alive, wait_until

_children: dict[int, subprocess.Popen[bytes]] = {}


def spawn(args: Sequence[str], *, log: Path, env: Mapping[str, str] | None = None) -> int:
    """Start `args` detached, stderr to `log`, stdout discarded (banners may print tokens)."""
    with log.open("ab") as log_file:
        child = subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            start_new_session=True,
            env=dict(env) if env is not None else None,
        )
    _children[child.pid] = child
    return child.pid


def alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    return pid_alive(pid)


def terminate(pid: int, *, timeout: float, what: str) -> None:
    """SIGTERM (the servers' clean shutdown), then SIGKILL if it does not exit in time."""
    if not alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    try:
        wait_until(lambda: not alive(pid), timeout=timeout, what=what)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not alive(pid), timeout=5, what=f"{what} (killed)")
    child = _children.pop(pid, None)
    if child is not None:
        child.wait()
