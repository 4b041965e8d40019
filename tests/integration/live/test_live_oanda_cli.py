"""OANDA from the command line, as the README runs it: `gauntlet sim oanda` (the v20
simulator, replaying the sample's prices), `gauntlet live start --venue oanda` on a promoted
spec (real registry), `gauntlet live status`, `gauntlet live stop`; and the bad input of
each, one line and exit 2 before any node is built: a wrong token, a missing secret, an
instrument the account does not list, a simulator that is not there.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gauntlet.cli.live_cmd import spec_hash_now
from live.stack._process import free_port
from research.promotion import load_spec
from tests.hostile.harness import GAUNTLET, Outcome, assert_bad_input, run_process
from tests.integration.live.test_live_cli import START_TIMEOUT, status_of, wait_for
from tests.integration.live.world import SAMPLE, LiveWorld, world

pytestmark = [pytest.mark.slow, pytest.mark.services]
__all__ = ["world"]  # the module-scoped fixture, imported for pytest

TOKEN = "cli-sim-token"
TOKEN_SECRET = "oanda_cli_token"
TOKEN_ENV = f"GAUNTLET_SECRET_{TOKEN_SECRET.upper()}"


def venue_file(folder: Path, port: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "oanda-sim.toml"
    path.write_text(
        f'environment = "sim"\nport = {port}\ntoken_secret = "{TOKEN_SECRET}"\n'
        'heartbeat_seconds = 1\nrequest_timeout_seconds = 5\ninstruments = ["EUR_USD"]\n',
        encoding="utf-8",
    )
    return path


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`gauntlet sim oanda` in its own process, quoting the sample every 20 ms."""
    port = free_port()
    out = (tmp_path_factory.mktemp("oanda-sim") / "sim.out").open("w")
    sim = subprocess.Popen(
        [GAUNTLET, "sim", "oanda", "--port", str(port), "--token", TOKEN, "--data", str(SAMPLE),
         "--interval", "0.02"],
        stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        assert wait_for("the OANDA simulator to listen", lambda: _listening(port), START_TIMEOUT)
        yield port
    finally:
        sim.send_signal(signal.SIGINT)
        try:
            sim.wait(timeout=20)
        except subprocess.TimeoutExpired:
            sim.kill()
        out.close()


def events(state: Path) -> list[dict[str, Any]]:
    path = state / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _start(
    world: LiveWorld, venue: Path, env: dict[str, str], instrument: str = "EUR/USD"
) -> Outcome:
    name, spec = world.spec(instrument=instrument)
    world.promote(name, "live", spec_hash_now(load_spec(spec)))
    return run_process(
        "live", "start", spec, "--venue", "oanda", "--config", venue,
        "--state", venue.parent / f"node-{name}", "--no-mirror", "--no-record",
        *world.registry_args(), env=env,
    )  # fmt: skip


def test_a_promoted_spec_trades_on_the_simulator_and_stops(
    world: LiveWorld, simulator: int, tmp_path: Path
) -> None:
    env = {**os.environ, **world.env, TOKEN_ENV: TOKEN}
    venue = venue_file(tmp_path, simulator)
    name, spec = world.spec()
    world.promote(name, "live", spec_hash_now(load_spec(spec)))
    world.keep_current(name, spec_hash_now(load_spec(spec)))  # right before the node hashes it
    state = tmp_path / "node"
    with (tmp_path / "node.out").open("w") as out:
        node = subprocess.Popen(
            [GAUNTLET, "live", "start", str(spec), "--venue", "oanda", "--config", str(venue),
             "--state", str(state), "--no-mirror", "--no-record", *world.registry_args()],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        assert wait_for("the node to trade on OANDA", lambda: any(
            e.get("kind") == "fill" for e in events(state)), START_TIMEOUT)  # fmt: skip
        oanda = wait_for("status.json to show the account", lambda: (
            status_of(state).get("oanda") or {}).get("connected") and status_of(state)["oanda"], 10.0)  # fmt: skip
        assert oanda["account"] == "101-001-0000001-001", oanda
        table = run_process("live", "status", "--state", state, env=env)
        assert table.code == 0, table.stderr
        words = " ".join(table.stdout.split())
        assert "OANDA account" in words, table.stdout
        assert "101-001-0000001-001 streaming" in words, table.stdout
        stopped = run_process("live", "stop", "--state", state, env=env)
        assert stopped.code == 0, stopped.stderr
        node.wait(timeout=30)
        final = status_of(state)
        assert final["state"] == "stopped"
        assert final["oanda"]["connected"] is False
        assert int(final["oanda"]["last_transaction_id"]) > 2  # the orders' transactions
    finally:
        if node.poll() is None:
            node.kill()
    said = (tmp_path / "node.out").read_text()
    assert "Traceback" not in said
    assert "via http://127.0.0.1:" in said


def test_live_start_refuses_bad_tokens_instruments_and_endpoints(
    world: LiveWorld, simulator: int, tmp_path: Path
) -> None:
    env = {**os.environ, **world.env}
    venue = venue_file(tmp_path / "oanda", simulator)
    outcome = _start(world, venue, {**env, TOKEN_ENV: "not-the-token"})
    said = assert_bad_input(outcome, r"OANDA v20 refused the token \(HTTP 401\)")
    assert "not-the-token" not in said
    outcome = _start(world, venue, {k: v for k, v in env.items() if k != TOKEN_ENV})
    assert_bad_input(outcome, r"venue secrets: .*oanda_cli_token")
    outcome = _start(world, venue, {**env, TOKEN_ENV: TOKEN}, instrument="ZAR/MXN")
    assert_bad_input(outcome, r"does not list ZAR_MXN \(it lists .*EUR_USD")
    nobody = venue_file(tmp_path / "nobody", free_port())
    outcome = _start(world, nobody, {**env, TOKEN_ENV: TOKEN})
    assert_bad_input(outcome, r"OANDA http://127\.0\.0\.1:\d+ \(OANDA simulator\): ")
    bad = tmp_path / "bad" / "oanda.toml"
    bad.parent.mkdir()
    bad.write_text('environment = "sim"\ntoken_secret = "t"\n', encoding="utf-8")
    outcome = _start(world, bad, {**env, TOKEN_ENV: TOKEN})
    assert_bad_input(outcome, r"--config: venue config .*needs the simulator's port")
