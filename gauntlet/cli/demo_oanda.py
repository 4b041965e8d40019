"""The demo's live chapter on OANDA v20: the promoted strategy trading on the OANDA simulator,
its first session stopped and replayed as a backtest with the verdict, then a second session
killed with SIGKILL mid-run, restarted and reconciled with the account.

The simulator (`gauntlet sim oanda`, in this process) replays the spec's latest bars as
prices, four a bar; the node is `gauntlet live start --venue oanda` in a process of its own,
recording every quote it receives into a catalog under the chapter's folder. The replay is
what `gauntlet live replay SPEC` runs: the recorded quotes through a NautilusTrader backtest
of the same strategy and bar type, compared bar for bar and decision for decision with what
the live node had. The clean first session is the one replayed: a restarted session starts
holding the reconciled position, where a replay starts flat.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from execution_engine.adapters.oanda.sim.config import SimConfig
from execution_engine.adapters.oanda.sim.simulator import OandaSimulator
from pydantic import SecretStr
from rich.console import Console

from gauntlet.cli import demo_live as node_process
from gauntlet.cli.demo_live import FILLS_AFTER_RESTART, FILLS_BEFORE_KILL, LiveTarget
from gauntlet.cli.render import frame_table
from live.stack._process import free_port

REPLAY_BARS = 1_500  # the spec's latest bars, replayed as prices (the strategy warms up first)
QUOTE_SECONDS = 0.005  # between prices: four a bar, fifty bars a second
TOKEN = "demo-oanda-token"  # the simulator's bearer token; the node reads it as a secret
TOKEN_SECRET = "oanda_demo_token"
VENUE = "OANDA"


@dataclass(frozen=True)
class Session:
    """The chapter's folders and the node's command: one state folder, one catalog."""

    folder: Path
    state: Path
    catalog: Path
    command: list[str]
    env: dict[str, str]


def run_oanda_chapter(console: Console, target: LiveTarget, folder: Path) -> None:
    """Simulator up, node started, killed, restarted and stopped; the account and the node
    side by side; then the recorded session replayed and compared."""
    shutil.rmtree(folder, ignore_errors=True)  # every run starts from a new account and catalog
    folder.mkdir(parents=True)
    sim = OandaSimulator(_sim_config(target, folder))
    sim.start()
    try:
        session = _session(target, folder, sim)
        console.print(
            f"$ gauntlet sim oanda --port {sim.port} --token {TOKEN} --data "
            f"{folder / 'replayed-bars.csv'} --interval {QUOTE_SECONDS:g}   (here: in-process)"
        )
        rows = _trade(console, target, sim, session)
    finally:
        sim.stop()
    console.print(frame_table(pd.DataFrame(rows), "the OANDA account and the node"))


def _sim_config(target: LiveTarget, folder: Path) -> SimConfig:
    bars = folder / "replayed-bars.csv"
    target.bars.iloc[-REPLAY_BARS:].to_csv(bars, index_label="timestamp")
    return SimConfig(
        port=free_port(), token=SecretStr(TOKEN), data=bars, interval=QUOTE_SECONDS,
        heartbeat_interval=1.0,
    )  # fmt: skip


def _session(target: LiveTarget, folder: Path, sim: OandaSimulator) -> Session:
    state, catalog = folder / "node", folder / "catalog"
    venue_file = _venue_file(folder, sim.port, _oanda_name(target))
    extra = ["--catalog", str(catalog)]
    command = node_process.start_command(target, "oanda", venue_file, state, extra)
    env = {"GAUNTLET_SECRETS__BACKEND": "env", f"GAUNTLET_SECRET_{TOKEN_SECRET.upper()}": TOKEN}
    return Session(folder, state, catalog, command, env)


def _venue_file(folder: Path, port: int, instrument: str) -> Path:
    """The node's venue config: the simulator on loopback, its token a secret name."""
    path = folder / "oanda-demo.toml"
    path.write_text(
        "# Written by the demo: the node's OANDA v20 simulator (venues/oanda-sim.toml's kind).\n"
        f'environment = "sim"\nvenue = "{VENUE}"\nhost = "127.0.0.1"\nport = {port}\n'
        f'tls = false\ntoken_secret = "{TOKEN_SECRET}"\nhedging = false\n'
        f'heartbeat_seconds = 1\ninstruments = ["{instrument}"]\n',
        encoding="utf-8",
    )
    return path


def _trade(
    console: Console, target: LiveTarget, sim: OandaSimulator, session: Session
) -> list[dict[str, str]]:
    """A clean session, replayed; then a session killed mid-run and restarted."""
    log = (session.folder / "node-output.log").open("a", encoding="utf-8")
    try:
        console.print(f"$ gauntlet {' '.join(session.command[3:])}")
        node = node_process.launch(session.command, log, session.env)
        node_process.wait(lambda: _fills(sim) >= FILLS_BEFORE_KILL, "the node's first fills", node)
        _stop(console, session, node)
        console.print(
            f"session 1 stopped after {_fills(sim)} fills on the account, its quotes recorded"
        )
        _replay(console, target, session, run=1)
        _kill_and_restart(console, target, sim, session, log)
    finally:
        log.close()
    return _account_rows(sim, target, node_process.status(session.state))


