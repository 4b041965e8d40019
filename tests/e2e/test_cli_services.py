"""End to end: the real `gauntlet` executable brings the embedded stack up in a fresh project
directory, reports it, shows settings, rotates a secret and brings it down again."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis

from bus import Envelope, Tick
from bus.jetstream import JetStreamBus
from live.db import load_migrations
from live.settings import load_settings
from live.stack._process import free_port, pid_alive
from live.stack.base import Endpoint
from live.stack.stack import Stack, StackError

pytestmark = [pytest.mark.services, pytest.mark.slow]

GAUNTLET = str(Path(sys.executable).parent / "gauntlet")


def gauntlet(
    project: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GAUNTLET_")}
    return subprocess.run(
        [GAUNTLET, *args],
        cwd=project,
        input=stdin,
        text=True,
        capture_output=True,
        env={**clean, **(env or {})},
        timeout=120,
        check=False,
    )


def statuses(project: Path) -> dict[str, dict[str, object]]:
    result = gauntlet(project, "status", "--json")
    assert result.returncode == 0, result.stderr
    return {s["name"]: s for s in json.loads(result.stdout)}


async def applied_migrations(dsn: str) -> list[int]:
    """The versions in the stack database's migration ledger (a real query over asyncpg)."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT version FROM gauntlet.schema_migrations ORDER BY 1")
        return [row["version"] for row in rows]
    finally:
        await connection.close()


async def nats_round_trip(url: str) -> bool:
    bus = await JetStreamBus.connect(url, prefix="e2e")
    try:
        tick = Tick(instrument="EURUSD", ts=datetime(2024, 1, 2, tzinfo=UTC), price=1.1, size=1.0)
        await bus.publish(bus.subjects.ticks("EURUSD"), Envelope.of(tick, source="e2e", id="e2e-1"))
        sub = await bus.subscribe(bus.subjects.topic("md.ticks"), "e2e")
        return [d.envelope.id for d in await sub.fetch(10, timeout=3.0)] == ["e2e-1"]
    finally:
        await bus.close()


@pytest.fixture
def project() -> Iterator[Path]:
    # Not under tmp_path: pytest resets /tmp/pytest-of-<user> to 0700 whenever a session starts,
    # and embedded PostgreSQL, run as an unprivileged account when we are root, must traverse it.
    with tempfile.TemporaryDirectory(prefix="gauntlet-e2e-") as folder:
        path = Path(folder)
        path.chmod(0o711)
        yield path
        gauntlet(path, "down")  # whatever the test did, leave no server behind


def test_up_status_config_secrets_down(project: Path) -> None:
    up = gauntlet(project, "up")
    assert up.returncode == 0, up.stderr
    running = statuses(project)
    assert {n: (s["mode"], s["healthy"]) for n, s in running.items()} == {
        n: ("embedded", True) for n in ("postgres", "redis", "nats", "vault")
    }
    for service in running.values():
        assert "127.0.0.1" in str(service["url"])
        assert pid_alive(int(str(service["pid"])))
    assert (project / ".gauntlet" / "stack.json").is_file()
    assert (project / ".gauntlet" / "nats" / "jetstream").is_dir()

    # Real connections to what status reports.
    assert redis.Redis.from_url(str(running["redis"]["url"])).ping()
    assert httpx.get(f"{running['vault']['url']}/v1/sys/health").json()["sealed"] is False
    # `up` applied every migration to the database it started.
    shipped = [m.version for m in load_migrations()]
    assert "postgres: schema gauntlet migrated (0001" in up.stdout
    assert asyncio.run(applied_migrations(str(running["postgres"]["url"]))) == shipped
    assert asyncio.run(nats_round_trip(str(running["nats"]["url"])))

    again = gauntlet(project, "up")  # idempotent: adopts the running servers
    assert again.returncode == 0
    assert "postgres: schema gauntlet migrated (none pending)" in again.stdout
    assert {n: s["pid"] for n, s in statuses(project).items()} == {
        n: s["pid"] for n, s in running.items()
    }

    shown = gauntlet(
        project, "config", "show", "--json", env={"GAUNTLET_VAULT__TOKEN": "canary-token-9"}
    )
    assert shown.returncode == 0, shown.stderr
    assert "canary-token-9" not in shown.stdout + shown.stderr
    assert json.loads(shown.stdout)["vault"]["token"] == "**********"
    assert json.loads(shown.stdout)["data_dir"] == str(project.resolve() / ".gauntlet")

    first = gauntlet(project, "secrets", "rotate", "oanda_key", stdin="canary-secret-1\n")
    second = gauntlet(project, "secrets", "rotate", "oanda_key", "--generate")
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert first.stdout.strip() == "rotated oanda_key: now version 1"
    assert second.stdout.strip() == "rotated oanda_key: now version 2"
    assert "canary-secret-1" not in first.stdout + first.stderr
    leaked = [p for p in project.rglob("*") if p.is_file() and b"canary-secret-1" in p.read_bytes()]
    assert leaked == []  # not in server logs, state files or any cache under the project
    check = gauntlet(project, "secrets", "check")
    assert (check.returncode, check.stdout.strip()) == (0, "all secrets younger than 90 days")

    pids = [int(str(s["pid"])) for s in running.values()]
    down = gauntlet(project, "down")
    assert down.returncode == 0, down.stderr
    assert down.stdout.strip() == "stopped: vault, nats, redis, postgres"
    assert not any(s["healthy"] for s in statuses(project).values())
    assert not any(pid_alive(pid) for pid in pids)


