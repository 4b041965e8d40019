"""The demo's live chapter on MetaTrader 5: the promoted strategy trading through the bridge
on the terminal simulator, a bridge drop in the middle of an order, a SIGKILL, a restart.

The simulator (the EA side, `gauntlet sim mt5` in this process) replays the spec's latest
bars as ticks and dials the node's bridge over TLS with its token; the node is `gauntlet live
start --venue mt5` in a process of its own. Mid-run the simulator drops the connection after
an order reached its trade server and before the answer (the outcome unknown to the node),
and the node is killed with SIGKILL; the terminal's ledger shows each order sent once.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
from execution_engine.adapters.fix.devca import generate_dev_ca
from execution_engine.adapters.mt5.auth import new_token
from execution_engine.adapters.mt5.codes import MarginMode, Op
from execution_engine.adapters.mt5.keys import key_of
from execution_engine.adapters.mt5.providers import mt5_instrument_id, mt5_symbol
from execution_engine.adapters.mt5.sim.config import EngineConfig
from execution_engine.adapters.mt5.sim.terminal import SimTerminalConfig, TerminalSimulator
from rich.console import Console

from gauntlet.cli import demo_live as node_process
from gauntlet.cli.demo_live import FILLS_AFTER_RESTART, FILLS_BEFORE_KILL, LiveTarget
from gauntlet.cli.render import frame_table
from live.stack._process import free_port

REPLAY_BARS = 1_500  # the spec's latest bars, replayed as ticks (the strategy warms up first)
TICK_SECONDS = 0.005  # between ticks: four ticks a bar, fifty bars a second
TERMINAL = "demo-terminal-1"
TOKEN_SECRET = "mt5_demo_token"
VENUE = "MT5"


def run_mt5_chapter(console: Console, target: LiveTarget, folder: Path) -> None:
    """Terminal simulator up, node started, a bridge drop mid-order, a SIGKILL, a restart,
    a clean stop; then the terminal's ledger and the node side by side."""
    shutil.rmtree(folder, ignore_errors=True)  # every run starts from an empty terminal
    folder.mkdir(parents=True)
    port, token = free_port(), new_token(TERMINAL, dt.datetime.now(dt.UTC) + dt.timedelta(1))
    venue_file = _venue_file(folder, port)
    sim = TerminalSimulator(_sim_config(target, folder, port, token))
    sim.start()  # dials the bridge, and keeps dialing until the node listens
    try:
        rows = _trade(console, target, sim, venue_file, folder, token)
    finally:
        sim.stop()
    console.print(frame_table(pd.DataFrame(rows), "the terminal's ledger and the node"))


def _trade(
    console: Console, target: LiveTarget, sim: TerminalSimulator, venue_file: Path,
    folder: Path, token: str,
) -> list[dict[str, str]]:  # fmt: skip
    state = folder / "node"
    env = {"GAUNTLET_SECRETS__BACKEND": "env", f"GAUNTLET_SECRET_{TOKEN_SECRET.upper()}": token}
    command = node_process.start_command(target, "mt5", venue_file, state)
    log = (folder / "node-output.log").open("a", encoding="utf-8")
    console.print(f"$ gauntlet {' '.join(command[3:])}")
    node = node_process.launch(command, log, env)
    node_process.wait(lambda: _deals(sim) >= FILLS_BEFORE_KILL, "the node's first deals", node)
    _drop_mid_order(console, sim, node)
    node = _kill_and_restart(console, target, sim, command, log, env, state, node)
    more = _deals(sim) + FILLS_AFTER_RESTART
    node_process.wait(lambda: _deals(sim) >= more, "more deals", node)
    node_process.stop(state, node)
    log.close()
    return _ledger_rows(sim, target, node_process.status(state))


def _drop_mid_order(
    console: Console, sim: TerminalSimulator, node: subprocess.Popen[bytes]
) -> None:
    connects, deals = sim.link.connects, _deals(sim)
    sim.link.faults.drop_after_next = "order_send"
    node_process.wait(
        lambda: sim.link.connects > connects and _deals(sim) > deals,
        "the bridge to drop mid-order and the terminal to dial in again",
        node,
    )
    console.print(
        "[red]bridge dropped[/] after an order reached the terminal's trade server and before "
        "its answer; the EA dialed in again and the node looked the order up by its key "
        "(never sent it again)"
    )


