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

import os
import shutil
import signal
from decimal import Decimal
from pathlib import Path

import pandas as pd
from execution_engine.adapters.fix.providers import fix_instrument, fix_symbol
from execution_engine.adapters.fix.sim.quotes import quotes_from_bars
from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig
from rich.console import Console

from gauntlet.cli import demo_live as node_process
from gauntlet.cli.app import reclaim_stop_signals
from gauntlet.cli.demo_live import FILLS_AFTER_RESTART, FILLS_BEFORE_KILL, LiveTarget
from gauntlet.cli.native_output import native_output_to
from gauntlet.cli.render import frame_table
from gauntlet.cli.sim_cmd import DEFAULT_PASSWORD, write_client_config
from live.stack._process import free_port

REPLAY_BARS = 1_500  # the spec's latest bars, replayed as quotes (the strategy warms up first)
QUOTE_SECONDS = 0.005  # between quotes: four quotes a bar, fifty bars a second
# The simulator's development credentials, as the env secrets provider reads them.
SECRETS_ENV = {
    "GAUNTLET_SECRETS__BACKEND": "env",
    "GAUNTLET_SECRET_FIX_SIM_USERNAME": "gauntlet",
    "GAUNTLET_SECRET_FIX_SIM_PASSWORD": DEFAULT_PASSWORD,
}


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
    state = folder / "node"
    command = node_process.start_command(target, "fix", write_client_config(sim), state)
    log = (folder / "node-output.log").open("a", encoding="utf-8")
    console.print(f"$ gauntlet {' '.join(command[3:])}")
    node = node_process.launch(command, log, SECRETS_ENV)
    node_process.wait(lambda: _fills(sim) >= FILLS_BEFORE_KILL, "the node's first fills", node)
    os.kill(node.pid, signal.SIGKILL)  # mid-run: no logout, no summary, status.json stale
    node.wait(timeout=10)
    before = sim.ledger.counts()
    status = node_process.status(state)
    console.print(
        f"[red]SIGKILL[/] to the node (pid {node.pid}) after {before['fill']} venue fills; "
        f"status.json still says '{status.get('state')}' and `gauntlet live status` shows: "
        f"{node_process.shown(state)}"
    )
    node = node_process.launch(command, log, SECRETS_ENV)  # the same command, state folder
    node_process.wait(lambda: node_process.ready(state, run=2), "the restarted node", node)
    reconciled = node_process.status(state)
    console.print(
        f"restarted (pid {node.pid}): reconciled with the venue at start-up, net position "
        f"{_node_net(reconciled, target)} where the venue holds {_venue_net(sim, target)}"
    )
    more = before["fill"] + FILLS_AFTER_RESTART
    node_process.wait(lambda: _fills(sim) >= more, "more fills", node)
    node_process.stop(state, node)
    log.close()
    final = node_process.status(state)
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


def _fills(sim: FixSimulator) -> int:
    return sim.ledger.counts()["fill"]


def _venue_net(sim: FixSimulator, target: LiveTarget) -> str:
    symbol = fix_symbol(fix_instrument(target.instrument).id)
    return node_process.signed(Decimal(sim.book.positions().get(symbol, 0)))


def _node_net(status: dict[str, object], target: LiveTarget) -> str:
    return node_process.node_net(status, fix_instrument(target.instrument).id.value)
