"""MetaTrader 5 from the command line, as the README runs it: `gauntlet venue token`, `gauntlet
sim mt5` (the terminal simulator dialing the bridge), `gauntlet live start --venue mt5` on a
promoted spec (real registry), `gauntlet sim fault` dropping the bridge mid-order, `gauntlet
live stop`; and the bad input of each, one line and exit 2 before anything connects.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from execution_engine.adapters.mt5.auth import new_token

from gauntlet.cli.live_cmd import spec_hash_now
from live.stack._process import free_port
from research.promotion import load_spec
from tests.hostile.harness import GAUNTLET, Outcome, assert_bad_input, run, run_process
from tests.integration.live.test_live_cli import START_TIMEOUT, status_of, wait_for
from tests.integration.live.world import SAMPLE, LiveWorld, world

pytestmark = [pytest.mark.slow, pytest.mark.services]
__all__ = ["world"]  # the module-scoped fixture, imported for pytest

TERMINAL = "cli-terminal-1"
TOKEN_SECRET = "mt5_cli_token"
TOKEN_ENV = f"GAUNTLET_SECRET_{TOKEN_SECRET.upper()}"


def venue_file(folder: Path, port: int, platform: str = "mt5") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{platform}-terminal.toml"
    path.write_text(
        f'platform = "{platform}"\ntoken_secret = "{TOKEN_SECRET}"\ndev_tls_dir = "tls"\n'
        'margin_mode = "netting"\nconnect_timeout_seconds = 30\n\n'
        f'[bridge]\nport = {port}\nterminal = "{TERMINAL}"\nheartbeat_seconds = 1\n',
        encoding="utf-8",
    )
    return path


def token_from_cli(env: dict[str, str]) -> str:
    made = run_process("venue", "token", "--terminal", TERMINAL, "--days", "1", env=env)
    assert made.code == 0, made.stderr
    [token] = made.stdout.split()
    assert token.startswith(f"gt1.{TERMINAL}.")
    return token


def events(state: Path) -> list[dict[str, Any]]:
    path = state / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_a_promoted_spec_trades_through_the_bridge_and_survives_a_drop(
    world: LiveWorld, tmp_path: Path
) -> None:
    env = {**os.environ, **world.env}
    env[TOKEN_ENV] = token_from_cli(env)
    venue = venue_file(tmp_path, free_port())
    sim_state = tmp_path / "sim"
    sim_out = (tmp_path / "sim.out").open("w")
    sim = subprocess.Popen(
        [GAUNTLET, "sim", "mt5", "--config", str(venue), "--bars", str(SAMPLE),
         "--interval", "0.02", "--state", str(sim_state)],
        stdout=sim_out, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    name, spec = world.spec()
    world.promote(name, "live", spec_hash_now(load_spec(spec)))
    world.keep_current(name, spec_hash_now(load_spec(spec)))  # right before the node hashes it
    state = tmp_path / "node"
    with (tmp_path / "node.out").open("w") as out:
        node = subprocess.Popen(
            [GAUNTLET, "live", "start", str(spec), "--venue", "mt5", "--config", str(venue),
             "--state", str(state), "--no-mirror", *world.registry_args()],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        running = wait_for("the node to trade through the bridge", lambda: any(
            e.get("kind") == "fill" for e in events(state)), START_TIMEOUT)  # fmt: skip
        assert running
        # status.json is rewritten every second: the first fill can come before the first
        # heartbeat that saw the terminal connected.
        mt5 = wait_for("status.json to show the terminal on the bridge", lambda: (
            status_of(state).get("mt5") or {}).get("connected") and status_of(state)["mt5"], 10.0)  # fmt: skip
        assert mt5["terminal"] == TERMINAL, mt5
        table = run_process("live", "status", "--state", state, env=env)
        assert table.code == 0, table.stderr
        words = " ".join(table.stdout.split())
        assert "MT5 terminal" in words, table.stdout
        assert TERMINAL in words, table.stdout
        asked = run_process("sim", "fault", "--state", sim_state, "--drop-after", "order_send",
                            env=env)  # fmt: skip
        assert asked.code == 0, asked.stderr
        reconnected = wait_for("the terminal to dial in again after the drop", lambda: (
            (status_of(state).get("mt5") or {}).get("sessions", 0) >= 2), 30.0)  # fmt: skip
        assert reconnected
        fills = sum(1 for e in events(state) if e.get("kind") == "fill")
        assert wait_for("a fill after the drop", lambda: sum(
            1 for e in events(state) if e.get("kind") == "fill") > fills, 30.0)  # fmt: skip
        stopped = run_process("live", "stop", "--state", state, env=env)
        assert stopped.code == 0, stopped.stderr
        node.wait(timeout=30)
        final = status_of(state)
        assert final["state"] == "stopped"
        assert final["mt5"]["connected"] is False
        assert final["mt5"]["in_doubt"] == 0  # the order the drop left unknown was looked up
    finally:
        if node.poll() is None:
            node.kill()
        sim.send_signal(signal.SIGINT)
        sim.wait(timeout=20)
        sim_out.close()
    said = (tmp_path / "sim.out").read_text()
    assert "dials the bridge" in said
    assert "gauntlet: interrupted: mt5 terminal simulator stopped after" in said


def _start(world: LiveWorld, venue: Path, *extra: str, env: dict[str, str]) -> Outcome:
    name, spec = world.spec()
    world.promote(name, "live", spec_hash_now(load_spec(spec)))
    return run_process(
        "live", "start", spec, "--venue", extra[0] if extra else "mt5", "--config", venue,
        "--state", venue.parent / "node", "--no-mirror", *world.registry_args(), env=env,
    )  # fmt: skip


def test_live_start_refuses_bad_tokens_and_configs(world: LiveWorld, tmp_path: Path) -> None:
    env = {**os.environ, **world.env}
    venue = venue_file(tmp_path / "mt5", free_port())
    expired = new_token(TERMINAL, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    outcome = _start(world, venue, env={**env, TOKEN_ENV: expired})
    assert_bad_input(outcome, r"token expired at .*\(gauntlet venue token --terminal")
    theirs = new_token("another-terminal", dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    outcome = _start(world, venue, env={**env, TOKEN_ENV: theirs})
    assert_bad_input(outcome, r"the token is terminal 'another-terminal'")
    outcome = _start(world, venue, env={**env, TOKEN_ENV: "not-a-token"})
    assert_bad_input(outcome, r"the terminal's token: ")
    outcome = _start(world, venue, env={k: v for k, v in env.items() if k != TOKEN_ENV})
    assert_bad_input(outcome, r"venue secrets: .*mt5_cli_token")
    outcome = _start(world, venue, "mt4", env={**env, TOKEN_ENV: expired})
    assert_bad_input(outcome, r"is a mt5 terminal's config, not mt4's")
    good = new_token(TERMINAL, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    no_cert = tmp_path / "no-cert" / "mt5-terminal.toml"
    no_cert.parent.mkdir()
    no_cert.write_text(
        venue.read_text().replace(
            "[bridge]", '[bridge]\ntls_cert = "gone.pem"\ntls_key = "gone.key"'
        ),
        encoding="utf-8",
    )
    outcome = _start(world, no_cert, env={**env, TOKEN_ENV: good})
    assert_bad_input(outcome, r"the bridge's TLS file .*gone\.pem does not exist")


def test_the_bridge_port_in_use_is_refused_before_the_node(
    world: LiveWorld, tmp_path: Path
) -> None:
    import socket

    env = {**os.environ, **world.env}
    env[TOKEN_ENV] = new_token(TERMINAL, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        venue = venue_file(tmp_path / "busy", taken.getsockname()[1])
        assert_bad_input(_start(world, venue, env=env), r"the bridge cannot listen on 127\.0\.0\.1")


def test_simulator_fault_and_token_commands_refuse_bad_input(tmp_path: Path) -> None:
    assert_bad_input(run("sim", "fault", "--state", tmp_path), r"no fault asked for")
    assert_bad_input(
        run("sim", "fault", "--state", tmp_path, "--drop-after", "format_disk"),
        r"--drop-after 'format_disk' is not an operation",
    )
    assert_bad_input(
        run("sim", "fault", "--state", tmp_path, "--autotrading", "maybe"), r"choose on or off"
    )
    assert_bad_input(run("sim", "fault", "--state", tmp_path, "--delay", "-1"), r"delay_seconds")
    assert_bad_input(run("venue", "token", "--terminal", "t", "--days", "0"), r"--days 0")
    assert_bad_input(run("venue", "token", "--terminal", "a b"), r"--terminal: ")
    assert_bad_input(
        run("sim", "mt5", "--config", tmp_path / "missing.toml"), r"venue config .* does not exist"
    )
    venue = venue_file(tmp_path, free_port())
    assert_bad_input(
        run("sim", "mt5", "--config", venue, "--bars", tmp_path / "none.csv"),
        r"bars file .* does not exist",
    )
