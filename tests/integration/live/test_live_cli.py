"""`gauntlet live start | status | stop | resume` and `gauntlet kill [--flatten]` on a real FIX
simulator over TLS, with a real registry (PostgreSQL + MLflow) and NautilusTrader's Redis
cache: the node refuses what the registry does not allow, trades (fills in the venue's
ledger), reports positions and sequence numbers, stops cleanly on SIGTERM, stays HALTED
across a restart until resumed, and `kill --flatten` leaves the venue flat.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis
from execution_engine.adapters.fix.devca import generate_dev_ca
from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig

from gauntlet.cli.live_cmd import spec_hash_now
from live.stack._process import free_port
from research.promotion import load_spec
from tests.hostile.harness import GAUNTLET, Outcome, assert_bad_input, run
from tests.integration.live.world import LiveWorld, world, write_venue_config

pytestmark = [pytest.mark.slow, pytest.mark.services]
__all__ = ["world"]  # the module-scoped fixture, imported for pytest

START_TIMEOUT = 60.0  # seconds for a node process to import, check and log on (2 cores, shared)


def wait_for(what: str, condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(state: Path) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads((state / "status.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return loaded


def venue_net(sim_ledger: list[Any]) -> Decimal:
    """The account's net EURUSD units at the venue, from its ledger of fills."""
    net = Decimal(0)
    for entry in sim_ledger:
        if entry.kind == "fill":
            units = Decimal(entry.quantity)
            net += units if entry.side in ("1", "BUY") else -units
    return net


class Node:
    """`gauntlet live start` in its own process (signals, a real foreground command)."""

    def __init__(self, world: LiveWorld, spec: Path, state: Path, *extra: str) -> None:
        self.state = state
        world.keep_current(spec.stem, spec_hash_now(load_spec(spec)))
        args = [GAUNTLET, "live", "start", str(spec), "--venue", "fix", "--config",
                str(world.config), "--state", str(state), *world.registry_args(), *extra]  # fmt: skip
        # Files, not pipes: a node printing every order would block on a full pipe.
        state.parent.mkdir(parents=True, exist_ok=True)
        self.out = state.parent / f"{state.name}.out"
        with self.out.open("a") as out:
            self.proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, text=True,
                env={**os.environ, **world.env},
            )  # fmt: skip
        before = status_of(state).get("node", {}).get("pid")

        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"node exited {self.proc.returncode}: {self.output()}")
            status = status_of(state)
            fix = status.get("fix") or {}
            return bool(
                status.get("state") in ("running", "halted")
                and status.get("node", {}).get("pid") != before
                and fix.get("logged_on")
            )

        wait_for("the node to run and log on", up, START_TIMEOUT)

    def output(self) -> str:
        return self.out.read_text()[-3000:]

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


@pytest.fixture
def promoted(world: LiveWorld) -> tuple[str, Path]:
    name, path = world.spec()
    world.promote(name, "live", spec_hash_now(load_spec(path)))
    return name, path


def start(world: LiveWorld, spec: Path, *extra: str | Path) -> Outcome:
    args = ["live", "start", spec, "--venue", "fix", *world.registry_args(), *extra]
    return run(*args)


# -- refusals ---------------------------------------------------------------------------------


def test_start_refuses_a_spec_the_registry_does_not_hold_at_live(world: LiveWorld) -> None:
    name, spec = world.spec()
    config: list[str | Path] = ["--config", world.config, "--state", world.root / name]
    assert_bad_input(start(world, spec, *config), rf"{name} is not in the registry.*promote")

    world.promote(name, "paper", spec_hash_now(load_spec(spec)))
    assert_bad_input(start(world, spec, *config), rf"{name} is at stage paper, live needs live")
    # --mode paper takes a paper-stage spec: the registry lets it by, the next check speaks.
    paper = start(world, spec, *config, "--mode", "paper", "--bar", "4-FORTNIGHT")
    assert_bad_input(paper, r"--bar: ")

    other, changed = world.spec()
    world.promote(other, "live", "0" * 64)  # another version of the spec earned the stage
    assert_bad_input(
        start(world, changed, "--config", world.config), r"at stage live for spec hash 000000000000"
    )
    assert not (world.root / name).exists()  # nothing started, nothing written


