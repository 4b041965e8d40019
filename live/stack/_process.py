"""Small helpers the embedded services share: free loopback ports, pid liveness, state files."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port that was free on loopback a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def pid_alive(pid: int) -> bool:
    """True while the process runs; an exited process nobody has reaped yet (zombie) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user (e.g. the unprivileged postgres account)
        pass
    try:
        # Daemons are re-parented to PID 1, which in containers may reap them seconds late.
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return Path(f"/proc/{pid}").exists() or not Path("/proc/self").exists()
    return state not in ("Z", "X")


def read_json(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    data: dict[str, int] = json.loads(path.read_text())
    return data


def write_json(path: Path, data: dict[str, int]) -> None:
    path.write_text(json.dumps(data))


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `check` until it holds; raise TimeoutError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not become ready within {timeout:.0f} s")
