"""Hostile input for the settings, the local stack, secrets and the database commands.

Each case is one command run against a hostile project directory, environment or argument, and
the exit-code contract it must keep (tests/hostile/harness.py): bad input is exit 2 with one
stderr line naming what to fix, never a traceback, never an "internal error".
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fixtures.pg import PgSchema
from tests.hostile.harness import GAUNTLET, Outcome, assert_bad_input, run, run_process

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


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("sslmode=bogus", r"PostgreSQL URL: `sslmode` parameter must be one of"),
        ("target_session_attrs=zzz", r"PostgreSQL URL: target_session_attrs"),
    ],
)
def test_a_dsn_option_asyncpg_refuses_is_one_line(
    project: Path, unreachable_dsn: str, query: str, why: str
) -> None:
    dsn = unreachable_dsn.replace("gauntlet@", "gauntlet:pw-canary@") + "?" + query
    line = assert_bad_input(run("db", "migrate", "--dsn", dsn, cwd=project), why)
    assert "pw-canary" not in line


def test_ingest_with_a_dsn_option_asyncpg_refuses_is_one_line(
    project: Path, unreachable_dsn: str
) -> None:
    # A configuration error is not a lost connection: refused at once, never retried (the
    # retried path ends in IngestFailedError's 'after 6 attempts: ClientConfigurationError').
    dsn = unreachable_dsn.replace("gauntlet@", "gauntlet:pw-canary@") + "?sslmode=bogus"
    line = assert_bad_input(
        run(*DB_COMMANDS["db ingest"], "--dsn", dsn, cwd=project),
        r"PostgreSQL URL: `sslmode` parameter must be one of",
    )
    assert "pw-canary" not in line


@pytest.mark.parametrize("command", ["db migrate", "db ingest"])
def test_a_dsn_with_an_unclosed_bracket_is_one_line(project: Path, command: str) -> None:
    assert_bad_input(
        run(*DB_COMMANDS[command], "--dsn", "postgresql://u@[::1/x", cwd=project),
        r"--dsn: not a URL \(a bracket of its host is not closed\)",
    )


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


# -- 3. the local stack and secrets ----------------------------------------------------------


@pytest.fixture
def held_port() -> Iterator[int]:
    """A loopback port another process (this one, for the test) listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_up_when_the_kept_port_is_taken_says_so_at_once(project: Path, held_port: int) -> None:
    state = project / ".gauntlet" / "nats" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"port": held_port}))
    started = time.monotonic()
    line = assert_bad_input(
        run("up", "--only", "nats", cwd=project),
        rf"nats did not start: port {held_port} .* is in use by another process",
    )
    assert str(state) in line  # where the port is kept, so the user can let it go
    assert time.monotonic() - started < 10  # not the 20 s start timeout
    assert json.loads(state.read_text()) == {"port": held_port}  # nothing rewritten


@pytest.mark.parametrize("command", [("up", "--only", "nats"), ("status",), ("down",)])
def test_a_state_dir_that_is_a_file_is_bad_input(project: Path, command: tuple[str, ...]) -> None:
    (project / ".gauntlet").write_text("not a folder")
    assert_bad_input(run(*command, cwd=project), r"\.gauntlet is a file, not a folder")
    assert (project / ".gauntlet").read_text() == "not a folder"  # left as it was


@pytest.mark.parametrize(
    "command",
    [("secrets", "check"), ("secrets", "rotate", "k", "--generate"), ("db", "migrate")],
)
def test_a_state_dir_that_is_a_file_is_bad_input_for_stack_users(
    project: Path, command: tuple[str, ...]
) -> None:
    (project / ".gauntlet").write_text("not a folder")
    assert_bad_input(run(*command, cwd=project), r"\.gauntlet is a file, not a folder")


def test_down_when_nothing_runs_stops_nothing(project: Path) -> None:
    outcome = run("down", cwd=project)
    assert (outcome.code, outcome.stdout.strip(), outcome.stderr) == (
        0,
        "stopped: nothing was running",
        "",
    )
    assert not (project / ".gauntlet").exists()  # down creates nothing