def test_bad_inputs_are_one_line_each(world: LiveWorld, promoted: tuple[str, Path]) -> None:
    _, spec = promoted
    state: list[str | Path] = ["--state", world.root / "bad-inputs"]
    ok: list[str | Path] = ["--config", world.config, *state]
    assert_bad_input(start(world, spec, *ok, "--venue", "ibkr"), r"--venue must be one of fix")
    missing = world.root / "nowhere.toml"
    assert_bad_input(start(world, spec, "--config", missing, *state), r"cannot read")
    garbled = world.root / "garbled.toml"
    garbled.write_text("host = [unclosed")
    assert_bad_input(start(world, spec, "--config", garbled, *state), r"not valid TOML")
    partial = world.root / "partial.toml"
    partial.write_text("\n".join(world.config.read_text().splitlines()[1:]))  # no host
    assert_bad_input(start(world, spec, "--config", partial, *state), r"missing field host")
    assert_bad_input(start(world, spec, *ok, "--bar", "4-FORTNIGHT"), r"--bar: .*not a bar spec")
    assert_bad_input(start(world, spec, *ok, "--redis", "http://x"), r"--redis .*redis://")
    closed = world.root / "closed-port.toml"
    closed.write_text(world.config.read_text().replace(f"port = {world.sim.config.port}",
                                                       f"port = {free_port()}"))  # fmt: skip
    outcome = start(world, spec, "--config", closed, *state)
    assert_bad_input(outcome, r"failed after 2 attempt\(s\): cannot connect")


def test_unknown_instrument_is_bad_input(world: LiveWorld) -> None:
    name, spec = world.spec(instrument="EUR/XYZ")
    world.promote(name, "live", spec_hash_now(load_spec(spec)))
    outcome = start(world, spec, "--config", world.config, "--state", world.root / name)
    assert_bad_input(outcome, r"unknown instrument 'EUR/XYZ'")


