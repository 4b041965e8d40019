"""`gauntlet live start` records every quote into the catalog by default, and
`gauntlet live replay SPEC` replays the session's last run as a backtest with the live
session's bars and orders; `--no-record` records nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gauntlet.cli.live_cmd import spec_hash_now
from research.promotion import load_spec
from tests.hostile.harness import GAUNTLET, run
from tests.integration.live.world import LiveWorld, world

__all__ = ["world"]  # the module-scoped fixture, imported for pytest

pytestmark = pytest.mark.slow

NODE_TIMEOUT = 120.0  # seconds for a node process to import, log on, trade 5 s and stop


def live_start(world: LiveWorld, spec: Path, catalog: Path, *extra: str) -> str:
    """One 5-second session; every test's node shares one state folder: the simulator keeps
    the CompIDs' sequence numbers, a new folder's FIX store would start again at 1."""
    world.keep_current(spec.stem, spec_hash_now(load_spec(spec)))
    args = [GAUNTLET, "live", "start", str(spec), "--venue", "fix", "--config", str(world.config),
            "--state", str(world.root / "node"), "--duration", "5", "--no-mirror",
            "--catalog", str(catalog), "--quiet", *world.registry_args(), *extra]  # fmt: skip
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=NODE_TIMEOUT, env={**os.environ, **world.env}
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def test_a_live_session_is_recorded_and_replays_to_its_orders(world: LiveWorld) -> None:
    name, spec = world.spec()
    world.promote(name, "live", spec_hash_now(load_spec(spec)))
    catalog = world.root / "catalog"

    printed = live_start(world, spec, catalog)

    folder = catalog / "_quotes" / name  # run-<n>: n is the session's in the state folder
    assert f"recording every quote under {folder}" in printed
    assert f"in {folder}/run-" in printed
    shown = run("live", "status", "--state", world.root / "node")
    assert shown.code == 0, shown.stderr
    assert "recording" in shown.stdout
    assert "quotes in" in shown.stdout
    replayed = run("live", "replay", spec, "--catalog", catalog, "--json")
    assert replayed.code == 0, replayed.stdout + replayed.stderr
    assert replayed.stderr == ""  # the recording's strategy is the spec's: no warning
    answer = json.loads(replayed.stdout)
    assert answer["recording"].startswith(f"{folder}/run-")
    assert answer["same"] is True
    assert answer["quotes"] > 0
    assert len(answer["live_orders"]) >= 1
    # The spec sizes on equity: the replay's own fills move its quantities, not its decisions.
    decisions = [{k: o[k] for k in ("bar", "side", "target")} for o in answer["orders"]]
    assert decisions == [
        {k: o[k] for k in ("bar", "side", "target")} for o in answer["live_orders"]
    ]


def test_no_record_leaves_the_catalog_alone(world: LiveWorld) -> None:
    name, spec = world.spec()
    world.promote(name, "live", spec_hash_now(load_spec(spec)))
    catalog = world.root / "catalog-unused"

    printed = live_start(world, spec, catalog, "--no-record")

    assert "recorded:" not in printed
    assert not (catalog / "_quotes" / name).exists()


def test_a_killed_node_leaves_complete_parts_that_replay(world: LiveWorld) -> None:
    """SIGKILL mid-session: what was flushed is on disk, whole; the replay says there is
    no live outcome to compare with and replays the quotes it has."""
    name, spec = world.spec()
    world.promote(name, "live", spec_hash_now(load_spec(spec)))
    catalog = world.root / "catalog-killed"
    args = [GAUNTLET, "live", "start", str(spec), "--venue", "fix", "--config", str(world.config),
            "--state", str(world.root / "node"), "--no-mirror", "--catalog", str(catalog),
            "--quiet", *world.registry_args()]  # fmt: skip
    output = world.root / f"{name}.out"
    with output.open("w") as out:  # a file, not a pipe: a full pipe would block the node
        node = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **world.env}
        )
    sessions = catalog / "_quotes" / name
    try:
        deadline = time.monotonic() + NODE_TIMEOUT
        while len(list(sessions.glob("run-*/part-*.parquet"))) < 3:
            assert node.poll() is None, f"node exited {node.returncode}: {output.read_text()}"
            assert time.monotonic() < deadline, "no three parts recorded"
            time.sleep(0.1)
    finally:
        node.send_signal(signal.SIGKILL)
        node.wait(timeout=30)

    replayed = run("live", "replay", spec, "--catalog", catalog, "--json")

    assert replayed.code == 0, replayed.stdout + replayed.stderr
    assert "no live.json: the session did not end cleanly" in replayed.stderr
    answer = json.loads(replayed.stdout)
    assert answer["live_orders"] is None
    assert answer["quotes"] > 0
    # Every part under a part's name reads whole (one being written at the kill is still
    # its hidden .partial file, which the reader never takes for a part).
    assert [p for p in answer["problems"] if "part-" in p] == []