def test_down_never_stops_a_process_that_took_a_stale_pid(project: Path) -> None:
    """After a reboot the pid in state.json may belong to anything: `down` must not kill it."""
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        state = project / ".gauntlet" / "nats" / "state.json"
        state.parent.mkdir(parents=True)
        state.write_text(json.dumps({"port": _unused_port(), "pid": bystander.pid}))
        outcome = run("down", cwd=project)
        assert (outcome.code, outcome.stdout.strip()) == (0, "stopped: nothing was running")
        assert bystander.poll() is None, "down killed a process that is not our server"
    finally:
        bystander.kill()
        bystander.wait()


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"port": "x"}', "\x00\xff"])
@pytest.mark.parametrize("command", [("status",), ("down",), ("up", "--only", "nats")])
def test_a_corrupt_state_file_is_named(project: Path, text: str, command: tuple[str, ...]) -> None:
    state = project / ".gauntlet" / "nats" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text(text)
    assert_bad_input(run(*command, cwd=project), rf"{re.escape(str(state))}: not a state file")
    assert state.read_text() == text  # left for the user to look at


@pytest.mark.parametrize("name", ["", " ", "../other", "a/b", "ünïcode", "x" * 200])
@pytest.mark.parametrize("backend", ["vault", "env"])
def test_secrets_rotate_refuses_a_bad_name_first(
    project: Path, monkeypatch: pytest.MonkeyPatch, name: str, backend: str
) -> None:
    monkeypatch.setenv("GAUNTLET_SECRETS__BACKEND", backend)
    assert_bad_input(
        run("secrets", "rotate", name, "--generate", cwd=project), r"invalid secret name"
    )


def test_secrets_rotate_without_a_name_is_bad_input(project: Path) -> None:
    assert_bad_input(run("secrets", "rotate", "--generate", cwd=project), r"Missing argument")


@pytest.mark.parametrize("days", ["0", "-1", "nan", "1e3", "99999999999999999999"])
def test_secrets_check_refuses_a_bad_age_limit(project: Path, days: str) -> None:
    assert_bad_input(
        run("secrets", "check", "--max-age-days", days, cwd=project), r"--max-age-days"
    )