def test_wrong_credentials_and_an_unverified_certificate_are_bad_input(
    world: LiveWorld, promoted: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a simulator of its own, under CompIDs of its own: QuickFIX keeps one session per
    CompID pair in a process, and this test's in-process logons must not touch the shared
    simulator's session (its sequence numbers, its registration)."""
    _, spec = promoted
    state: list[str | Path] = ["--state", world.root / "credentials"]
    sim = FixSimulator(
        SimulatorConfig(port=free_port(), state_dir=world.root / "sim-credentials",
                        sender_comp_id="OTHERBROKER", target_comp_id="OTHERCLIENT")
    )  # fmt: skip
    sim.start()
    try:
        config = write_venue_config(sim, world.root / "own-sim.toml")
        monkeypatch.setenv("GAUNTLET_SECRET_FIX_SIM_PASSWORD", "wrong")
        refused = start(world, spec, "--config", config, *state)
        monkeypatch.undo()
        other_ca = generate_dev_ca(world.root / "other-ca")
        config = write_venue_config(sim, world.root / "other-ca.toml", other_ca.ca_file)
        unverified = start(world, spec, "--config", config, *state)
    finally:
        sim.stop()
    assert_bad_input(refused, r"FIX logon to 127\.0\.0\.1:\d+ failed after 2 attempt")
    assert "wrong" not in refused.stderr  # the password is never echoed
    assert_bad_input(unverified, r"certificate of 127\.0\.0\.1:\d+ does not verify")
    monkeypatch.delenv("GAUNTLET_SECRET_FIX_SIM_USERNAME")
    assert_bad_input(
        start(world, spec, "--config", world.config, *state), r"venue secrets: .*fix_sim_username"
    )


def test_status_shows_a_running_node_whose_process_died_as_crashed(world: LiveWorld) -> None:
    state = world.root / "crashed"
    state.mkdir()
    node = {"trader_id": "GAUNTLET-X", "instance_id": "u", "pid": 2**22 - 3, "started": None,
            "token": "t"}  # fmt: skip
    status = {"kind": "gauntlet.live", "state": "running", "node": node, "heartbeat": time.time()}
    (state / "status.json").write_text(json.dumps(status))

    shown = run("live", "status", "--state", state, "--json")
    assert shown.code == 0, shown.stderr
    assert json.loads(shown.stdout)["shown_state"] == "crashed"
    assert_bad_input(run("live", "stop", "--state", state), r"not running")
    assert_bad_input(run("live", "status", "--state", world.root / "never"), r"no live node")
    assert_bad_input(run("live", "status", "../../etc"), r"SPEC strategy name '\.\./\.\./etc'")


# -- the lifecycle ----------------------------------------------------------------------------


def test_trade_status_kill_restart_halted_resume_flatten_stop(
    world: LiveWorld, promoted: tuple[str, Path], redis_url: str
) -> None:
    name, spec = promoted
    state = world.root / "live-state" / name  # the default folder of the spec
    ledger = world.sim.ledger
    node = Node(world, spec, state, "--redis", redis_url)

    # It trades: fills at the venue, positions and sequence numbers in `live status`.
    wait_for("a fill at the venue", lambda: ledger.counts()["fill"] >= 2)
    shown = run("live", "status", name, "--json")
    assert shown.code == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert status["shown_state"] == "running"
    assert status["fix"]["logged_on"] is True
    assert status["fix"]["next_sender_seq"] > 2
    assert status["fix"]["next_target_seq"] > 2
    wait_for("a position in status.json", lambda: status_of(state).get("positions"))
    table = run("live", "status", name)
    assert "next MsgSeqNum" in table.stdout
    assert "EUR/USD.FIX" in table.stdout

    # kill: HALTED, acknowledged; the venue sees no new order afterwards.
    killed = run("kill", "--run", state)
    assert killed.code == 0, killed.stderr
    assert "HALTED" in killed.stdout
    orders = ledger.counts()["order"]
    time.sleep(1.0)  # about five bars of the feed
    assert ledger.counts()["order"] == orders

    # SIGTERM: a clean stop, the summary written, status.json "stopped".
    assert node.stop() == 143, node.output()
    assert status_of(state)["state"] == "stopped"
    summary = json.loads((state / "summary.json").read_text())
    assert summary["trading_state"] == "HALTED"
    assert summary["stopped_by"] == "SIGTERM"
    trader = (state / "trader_id").read_text().strip()
    client = redis.Redis.from_url(redis_url)
    assert list(client.scan_iter(match=f"trader-{trader}:orders:*", count=1000))

    # Restarted on the same folder: still HALTED, nothing sent, until a person resumes it.
    node = Node(world, spec, state, "--redis", redis_url)
    assert status_of(state)["trading_state"] == "HALTED"
    time.sleep(1.0)
    assert ledger.counts()["order"] == orders
    resumed = run("live", "resume", name)
    assert resumed.code == 0, resumed.stderr
    wait_for("a new order after resume", lambda: ledger.counts()["order"] > orders)

    # kill --flatten (the newest running node, found without --run): the venue is flat.
    wait_for("an open position", lambda: venue_net(ledger.entries()) != 0)
    flattened = run("kill", "--flatten")
    assert flattened.code == 0, flattened.stderr
    assert "closed:" in flattened.stdout
    assert venue_net(ledger.entries()) == 0
    assert status_of(state)["trading_state"] == "HALTED"

    stopped = run("live", "stop", "--state", state)
    assert stopped.code == 0, stopped.stderr
    assert node.proc.wait(timeout=10) == 143
    assert status_of(state)["state"] == "stopped"
    keys = list(client.scan_iter(match=f"trader-{trader}:*", count=1000))
    if keys:
        client.unlink(*keys)

    # The PostgreSQL mirror (on by default, the registry's schema): every venue fill, once,
    # and every order action in the audit log, kill's closing orders signed by gauntlet kill.
    venue_fills = {e.exec_id for e in ledger.entries("fill")}
    rows = asyncio.run(_mirrored(world))
    assert rows["fills"] == venue_fills
    assert rows["submitted"] >= len(ledger.entries("order"))
    assert "gauntlet kill" in rows["actors"]


async def _mirrored(world: LiveWorld) -> dict[str, Any]:
    conn = await asyncpg.connect(world.registry.dsn)
    schema = world.registry.schema
    try:
        fills = await conn.fetch(f'SELECT fill_id FROM "{schema}".fills')
        submitted = await conn.fetchval(
            f'SELECT count(*) FROM "{schema}".audit_log WHERE action = $1', "submitted"
        )
        actors = await conn.fetch(f'SELECT DISTINCT actor FROM "{schema}".audit_log')
    finally:
        await conn.close()
    return {
        "fills": {r["fill_id"] for r in fills},
        "submitted": submitted,
        "actors": {r["actor"] for r in actors},
    }
