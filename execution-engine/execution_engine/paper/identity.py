"""Who a node is (paper or live): what it writes into status.json at start, so that `gauntlet kill` can
tell the node it means from a folder that merely exists, a run that ended, or a pid that the
operating system has since given to another process.

A pid alone is not an identity (pids are reused); the pid with the process's start time is,
for as long as the machine stays up. The random token tells two runs apart even then.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# Written into status.json as `kind`: a folder whose status.json has neither is no node's.
PAPER_RUN_KIND = "gauntlet.paper"  # a paper run folder (execution_engine.paper.session)
LIVE_RUN_KIND = "gauntlet.live"  # a live state folder (execution_engine.live.session)
RUN_KINDS: dict[str, str] = {PAPER_RUN_KIND: "paper", LIVE_RUN_KIND: "live"}


@dataclass(frozen=True)
class NodeIdentity:
    trader_id: str
    instance_id: str  # the NautilusTrader kernel's UUID, new for every node
    pid: int
    started: int | None  # process start time, clock ticks since boot (None: not on Linux)
    token: str  # random, new for every run

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> NodeIdentity | None:
        """The identity written by a node, or None when `data` is not one."""
        if not isinstance(data, dict):
            return None
        try:
            identity = cls(
                trader_id=str(data["trader_id"]),
                instance_id=str(data["instance_id"]),
                pid=int(data["pid"]),
                started=None if data["started"] is None else int(data["started"]),
                token=str(data["token"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return identity


def this_node(trader_id: str, instance_id: str) -> NodeIdentity:
    """The identity of the node running in this process."""
    pid = os.getpid()
    return NodeIdentity(trader_id, instance_id, pid, process_started(pid), secrets.token_hex(8))


def process_started(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot), or None if there is no such
    process or no /proc to ask."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 2 (the command name) is in parentheses and may hold spaces or ')': split after it.
    fields = stat.rpartition(")")[2].split()
    return int(fields[19])  # field 22 of the whole line: starttime


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists and has not exited (a zombie, exited and waiting for its
    parent to reap it, is not alive: its node is gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists; it belongs to someone else
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc to ask: kill(0) is all there is
    return stat.rpartition(")")[2].split()[0] != "Z"  # field 3, after the command name


def is_running(identity: NodeIdentity) -> str | None:
    """None when `identity`'s process is alive and is that node; otherwise what was found."""
    if not pid_alive(identity.pid):
        return f"pid {identity.pid} is not running (the node crashed or was killed)"
    started = process_started(identity.pid)
    if identity.started is not None and started is not None and started != identity.started:
        return (
            f"pid {identity.pid} is alive but is not that node (started at tick {started}, "
            f"the node at {identity.started}: the pid was reused)"
        )
    return None