def test_a_huge_age_limit_in_the_settings_is_bad_input(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAUNTLET_SECRETS__MAX_AGE_DAYS", "99999999999")
    assert_bad_input(
        run("secrets", "check", cwd=project), r"GAUNTLET_SECRETS__MAX_AGE_DAYS.*less than"
    )


@pytest.mark.parametrize(
    "command", [("secrets", "check"), ("secrets", "rotate", "api_key", "--generate")]
)
def test_vault_unreachable_is_one_line(
    project: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("GAUNTLET_VAULT__ADDR", f"http://127.0.0.1:{_unused_port()}")
    monkeypatch.setenv("GAUNTLET_VAULT__TOKEN", "hvs.canary-token")
    line = assert_bad_input(
        run(*command, cwd=project), r"vault at http://127\.0\.0\.1:\d+ is unreachable"
    )
    assert "canary" not in line


def test_vault_address_that_is_not_a_url_is_bad_input(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAUNTLET_VAULT__ADDR", "not a url")
    monkeypatch.setenv("GAUNTLET_VAULT__TOKEN", "hvs.canary-token")
    line = assert_bad_input(run("secrets", "check", cwd=project), r"vault")
    assert "canary" not in line


@pytest.mark.parametrize("as_json", [False, True])
def test_config_show_keeps_secrets_in_the_environment_redacted(
    project: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    monkeypatch.setenv("GAUNTLET_VAULT__TOKEN", "canary-vault")
    monkeypatch.setenv("GAUNTLET_POSTGRES", '{"password": "canary-pg"}')
    monkeypatch.setenv("GAUNTLET_NATS__TOKEN", "canary-nats")
    monkeypatch.setenv("GAUNTLET_SECRET_OANDA_KEY", "canary-env-secret")  # the env provider's
    (project / "gauntlet.toml").write_text('[redis]\npassword = "canary-redis"\n')
    outcome = run("config", "show", *(["--json"] if as_json else []), cwd=project)
    assert outcome.code == 0, outcome.stderr
    assert "canary" not in outcome.stdout + outcome.stderr
    assert outcome.stdout.count("**********") == 4


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GAUNTLET_SECRET_API_KEY__VERSION", "two"),
        ("GAUNTLET_SECRET_API_KEY__VERSION", "-1"),
        ("GAUNTLET_SECRET_API_KEY__CREATED_AT", "yesterday"),
        ("GAUNTLET_SECRET_API_KEY__ROTATED_AT", "2024-13-45"),
    ],
)
def test_env_backend_bookkeeping_that_does_not_parse_is_named(
    project: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("GAUNTLET_SECRETS__BACKEND", "env")
    monkeypatch.setenv("GAUNTLET_SECRET_API_KEY", "canary-value")
    monkeypatch.setenv(variable, value)
    line = assert_bad_input(run("secrets", "check", cwd=project), rf"{variable}: not ")
    assert "canary" not in line


def test_env_backend_time_without_a_zone_is_read_as_utc(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAUNTLET_SECRETS__BACKEND", "env")
    monkeypatch.setenv("GAUNTLET_SECRET_API_KEY", "canary-value")
    monkeypatch.setenv("GAUNTLET_SECRET_API_KEY__CREATED_AT", "2020-01-01T00:00:00")
    outcome = run("secrets", "check", cwd=project)
    assert outcome.code == 1, outcome.stderr  # stale: a verdict, not a crash on a naive time
    assert "stale: api_key (version 1," in outcome.stdout


# -- db ingest against a live server: hostile files and values get past the connection -------


def _ingest_case(project: Path, case: str) -> tuple[str, ...]:
    """The arguments of one hostile `db ingest` case (files made under `project`)."""
    good = ("--instrument", "EURUSD", "--timeframe", "1h")
    if case == "random bytes":
        path = project / "random.csv"
        path.write_bytes(bytes(range(256)) * 16)
        return (str(path), *good)
    if case == "empty file":
        (project / "empty.csv").write_text("")
        return (str(project / "empty.csv"), *good)
    if case == "header only":
        (project / "header.csv").write_text("Date,Open,High,Low,Close\n")
        return (str(project / "header.csv"), *good)
    paths = {"folder": str(project), "/dev/null": "/dev/null", "missing": str(project / "no.csv")}
    if case in paths:
        return (paths[case], *good)
    values = {
        "instrument empty": ("--instrument", ""),
        "instrument blank": ("--instrument", " \t"),
        "instrument with a newline": ("--instrument", "EUR\nUSD"),
        "timeframe nan": ("--timeframe", "nan"),
        "timeframe -1m": ("--timeframe", "-1m"),
        "timeframe 0m": ("--timeframe", "0m"),
        "ticks of bars": ("--ticks",),
    }
    extra = values[case]
    base = ("--instrument", "EURUSD") if case == "ticks of bars" else good
    return (str(SAMPLE), *base, *extra)


INGEST_CASES = [
    "random bytes", "empty file", "header only", "folder", "/dev/null", "missing",
    "instrument empty", "instrument blank", "instrument with a newline",
    "timeframe nan", "timeframe -1m", "timeframe 0m", "ticks of bars",
]  # fmt: skip


@pytest.mark.services
@pytest.mark.parametrize("case", INGEST_CASES)
def test_db_ingest_refuses_hostile_input_in_one_line(
    project: Path, pg_schema: PgSchema, case: str
) -> None:
    args = _ingest_case(project, case)
    outcome = run(
        "db", "ingest", *args, "--dsn", pg_schema.dsn, "--schema", pg_schema.name, cwd=project
    )
    assert_bad_input(outcome, r".")
    assert not outcome.stdout  # nothing ingested, nothing reported as done


@pytest.mark.services
@pytest.mark.parametrize("schema", ["", " ", "Public", "a;drop table x", "ü", "x" * 80])
@pytest.mark.parametrize("command", ["db migrate", "db ingest"])
def test_db_commands_refuse_a_bad_schema_name(
    project: Path, pg_dsn: str, command: str, schema: str
) -> None:
    outcome = run(*DB_COMMANDS[command], "--dsn", pg_dsn, "--schema", schema, cwd=project)
    assert_bad_input(outcome, r"schema name")


@pytest.mark.parametrize("command", [("up", "--only", "nats"), ("status",), ("down",)])
def test_a_data_dir_under_a_file_is_bad_input(
    project: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    (project / "a_file").write_text("")
    monkeypatch.setenv("GAUNTLET_DATA_DIR", str(project / "a_file" / "state"))
    line = assert_bad_input(run(*command, cwd=project), r"a_file is a file, not a folder")
    assert str(project / "a_file") in line


def test_a_data_dir_that_cannot_be_made_is_bad_input(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAUNTLET_DATA_DIR", "/proc/1/gauntlet-state")  # /proc takes no folders
    assert_bad_input(
        run("up", "--only", "nats", cwd=project),
        r"data_dir /proc/1/gauntlet-state: cannot create it",
    )


def test_secrets_rotate_refuses_a_value_on_stdin_that_is_not_utf8(project: Path) -> None:
    """Piped bytes that are no text would be stored mangled (or crash under a UTF-8 locale)."""
    proc = subprocess.run(
        [GAUNTLET, "secrets", "rotate", "api_key"],
        input=b"\xff\xfe\x00canary",
        capture_output=True,
        cwd=project,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("GAUNTLET_")},
            "GAUNTLET_VAULT__ADDR": f"http://127.0.0.1:{_unused_port()}",
            "GAUNTLET_VAULT__TOKEN": "t",
        },
        timeout=120,
        check=False,
    )
    outcome = Outcome(proc.returncode, proc.stdout.decode(), proc.stderr.decode())
    line = assert_bad_input(outcome, r"stdin is not UTF-8 text")
    assert "canary" not in line


# -- the settings loader, fuzzed: any GAUNTLET_* values and gauntlet.toml text ----------------


def _setting_variables() -> dict[str, bool]:
    """Every GAUNTLET_* variable the settings read -> whether its field is a secret."""
    from pydantic import BaseModel, SecretStr

    from live.settings import GauntletSettings

    found: dict[str, bool] = {}
    for name, field in GauntletSettings.model_fields.items():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            for sub, sub_field in section.model_fields.items():
                secret = (
                    "SecretStr" in str(sub_field.annotation) or sub_field.annotation is SecretStr
                )
                found[f"GAUNTLET_{name}__{sub}".upper()] = secret
            found[f"GAUNTLET_{name}".upper()] = False  # the whole section as JSON
        else:
            found[f"GAUNTLET_{name}".upper()] = False
    return found


SETTING_VARIABLES = _setting_variables()
PLAIN_VALUES = (
    "", " ", "nan", "inf", "-1", "0", "99999999999999999999", "ünïcødé ✓", "{", "[1]", "null",
    "true", '{"dsn": 5}', '{"nope": 1}', "http://x", "nats://h:99999", "/dev/null", "a\nb",
)  # fmt: skip
URL_VALUES = ("postgresql://user:canary-pw@db/x", "http://:canary@h", "tcp://u:canary@h:8786")
SECRET_VALUES = ("canary-secret", " canary ", "", '{"canary": 1}')
TOML_TEXTS = (
    "", "[postgres", "x = ", "[secrets]\nmax_age_days = -5", '[vault]\ntoken = "canary-toml"',
    "[[postgres]]\ndsn = 1", "data_dir = 7", '[redis]\nurl = "redis://:canary@h"', "\x00\xff",
    "[nats]\nprefix = []",
)  # fmt: skip


def _values_for(variable: str) -> tuple[str, ...]:
    if SETTING_VARIABLES[variable]:
        return SECRET_VALUES
    if variable.endswith(("_URL", "_DSN", "_ADDR", "_URI", "_SCHEDULER")):
        return PLAIN_VALUES + URL_VALUES  # a password in a URL is refused, never printed
    return PLAIN_VALUES


@st.composite
def hostile_settings(draw: st.DrawFn) -> tuple[dict[str, str], str | None]:
    variables = draw(st.lists(st.sampled_from(sorted(SETTING_VARIABLES)), max_size=3))
    env = {var: draw(st.sampled_from(_values_for(var))) for var in variables}
    toml = draw(st.none() | st.sampled_from(TOML_TEXTS) | st.text(max_size=40))
    return env, toml


@settings(max_examples=100, derandomize=True, database=None, deadline=None)
@given(case=hostile_settings())
def test_config_show_keeps_the_contract_and_the_secrets_for_any_settings(
    case: tuple[dict[str, str], str | None],
) -> None:
    env, toml = case
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("GAUNTLET_")]:
            patch.delenv(key)
        for key, value in env.items():
            patch.setenv(key, value)
        if toml is not None:
            (Path(folder) / "gauntlet.toml").write_text(toml, errors="surrogateescape")
        outcome = run("config", "show", "--json", cwd=Path(folder))
    assert outcome.code in (0, 2), outcome.stderr
    assert "Traceback" not in outcome.stderr
    if outcome.code == 2:
        assert_bad_input(outcome, r"settings|TOML|GAUNTLET_")
    assert "canary" not in outcome.stdout + outcome.stderr


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("GAUNTLET_MLFLOW_URI", "http://user:canary-pw@mlflow:5000"),
        ("GAUNTLET_DASK_SCHEDULER", "tcp://user:canary-pw@scheduler:8786"),
    ],
)
def test_config_show_refuses_a_password_in_any_url_setting(
    project: Path, monkeypatch: pytest.MonkeyPatch, variable: str, url: str
) -> None:
    monkeypatch.setenv(variable, url)
    outcome = run("config", "show", cwd=project)
    line = assert_bad_input(outcome, rf"\({variable}\): .*must not contain a password")
    assert "canary" not in line + outcome.stdout