def _kill_and_restart(
    console: Console, target: LiveTarget, sim: TerminalSimulator, command: list[str], log: Any,
    env: dict[str, str], state: Path, node: subprocess.Popen[bytes],
) -> subprocess.Popen[bytes]:  # fmt: skip
    os.kill(node.pid, signal.SIGKILL)  # mid-run: no clean stop, status.json stale
    node.wait(timeout=10)
    console.print(
        f"[red]SIGKILL[/] to the node (pid {node.pid}) after {_deals(sim)} deals at the "
        f"terminal; `gauntlet live status` shows: {node_process.shown(state)}"
    )
    node = node_process.launch(command, log, env)  # the same command, the same state folder
    node_process.wait(lambda: node_process.ready(state, run=2), "the restarted node", node)
    console.print(
        f"restarted (pid {node.pid}): the terminal dialed in to the new bridge, reconciled: "
        f"net position {_node_net(node_process.status(state), target)} where the terminal "
        f"holds {_terminal_net(sim, target)}"
    )
    return node


def _ledger_rows(
    sim: TerminalSimulator, target: LiveTarget, final: dict[str, Any]
) -> list[dict[str, str]]:
    orders = sim.engine.handle(Op.HISTORY_ORDERS.value, {"from_ms": 0})["orders"]
    keys = Counter(key_of(order["comment"]) for order in orders)
    twice = sum(1 for key, count in keys.items() if key is not None and count > 1)
    mirror = final.get("mirror") or {}
    return [
        {"": "orders at the terminal", "value": str(len(orders))},
        {"": "orders sent twice (keys seen twice)", "value": str(twice)},
        {"": "deals at the terminal", "value": str(_deals(sim))},
        {"": "bridge connections", "value": str(sim.link.connects)},
        {"": "terminal's net position", "value": _terminal_net(sim, target)},
        {"": "node's net position", "value": _node_net(final, target)},
        {"": "rows the node mirrored to PostgreSQL", "value": str(mirror.get("written", "-"))},
        {"": "node state", "value": str(final.get("state"))},
    ]


def _venue_file(folder: Path, port: int) -> Path:
    """The node's venue config: the bridge on loopback TLS (a dev CA in the chapter's
    folder), the terminal's token a secret name, a netting account."""
    tls = folder / "tls"
    generate_dev_ca(tls)
    path = folder / "mt5-demo.toml"
    path.write_text(
        "# Written by the demo: the node's bridge for the terminal simulator.\n"
        f'platform = "mt5"\nvenue = "{VENUE}"\ntoken_secret = "{TOKEN_SECRET}"\n'
        f'dev_tls_dir = "{tls}"\nmargin_mode = "netting"\nconnect_timeout_seconds = 30\n\n'
        f'[bridge]\nhost = "127.0.0.1"\nport = {port}\nterminal = "{TERMINAL}"\n',
        encoding="utf-8",
    )
    return path


def _sim_config(target: LiveTarget, folder: Path, port: int, token: str) -> SimTerminalConfig:
    bars = folder / "replayed-bars.csv"
    target.bars.iloc[-REPLAY_BARS:].to_csv(bars, index_label="timestamp")
    return SimTerminalConfig(
        port=port, token=token, terminal=TERMINAL, ca_file=folder / "tls" / "ca.pem",
        engine=EngineConfig(margin_mode=MarginMode.NETTING), bars=bars,
        interval=TICK_SECONDS, symbol=_symbol(target), backoff=(0.2, 0.5, 1.0),
    )  # fmt: skip


def _symbol(target: LiveTarget) -> str:
    return mt5_symbol(mt5_instrument_id(target.instrument, VENUE))


def _deals(sim: TerminalSimulator) -> int:
    return len(sim.engine.handle(Op.HISTORY_DEALS.value, {"from_ms": 0})["deals"])


def _terminal_net(sim: TerminalSimulator, target: LiveTarget) -> str:
    symbol = _symbol(target)
    units = sim.engine.net_volume(symbol) * sim.engine.contract_size(symbol)
    whole = units.to_integral_value()  # lots × contract: "-113,000" as the node prints it
    return node_process.signed(whole if units == whole else units)


def _node_net(status: dict[str, Any], target: LiveTarget) -> str:
    return node_process.node_net(status, mt5_instrument_id(target.instrument, VENUE).value)
