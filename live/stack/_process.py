"""Small helpers the embedded services share: free loopback ports, pid liveness, state files."""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from live.stack.errors import StackStateError

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port that was free on loopback a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """True when another socket listens on `port` (a server could not bind it now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers do: a port whose last connection is in TIME_WAIT is free to them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return (
                exc.errno == errno.EADDRINUSE
            )  # not EACCES: a port below 1024 is the server's to refuse
    return False


def process_name(pid: int) -> str | None:
    """The kernel's name of the process (its executable's, 15 chars at most); None when the
    system cannot tell (no /proc)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


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


def folder(path: Path) -> Path:
    """`path`, refused when it, or the nearest of its parents that exists, is something other
    than a folder (mkdir would fail, and every file under it is unreadable)."""
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise StackStateError(
            f"{existing} is a file, not a folder: move it away, or set data_dir "
            "(gauntlet.toml or GAUNTLET_DATA_DIR) to a folder"
        )
    return path


def make_folder(path: Path) -> Path:
    """`folder(path)`, created (with its parents) when missing; failing that, one message."""
    try:
        folder(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StackStateError(
            f"data_dir {path}: cannot create it ({exc.strerror}); set data_dir "
            "(gauntlet.toml or GAUNTLET_DATA_DIR) to a folder you can write"
        ) from None
    return path


def read_json(path: Path) -> dict[str, int]:
    """A state file we wrote: a JSON object of integers (port, pid); {} when there is none."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict) or not all(
        isinstance(value, int) and not isinstance(value, bool) for value in data.values()
    ):
        raise StackStateError(
            f"{path}: not a state file Gauntlet wrote (expected a JSON object of port/pid "
            "numbers); stop the server it describes if one runs, then delete it"
        )
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