def test_configured_server_is_used_not_started(project: Path) -> None:
    elsewhere = f"nats://127.0.0.1:{free_port()}"  # configured, but nothing answers there
    up = gauntlet(project, "up", "--only", "nats,vault", env={"GAUNTLET_NATS__URL": elsewhere})
    assert up.returncode == 0, up.stderr
    nats = statuses(project)["nats"]
    assert (nats["mode"], nats["healthy"]) == (
        "embedded",
        False,
    )  # without the setting: not running
    with_setting = gauntlet(project, "status", "--json", env={"GAUNTLET_NATS__URL": elsewhere})
    nats = {s["name"]: s for s in json.loads(with_setting.stdout)}["nats"]
    assert (nats["mode"], nats["url"], nats["healthy"]) == ("external", elsewhere, False)
    assert not (project / ".gauntlet" / "nats").exists()
    assert statuses(project)["vault"]["healthy"] is True


def test_bad_input_is_one_line_exit_2(project: Path) -> None:
    unknown = gauntlet(project, "up", "--only", "postgres,mongo")
    assert unknown.returncode == 2
    assert (
        unknown.stderr.strip()
        == "gauntlet: error: unknown service mongo; known: postgres, redis, nats, vault"
    )
    no_vault = gauntlet(project, "secrets", "check")
    assert no_vault.returncode == 2
    assert len(no_vault.stderr.strip().splitlines()) == 1
    assert "embedded one under" in no_vault.stderr
    assert "gauntlet up --only vault" in no_vault.stderr
    env_backend = gauntlet(
        project,
        "secrets",
        "rotate",
        "api_key",
        "--generate",
        env={"GAUNTLET_SECRETS__BACKEND": "env"},
    )
    assert env_backend.returncode == 2
    assert env_backend.stderr.strip().endswith("set GAUNTLET_SECRET_API_KEY yourself")
    bad_toml = project / "gauntlet.toml"
    bad_toml.write_text("[vault]\ntokn = 'x'\n")
    shown = gauntlet(project, "config", "show")
    assert shown.returncode == 2
    assert shown.stderr.strip().endswith("vault.tokn: Extra inputs are not permitted")


def test_stack_resolves_configured_urls_before_embedded_ones(project: Path) -> None:
    settings = load_settings(project, nats={"url": "nats://bus.internal:4222"})
    stack = Stack(settings)
    stack.up(["nats", "vault"])
    try:
        assert stack.endpoint("nats") == "nats://bus.internal:4222"  # configured: used, not started
        assert str(stack.endpoint("vault")).startswith("http://127.0.0.1:")
        assert stack.endpoint("redis") is None  # embedded, not running
    finally:
        assert stack.down() == ["vault"]


class _BrokenVault:
    """Fault injection: a service whose start fails, to exercise the stack's roll-back."""

    name = "vault"

    def start(self, data_dir: Path) -> Endpoint:
        raise RuntimeError("port 8200 already in use\n(second line)")

    def stop(self, data_dir: Path) -> None:
        return None

    def status(self, data_dir: Path) -> Endpoint | None:
        return None


def test_failed_start_rolls_back_what_this_call_started(project: Path) -> None:
    stack = Stack(load_settings(project), {"vault": _BrokenVault()})
    with pytest.raises(
        StackError, match=r"^vault did not start: port 8200 already in use \(second line\)$"
    ):
        stack.up(["nats", "vault"])
    assert {s.name: s.healthy for s in stack.status()}["nats"] is False
    assert not (project / ".gauntlet" / "stack.json").exists()