def _kill_and_restart(
    console: Console, target: LiveTarget, sim: OandaSimulator, session: Session, log: Any
) -> None:
    state = session.state
    console.print("$ gauntlet live start ...   (the same command: session 2, the same state)")
    node = node_process.launch(session.command, log, session.env)
    node_process.wait(lambda: node_process.ready(state, run=2), "session 2", node)
    more = _fills(sim) + 1
    node_process.wait(lambda: _fills(sim) >= more, "a fill of session 2", node)
    os.kill(node.pid, signal.SIGKILL)  # mid-run: no clean stop, status.json stale
    node.wait(timeout=10)
    console.print(
        f"[red]SIGKILL[/] to the node (pid {node.pid}) after {_fills(sim)} fills on the "
        f"account; `gauntlet live status` shows: {node_process.shown(state)}"
    )
    node = node_process.launch(session.command, log, session.env)  # the same state folder
    node_process.wait(lambda: node_process.ready(state, run=3), "the restart", node)
    console.print(
        f"restarted (pid {node.pid}): reconciled with the account at start-up, net position "
        f"{_node_net(node_process.status(state), target)} where the account holds "
        f"{_account_net(sim, target)}"
    )
    more = _fills(sim) + FILLS_AFTER_RESTART
    node_process.wait(lambda: _fills(sim) >= more, "more fills", node)
    _stop(console, session, node)


def _stop(console: Console, session: Session, node: subprocess.Popen[bytes]) -> None:
    console.print(f"$ gauntlet live stop --state {session.state}")
    node_process.stop(session.state, node)


def _account_rows(
    sim: OandaSimulator, target: LiveTarget, final: dict[str, Any]
) -> list[dict[str, str]]:
    requests = list(sim.broker.received)
    ids = Counter((r.get("clientExtensions") or {}).get("id") for r in requests)
    twice = sum(1 for key, count in ids.items() if key is not None and count > 1)
    mirror = final.get("mirror") or {}
    return [
        {"": "orders at the account", "value": str(len(requests))},
        {"": "orders sent twice (client ids seen twice)", "value": str(twice)},
        {"": "fills on the account", "value": str(_fills(sim))},
        {"": "account's net position", "value": _account_net(sim, target)},
        {"": "node's net position", "value": _node_net(final, target)},
        {"": "rows the node mirrored to PostgreSQL", "value": str(mirror.get("written", "-"))},
        {"": "node state", "value": str(final.get("state"))},
    ]


def _replay(console: Console, target: LiveTarget, session: Session, run: int) -> None:
    """What `gauntlet live replay SPEC` does, in this process: the recording of the node's
    session `run` through a backtest of the same strategy, compared with the live one. (A
    restarted session starts holding the reconciled position where the replay starts flat:
    the clean first session is the one replayed.)"""
    from execution_engine.backtest.replay import replay_recording

    from gauntlet.cli.live_cmd import host_config
    from marketdata.quotes_store import read_recording, recording_dir
    from research.promotion import load_spec

    folder = recording_dir(session.catalog, target.name, run)
    console.print(f"$ gauntlet live replay {target.spec} --catalog {session.catalog} --run {run}")
    spec = load_spec(target.spec)
    result = replay_recording(read_recording(folder), host_config(spec), target.instrument)
    console.print(
        f"replayed {folder}: {result.quotes:,} recorded quotes → {len(result.bars):,} bars, "
        f"{len(result.orders)} orders"
    )
    live_orders = result.live_orders or []
    if result.difference is None and result.live_orders is not None:
        console.print(
            f"replay [green]MATCHES[/]: the same bars and decisions as the live session "
            f"({len(live_orders)} orders: bar, side, target; {result.quantity_differences} "
            "of another quantity, sized on the replay's own equity)"
        )
    else:
        why = result.difference or "; ".join(result.problems) or "nothing live was recorded"
        console.print(f"replay [red]DIFFERS[/]: {why}")


def _oanda_name(target: LiveTarget) -> str:
    return target.instrument.replace("/", "_").upper()  # EUR/USD → EUR_USD


def _fills(sim: OandaSimulator) -> int:
    return sum(1 for t in sim.broker.log.since(0) if t["type"] == "ORDER_FILL")


def _account_net(sim: OandaSimulator, target: LiveTarget) -> str:
    long, short = sim.broker.book.side_units(_oanda_name(target))
    return node_process.signed(Decimal(long + short))


def _node_net(status: dict[str, Any], target: LiveTarget) -> str:
    return node_process.node_net(status, f"{target.instrument}.{VENUE}")
