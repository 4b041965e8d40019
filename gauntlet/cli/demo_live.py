"""What the demo's live chapters share, whatever the venue: the promoted spec they trade,
`gauntlet live start|stop` as processes of their own (as a trader runs them in a second
terminal), and reading the node's status.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

WAIT_SECONDS = 90.0  # for a node to start, trade or stop (two busy cores)
FILLS_BEFORE_KILL = 3  # venue fills before the node is killed
FILLS_AFTER_RESTART = 2  # more fills once the restarted node trades again


@dataclass(frozen=True)
class LiveTarget:
    """What a live chapter trades: the promoted spec and the registry that holds it."""

    spec: Path
    name: str
    instrument: str  # marketdata name, e.g. EUR/USD
    bars: pd.DataFrame  # the spec's bars
    registry_args: list[str]  # --dsn, --schema, --tracking-uri of the demo's registry


def start_command(
    target: LiveTarget, venue: str, venue_config: Path, state: Path, extra: Sequence[str] = ()
) -> list[str]:
    """`gauntlet live start` of the target on the venue (`extra`: more options)."""
    return [
        sys.executable, "-m", "gauntlet", "live", "start", str(target.spec), "--venue", venue,
        "--config", str(venue_config), "--state", str(state), *target.registry_args, *extra,
        "--quiet",
    ]  # fmt: skip


def launch(command: list[str], log: Any, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, stdout=log, stderr=log, env={**os.environ, **env})


def stop(state: Path, node: subprocess.Popen[bytes]) -> None:
    """`gauntlet live stop`: SIGTERM after checking the node, then wait for "stopped"."""
    done = subprocess.run(
        [sys.executable, "-m", "gauntlet", "live", "stop", "--state", str(state)],
        capture_output=True, text=True, timeout=WAIT_SECONDS, check=False,
    )  # fmt: skip
    node.wait(timeout=WAIT_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f"gauntlet live stop failed: {done.stderr.strip()}")


def wait(condition: Callable[[], bool], what: str, node: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if node.poll() is not None:
            raise RuntimeError(f"the live node exited ({node.returncode}) before {what}")
        if time.monotonic() > deadline:
            node.kill()
            raise RuntimeError(f"no {what} within {WAIT_SECONDS:g} s")
        time.sleep(0.1)


def status(state: Path) -> dict[str, Any]:
    try:
        found = json.loads((state / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def ready(state: Path, run: int) -> bool:
    """The node of session `run` has started: connected, reconciled, its strategy running."""
    found = status(state)
    return found.get("run") == run and found.get("ready_at") is not None


def shown(state: Path) -> str:
    from execution_engine.live.status import shown_state

    state_shown, why = shown_state(status(state))
    return state_shown if why is None else f"{state_shown} ({why})"


def node_net(found: dict[str, Any], instrument_id: str) -> str:
    pnl = (found.get("pnl") or {}).get(instrument_id) or {}
    return signed(Decimal(str(pnl.get("net_position", "0"))))


def signed(units: Decimal) -> str:
    return f"{units:+,}" if units else "flat"
