"""What every embedded service provides, so `gauntlet up/status/down` can treat them alike, and
the one lifecycle they share (`EmbeddedServer`): start or adopt, probe, status, stop.

Each server keeps its files under <data_dir>/<name>/: a log, `state.json` ({port} and, for a
server we run as our child, {pid}) and whatever the server itself writes. The port is kept
across restarts so clients reconnect to the same URL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from live.stack._process import (
    LOOPBACK,
    folder,
    free_port,
    port_in_use,
    process_name,
    read_json,
    wait_until,
    write_json,
)
from live.stack.children import alive, spawn, terminate
from live.stack.errors import StackStateError

__all__ = ["STATE_FILE", "EmbeddedServer", "EmbeddedService", "Endpoint", "StackStateError"]

STATE_FILE = "state.json"


@dataclass(frozen=True)
class Endpoint:
    """Where a running service answers: a URL/DSN that the clients take as is."""

    name: str  # "postgres" | "redis" | "nats" | "vault"
    url: str  # e.g. postgresql://gauntlet@127.0.0.1:54329/gauntlet, redis://127.0.0.1:6380/0
    pid: int | None = None


class EmbeddedService(Protocol):
    name: str

    def start(self, data_dir: Path) -> Endpoint:
        """Start (or adopt an already running instance under data_dir); idempotent."""

    def stop(self, data_dir: Path) -> None:
        """Stop cleanly; idempotent."""

    def status(self, data_dir: Path) -> Endpoint | None:
        """The endpoint when running and healthy, else None."""


class EmbeddedServer(ABC):
    """`EmbeddedService` skeleton. A subclass says how to launch its server (`_launch`), where
    to find the running process (`_process`; default: the {pid, port} of `state.json`), how to
    probe it (`_answers`), its URL, and how to shut it down (`_shutdown`; default SIGTERM)."""

    name: ClassVar[str]  # "postgres" | "redis" | "nats" | "vault": also the folder under data_dir
    what: ClassVar[str]  # for messages, e.g. "embedded openbao"
    log_file: ClassVar[str]
    # The server's process name (/proc/<pid>/comm), e.g. "nats-server"; None: any (not checked).
    process: ClassVar[str | None] = None
    error: ClassVar[type[Exception]] = RuntimeError
    start_timeout_s: ClassVar[float] = 20

    def __init__(self, *, port: int | None = None) -> None:
        self._port = port

    @classmethod
    def home(cls, data_dir: Path) -> Path:
        return folder(folder(Path(data_dir).resolve()) / cls.name)

    def start(self, data_dir: Path) -> Endpoint:
        running = self.status(data_dir)
        if running is not None:
            return running
        home = self.home(data_dir)
        port = self._free(home, self._port or read_json(home / STATE_FILE).get("port"))
        self._prepare(home)
        self._launch(home, port)
        try:
            wait_until(
                lambda: self.status(data_dir) is not None,
                timeout=self.start_timeout_s,
                what=self.what,
            )
        except TimeoutError as exc:
            self.stop(data_dir)  # a server that never got ready is not left behind
            raise self.error(f"{exc}; see {home / self.log_file}") from None
        endpoint = self.status(data_dir)
        if endpoint is None:  # answered a moment ago, gone now
            raise self.error(
                f"{self.what} stopped right after starting; see {home / self.log_file}"
            )
        return endpoint

    def stop(self, data_dir: Path) -> None:
        home = self.home(data_dir)
        running = self._ours(home)
        if running is not None:
            self._shutdown(home, running[0])

    def status(self, data_dir: Path) -> Endpoint | None:
        running = self._ours(self.home(data_dir))
        if running is None or not self._answers(running[1]):
            return None
        pid, port = running
        return Endpoint(self.name, self.url(port), pid)

    @abstractmethod
    def url(self, port: int) -> str: ...

    @abstractmethod
    def _launch(self, home: Path, port: int) -> None:
        """Start the server on `port`; it need not be ready yet, but `_process` must find it."""

    @abstractmethod
    def _answers(self, port: int) -> bool:
        """One health probe of the server on `port`."""

    def _prepare(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)

    def _free(self, home: Path, port: int | None) -> int:
        """The port to launch on: the kept (or asked-for) one, refused at once when another
        process holds it (the server would exit, and we would wait out the start timeout)."""
        if port is None:
            return free_port()
        if port_in_use(port):
            kept = f"kept in {home / STATE_FILE}" if self._port is None else "asked for"
            raise self.error(
                f"port {port} on {LOOPBACK} ({kept}) is in use by another process: stop that "
                "process, or delete the state file to start on a new port"
            )
        return port

    def _ours(self, home: Path) -> tuple[int, int] | None:
        """`_process`, unless its pid now belongs to another program (pids are reused after a
        reboot or a crash): that one is never probed as ours, nor stopped."""
        running = self._process(home)
        if running is None:
            return None
        name = process_name(running[0])
        return running if None in (name, self.process) or name == self.process else None

    def _process(self, home: Path) -> tuple[int, int] | None:
        """(pid, port) of the running server, from what `_spawn` recorded."""
        data = read_json(home / STATE_FILE)
        pid, port = data.get("pid"), data.get("port")
        if pid is None or port is None or not alive(pid):
            return None
        return pid, port

    def _shutdown(self, home: Path, pid: int) -> None:
        """SIGTERM (the servers' clean shutdown), SIGKILL if it does not exit in time."""
        terminate(pid, timeout=self.start_timeout_s, what=f"{self.what} shutdown")

    def _spawn(
        self, home: Path, port: int, args: Sequence[str], env: Mapping[str, str] | None = None
    ) -> None:
        """Run `args` as our child (its stderr to the log) and record {port, pid}."""
        pid = spawn(args, log=home / self.log_file, env=env)
        write_json(home / STATE_FILE, {"port": port, "pid": pid})
