"""Asking a running node (a paper run or a live state folder) to change its trading state or
to stop, and knowing that it did.

`request_state` is what `gauntlet kill` does: it checks that the folder is a node's (paper run
or live state folder) whose node is alive and is that node (execution_engine.paper.identity),
writes the request with a fresh token into the control file, and waits, bounded, for the node
to acknowledge that token in status.json. `request_stop` is `gauntlet live stop`: the same
identity check, then SIGTERM, then a bounded wait for status.json to say "stopped" and the
process to be gone. Anything else (not a run folder, a finished or crashed run, a reused pid,
no acknowledgement in time) is a `KillError` saying what was found: a kill that cannot prove
it reached the node must never look like one that did.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from execution_engine.paper.identity import RUN_KINDS, NodeIdentity, is_running, pid_alive
from execution_engine.paper.journal import STATUS_FILE
from execution_engine.risk import CONTROL_FILE, write_state

# The states of a node that is up: a live node whose trading state is HALTED says "halted".
UP_STATES = ("running", "halted")
DEFAULT_TIMEOUT = 5.0  # seconds; the node polls the control file about five times a second
POLL_INTERVAL = 0.05
NOT_A_RUN = "not a paper run or live state folder"


class KillError(ValueError):
    """The request could not be shown to reach a running node (bad input: exit 2)."""


@dataclass(frozen=True)
class Acknowledged:
    run_dir: Path
    state: str
    node: NodeIdentity
    waited: float  # seconds from the request to the acknowledgement
    control: dict[str, Any] = field(default_factory=dict)  # the node's acknowledgement
    status: dict[str, Any] = field(default_factory=dict)  # status.json when acknowledged


def request_state(
    run_dir: Path, state: str, timeout: float = DEFAULT_TIMEOUT, *, flatten: bool = False
) -> Acknowledged:
    """Move the node running in `run_dir` to `state` (with `flatten`: close every position,
    then HALTED); returns once the node says it did."""
    node = running_node(run_dir)
    token = secrets.token_hex(8)
    asked = time.monotonic()
    write_state(run_dir, "HALTED" if flatten else state, token, flatten=flatten)
    while True:
        status = _read_status(run_dir)
        control = status.get("control")
        if isinstance(control, dict) and control.get("token") == token:
            waited = time.monotonic() - asked
            state = str(control.get("state"))
            return Acknowledged(run_dir, state, node, waited, control, status)
        if time.monotonic() - asked >= timeout:
            raise KillError(_no_acknowledgement(run_dir, node, status, timeout))
        if (reason := is_running(node)) is not None:
            raise KillError(f"node in {run_dir} stopped before acknowledging: {reason}")
        time.sleep(POLL_INTERVAL)


def request_stop(run_dir: Path, timeout: float = DEFAULT_TIMEOUT) -> NodeIdentity:
    """SIGTERM the node running in `run_dir` and wait until status.json says "stopped" and
    its process is gone; KillError saying what was found otherwise."""
    node = running_node(run_dir)
    os.kill(node.pid, signal.SIGTERM)
    asked = time.monotonic()
    while True:
        state = _read_status(run_dir).get("state")
        gone = not pid_alive(node.pid)
        if state == "stopped" and gone:
            return node
        if gone:
            raise KillError(
                f"node {node.trader_id} (pid {node.pid}) in {run_dir} exited without a clean "
                f"stop: status.json says {state}"
            )
        if time.monotonic() - asked >= timeout:
            raise KillError(
                f"node {node.trader_id} (pid {node.pid}) in {run_dir} is still running "
                f"{timeout:g} s after SIGTERM (status.json says {state}); try a longer --timeout"
            )
        time.sleep(POLL_INTERVAL)


def running_node(run_dir: Path) -> NodeIdentity:
    """The identity of the running node writing `run_dir`, or a KillError saying what is
    there."""
    try:
        found = run_dir.exists(), run_dir.is_dir(), (run_dir / STATUS_FILE).is_file()
    except OSError as exc:  # e.g. a name too long: exists() raises instead of saying no
        raise KillError(f"run folder {run_dir} cannot be looked up: {exc.strerror}") from None
    exists, is_dir, has_status = found
    if not exists:
        raise KillError(f"run folder not found: {run_dir}")
    if not is_dir:
        raise KillError(f"{NOT_A_RUN}: {run_dir} is a file, not a run folder")
    if not has_status:
        raise KillError(f"{NOT_A_RUN}: {run_dir} has no {STATUS_FILE}")
    status = _read_status(run_dir, strict=True)
    node = NodeIdentity.from_dict(status.get("node"))
    kind = RUN_KINDS.get(str(status.get("kind")))
    if kind is None or node is None:
        raise KillError(f"{NOT_A_RUN}: {run_dir / STATUS_FILE} was not written by a node")
    label = "paper run" if kind == "paper" else "live node in"
    state = status.get("state")
    if state not in UP_STATES:
        raise KillError(f"{label} {run_dir} is {state}: no node is running there")
    if (reason := is_running(node)) is not None:
        raise KillError(f"{label} {run_dir}: status.json says running, but {reason}")
    return node


def newest_running(root: Path, *more: Path) -> Path:
    """The run folder under `root` (and the `more` roots: paper runs, live state folders)
    whose running node started last."""
    roots = (root, *more)
    found = (p for r in roots for p in r.glob("*") if (p / STATUS_FILE).is_file())
    runs = sorted(found, key=_started_at)
    where = " nor under ".join(str(r.absolute()) for r in roots)
    if not runs:
        raise KillError(f"no paper run or live state folder found under {where}; pass --run DIR")
    for run_dir in reversed(runs):
        try:
            running_node(run_dir)
        except KillError:
            continue
        return run_dir
    raise KillError(
        f"no running paper node under {where} ({len(runs)} run folder(s), none with a "
        f"running node; the newest, {runs[-1].name}, is "
        f"{_read_status(runs[-1]).get('state', 'unknown')})"
    )


def _started_at(run_dir: Path) -> float:
    """When the run's node started (status.json is rewritten by every heartbeat, so its
    mtime says which node beat last, not which started last)."""
    started = _read_status(run_dir).get("started_at")
    return (
        float(started)
        if isinstance(started, int | float)
        else (run_dir / STATUS_FILE).stat().st_mtime
    )


def _read_status(run_dir: Path, strict: bool = False) -> dict[str, Any]:
    path = run_dir / STATUS_FILE
    try:
        status = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        if strict:
            raise KillError(f"{NOT_A_RUN}: {path} is unreadable ({exc})") from None
        return {}
    if not isinstance(status, dict):
        if strict:
            raise KillError(f"{NOT_A_RUN}: {path} is not a JSON object")
        return {}
    return status


def _no_acknowledgement(
    run_dir: Path, node: NodeIdentity, status: dict[str, Any], timeout: float
) -> str:
    beat = status.get("heartbeat")
    age = f"{time.time() - beat:.1f} s ago" if isinstance(beat, int | float) else "never"
    return (
        f"no acknowledgement from node {node.trader_id} (pid {node.pid}) in {run_dir} "
        f"within {timeout:g} s (last heartbeat {age}); the request stays in "
        f"{run_dir / CONTROL_FILE} and applies when the node next reads it"
    )
