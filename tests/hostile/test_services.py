"""Hostile input for the settings, the local stack, secrets and the database commands.

Each case is one command run against a hostile project directory, environment or argument, and
the exit-code contract it must keep (tests/hostile/harness.py): bad input is exit 2 with one
stderr line naming what to fix, never a traceback, never an "internal error".
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.hostile.harness import assert_bad_input, run, run_process

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "specs" / "sma_cross_h1.yaml"
SAMPLE = REPO / "data" / "sample" / "EURUSD_H1_synthetic.csv"

# Every command that reads the settings, with arguments that get it as far as reading them.
SETTINGS_COMMANDS: dict[str, tuple[str, ...]] = {
    "config show": ("config", "show"),
    "status": ("status",),
    "down": ("down",),
    "secrets check": ("secrets", "check"),
    "registry list": ("registry", "list"),
    "promote": ("promote", str(SPEC), "--to", "candidate"),
    "db migrate": ("db", "migrate"),
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GAUNTLET_* variable of the caller's shell leaks into a case."""
    for key in list(os.environ):
        if key.startswith("GAUNTLET_"):
            monkeypatch.delenv(key)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


# -- 1. the settings: gauntlet.toml and GAUNTLET_* ------------------------------------------


@pytest.mark.parametrize("command", SETTINGS_COMMANDS)
def test_malformed_toml_is_named_with_its_line_and_column(project: Path, command: str) -> None:
    (project / "gauntlet.toml").write_text('[postgres\ndsn = "postgresql://db/x"\n')
    line = assert_bad_input(
        run(*SETTINGS_COMMANDS[command], cwd=project), r"gauntlet\.toml: not valid TOML"
    )
    assert str(project / "gauntlet.toml") in line
    assert "line 1, column 10" in line


@pytest.mark.parametrize("command", ["config show", "registry list", "db migrate"])
def test_unknown_key_in_toml_names_the_file_and_key(project: Path, command: str) -> None:
    (project / "gauntlet.toml").write_text("[natz]\nurl = 'nats://x:4222'\n")
    line = assert_bad_input(run(*SETTINGS_COMMANDS[command], cwd=project), r"natz: Extra inputs")
    assert str(project / "gauntlet.toml") in line


@pytest.mark.parametrize("command", ["status", "promote", "db migrate"])
def test_wrong_type_in_toml_names_the_file_and_field(project: Path, command: str) -> None:
    (project / "gauntlet.toml").write_text("[secrets]\nmax_age_days = 'ninety'\n")
    line = assert_bad_input(
        run(*SETTINGS_COMMANDS[command], cwd=project), r"secrets\.max_age_days: .*integer"
    )
    assert str(project / "gauntlet.toml") in line


def test_toml_of_random_bytes_is_bad_input(project: Path) -> None:
    (project / "gauntlet.toml").write_bytes(bytes(range(128, 256)) * 4)
    assert_bad_input(run("config", "show", cwd=project), r"gauntlet\.toml: not valid TOML")


def test_gauntlet_config_pointing_at_a_directory_is_bad_input(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAUNTLET_CONFIG", str(project))
    assert_bad_input(run("registry", "list", cwd=project), r"GAUNTLET_CONFIG=.*: no such file")


@pytest.mark.parametrize("command", ["config show", "registry list", "db migrate"])
def test_bad_environment_value_names_the_variable(
    project: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("GAUNTLET_SECRETS__MAX_AGE_DAYS", "soon")
    assert_bad_input(
        run(*SETTINGS_COMMANDS[command], cwd=project),
        r"\(GAUNTLET_SECRETS__MAX_AGE_DAYS\): secrets\.max_age_days: .*integer",
    )


def test_environment_section_that_is_not_json_is_bad_input(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pydantic-settings reads a whole section from one variable as JSON.
    monkeypatch.setenv("GAUNTLET_POSTGRES", "{not json")
    assert_bad_input(
        run("registry", "list", cwd=project), r"GAUNTLET_POSTGRES\): postgres: not valid JSON"
    )


def test_bad_environment_value_never_echoes_a_secret(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAUNTLET_VAULT", '{"token": "hvs.canary", "mount": 7}')
    line = assert_bad_input(run("config", "show", cwd=project), r"GAUNTLET_VAULT")
    assert "canary" not in line


# -- 2. the database commands: unreachable servers, DSNs that are not PostgreSQL's ----------


def _unused_port() -> int:
    """A loopback port nothing listens on (bound, then released: refused when connected to)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def unreachable_dsn() -> str:
    return f"postgresql://gauntlet@127.0.0.1:{_unused_port()}/gauntlet"


def test_ingest_against_an_unreachable_server_is_one_line_retries_in_the_log(
    project: Path, unreachable_dsn: str
) -> None:
    # A real process: in pytest's, its log capture would hide what logging prints to stderr.
    outcome = run_process(
        "db", "ingest", SAMPLE, "--instrument", "EURUSD", "--timeframe", "1h",
        "--dsn", unreachable_dsn, cwd=project,
    )  # fmt: skip
    line = assert_bad_input(outcome, r"gave up on batch 1 .* after 6 attempts")
    log = project / ".gauntlet" / "logs" / "gauntlet.log"
    assert str(log) in line  # the one line says where the retries went
    assert log.read_text().count("retrying") == 5


def test_migrate_against_an_unreachable_server_is_one_line(
    project: Path, unreachable_dsn: str
) -> None:
    assert_bad_input(
        run("db", "migrate", "--dsn", unreachable_dsn, cwd=project),
        r"PostgreSQL: ConnectionRefusedError",
    )


DB_COMMANDS: dict[str, tuple[str, ...]] = {
    "db migrate": ("db", "migrate"),
    "db ingest": ("db", "ingest", str(SAMPLE), "--instrument", "EURUSD", "--timeframe", "1h"),
    "registry list": ("registry", "list"),
    "promote": ("promote", str(SPEC), "--to", "candidate"),
}


@pytest.mark.parametrize("command", DB_COMMANDS)
@pytest.mark.parametrize(
    ("dsn", "why"),
    [
        ("not a dsn", r"--dsn: not a PostgreSQL URL"),
        ("mysql://gauntlet@127.0.0.1:3306/gauntlet", r"--dsn: not a PostgreSQL URL \(scheme mysql"),
        ("postgresql://gauntlet@127.0.0.1:port/gauntlet", r"--dsn: .*port"),
        ("", r"--dsn: not a PostgreSQL URL"),
    ],
)
def test_a_dsn_that_is_not_postgresql_is_refused_before_connecting(
    project: Path, command: str, dsn: str, why: str
) -> None:
    if command in ("registry list", "promote") and "port" not in why:
        # promote_cmd checks the scheme of its --dsn itself first, in its own words.
        why = r"--dsn.*(not a PostgreSQL URL|must be a postgresql:// URL)"
    assert_bad_input(run(*DB_COMMANDS[command], "--dsn", dsn, cwd=project), why)


def test_a_refused_dsn_never_echoes_its_password(project: Path) -> None:
    line = assert_bad_input(
        run("db", "migrate", "--dsn", "mysql://app:pw-canary@db/x", cwd=project), r"--dsn"
    )
    assert "pw-canary" not in line


def test_postgres_dsn_in_the_settings_that_is_not_postgresql_is_refused(project: Path) -> None:
    (project / "gauntlet.toml").write_text('[postgres]\ndsn = "mysql://db:3306/x"\n')
    assert_bad_input(
        run("db", "migrate", cwd=project), r"postgres\.dsn: not a PostgreSQL URL \(scheme mysql"
    )
