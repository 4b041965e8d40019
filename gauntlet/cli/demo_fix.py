"""The demo's live chapter: the promoted strategy trading live on the FIX broker simulator
over TLS, killed with SIGKILL mid-run, restarted on the same state folder, reconciled.

The simulator runs in this process and replays the spec's latest bars as quotes (four per
bar). The node is `gauntlet live start` in a process of its own, as a trader starts it in a
second terminal: the registry must hold the spec at stage live for its exact hash (the
promotion chapter put it there), the secrets come from the environment provider, and the
PostgreSQL mirror writes the registry's database. Kept out of demo_cmd.py so the CLI's
import stays light: this module loads QuickFIX.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from execution_engine.adapters.fix.providers import fix_instrument, fix_symbol
from execution_engine.adapters.fix.sim.quotes import quotes_from_bars
from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig
from rich.console import Console

from gauntlet.cli.app import reclaim_stop_signals
from gauntlet.cli.native_output import native_output_to
from gauntlet.cli.render import frame_table
from gauntlet.cli.sim_cmd import DEFAULT_PASSWORD, write_client_config
from live.stack._process import free_port

REPLAY_BARS = 1_500  # the spec's latest bars, replayed as quotes (the strategy warms up first)
QUOTE_SECONDS = 0.005  # between quotes: four quotes a bar, fifty bars a second
FILLS_BEFORE_KILL = 3  # venue fills before the node is killed
FILLS_AFTER_RESTART = 2  # more fills once the restarted node trades again
WAIT_SECONDS = 90.0  # for a node to start, trade or stop (two busy cores)
# The simulator's development credentials, as the env secrets provider reads them.
SECRETS_ENV = {
    "GAUNTLET_SECRETS__BACKEND": "env",
    "GAUNTLET_SECRET_FIX_SIM_USERNAME": "gauntlet",
    "GAUNTLET_SECRET_FIX_SIM_PASSWORD": DEFAULT_PASSWORD,
}


@dataclass(frozen=True)
class LiveTarget:
    """What the chapter trades: the promoted spec and the registry that holds it."""

    spec: Path
    name: str
    instrument: str  # marketdata name, e.g. EUR/USD
    bars: pd.DataFrame  # the spec's bars
    registry_args: list[str]  # --dsn, --schema, --tracking-uri of the demo's registry


def run_live_chapter(console: Console, target: LiveTarget, folder: Path) -> None:
    """Simulator up, node started, killed, restarted and stopped; then the reconciliation
    and the venue's ledger side by side."""
    shutil.rmtree(folder, ignore_errors=True)  # every run starts from an empty venue and store
    folder.mkdir(parents=True)
    # QuickFIX's threads print TLS notices on stderr while the simulator runs: to a file.
    with native_output_to(folder / "quickfix-console.log", fds=(2,)):
        sim = _simulator(target, folder / "sim")
        try:
            rows = _kill_and_restart(console, target, sim, folder)
        finally:
            sim.stop()
    console.print(frame_table(pd.DataFrame(rows), "the venue's ledger and the node, after the run"))


def _kill_and_restart(
    console: Console, target: LiveTarget, sim: FixSimulator, folder: Path
) -> list[dict[str, str]]:
    command = _start_command(target, write_client_config(sim), folder / "node")
    log = (folder / "node-output.log").open("a", encoding="utf-8")
    console.print(f"$ gauntlet {' '.join(command[3:])}")
    node = _launch(command, log)
    _wait(lambda: _fills(sim) >= FILLS_BEFORE_KILL, "the node's first fills", node)
    os.kill(node.pid, signal.SIGKILL)  # mid-run: no logout, no summary, status.json stale
    node.wait(timeout=10)
    before = sim.ledger.counts()
    status = _status(folder / "node")
    console.print(
        f"[red]SIGKILL[/] to the node (pid {node.pid}) after {before['fill']} venue fills; "
        f"status.json still says '{status.get('state')}' and `gauntlet live status` shows: "
        f"{_shown(folder / 'node')}"
    )
    node = _launch(command, log)  # the same command on the same state folder
    _wait(lambda: _ready(folder / "node", run=2), "the restarted node to reconcile", node)
    reconciled = _status(folder / "node")
    console.print(
        f"restarted (pid {node.pid}): reconciled with the venue at start-up, net position "
        f"{_node_net(reconciled, target)} where the venue holds {_venue_net(sim, target)}"
    )
    _wait(lambda: _fills(sim) >= before["fill"] + FILLS_AFTER_RESTART, "more fills", node)
    _stop(target, folder / "node", node)
    log.close()
    final = _status(folder / "node")
    counts = sim.ledger.counts()
    mirror = final.get("mirror") or {}
    return [
        {"": "orders at the venue", "value": str(counts["order"])},
        {"": "orders sent twice (the venue's count)", "value": str(counts["duplicate_order"])},
        {"": "fills at the venue", "value": str(counts["fill"])},
        {"": "venue's net position", "value": _venue_net(sim, target)},
        {"": "node's net position", "value": _node_net(final, target)},
        {"": "rows the node mirrored to PostgreSQL", "value": str(mirror.get("written", "-"))},
        {"": "node state", "value": str(final.get("state"))},
    ]


def _simulator(target: LiveTarget, state: Path) -> FixSimulator:
    instrument = fix_instrument(target.instrument)
    quotes = quotes_from_bars(
        target.bars.iloc[-REPLAY_BARS:], fix_symbol(instrument.id), Decimal(0),
        instrument.price_precision,
    )  # fmt: skip
    config = SimulatorConfig(
        port=free_port(), state_dir=state, quote_interval_seconds=QUOTE_SECONDS
    )
    sim = FixSimulator(config, list(quotes))
    sim.start()  # writes its development CA under `state`/ca; the replay starts now
    reclaim_stop_signals()  # QuickFIX replaced the SIGINT handler
    return sim


def _start_command(target: LiveTarget, venue_config: Path, state: Path) -> list[str]:
    return [
        sys.executable, "-m", "gauntlet", "live", "start", str(target.spec), "--venue", "fix",
        "--config", str(venue_config), "--state", str(state), *target.registry_args, "--quiet",
    ]  # fmt: skip


def _launch(command: list[str], log: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, **SECRETS_ENV}
    return subprocess.Popen(command, stdout=log, stderr=log, env=env)


def _stop(target: LiveTarget, state: Path, node: subprocess.Popen[bytes]) -> None:
    """`gauntlet live stop`: SIGTERM after checking the node, then wait for "stopped"."""
    done = subprocess.run(
        [sys.executable, "-m", "gauntlet", "live", "stop", "--state", str(state)],
        capture_output=True, text=True, timeout=WAIT_SECONDS, check=False,
    )  # fmt: skip
    node.wait(timeout=WAIT_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f"gauntlet live stop failed: {done.stderr.strip()}")


def _wait(condition: Callable[[], bool], what: str, node: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if node.poll() is not None:
            raise RuntimeError(f"the live node exited ({node.returncode}) before {what}")
        if time.monotonic() > deadline:
            node.kill()
            raise RuntimeError(f"no {what} within {WAIT_SECONDS:g} s")
        time.sleep(0.1)


def _fills(sim: FixSimulator) -> int:
    return sim.ledger.counts()["fill"]


def _status(state: Path) -> dict[str, Any]:
    try:
        status = json.loads((state / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return status if isinstance(status, dict) else {}


def _ready(state: Path, run: int) -> bool:
    """The node of session `run` has started: connected, reconciled, its strategy running."""
    status = _status(state)
    return status.get("run") == run and status.get("ready_at") is not None


def _shown(state: Path) -> str:
    from execution_engine.live.status import shown_state

    shown, why = shown_state(_status(state))
    return shown if why is None else f"{shown} ({why})"


def _venue_net(sim: FixSimulator, target: LiveTarget) -> str:
    symbol = fix_symbol(fix_instrument(target.instrument).id)
    return _signed(Decimal(sim.book.positions().get(symbol, 0)))


def _node_net(status: dict[str, Any], target: LiveTarget) -> str:
    instrument = fix_instrument(target.instrument).id.value
    pnl = (status.get("pnl") or {}).get(instrument) or {}
    return _signed(Decimal(str(pnl.get("net_position", "0"))))


def _signed(units: Decimal) -> str:
    return f"{units:+,}" if units else "flat"
