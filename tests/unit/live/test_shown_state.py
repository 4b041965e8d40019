"""What `gauntlet live status` shows for a status.json: a node that says it is up but whose
process is gone, or whose heartbeat stopped, is crashed."""

from __future__ import annotations

import os
import time
from typing import Any

from execution_engine.live.status import STALE_SECONDS, shown_state
from execution_engine.paper.identity import this_node


def status(state: str, heartbeat: float | None, pid: int | None = None) -> dict[str, Any]:
    node = this_node("GAUNTLET-1", "uuid").to_dict()
    if pid is not None:
        node |= {"pid": pid, "started": None}
    return {"state": state, "node": node, "heartbeat": heartbeat}


def test_an_up_node_with_a_fresh_heartbeat_is_shown_as_it_says() -> None:
    assert shown_state(status("running", time.time())) == ("running", None)
    assert shown_state(status("halted", time.time())) == ("halted", None)


def test_a_stale_heartbeat_is_crashed() -> None:
    now = time.time()
    shown, why = shown_state(status("running", now - STALE_SECONDS - 5), now)
    assert shown == "crashed"
    assert why is not None
    assert "no heartbeat" in why


def test_a_dead_pid_is_crashed() -> None:
    shown, why = shown_state(status("running", time.time(), pid=2**22 - 7))
    assert shown == "crashed"
    assert why is not None
    assert "not running" in why


def test_a_stopped_node_is_shown_stopped_whatever_its_pid() -> None:
    assert shown_state(status("stopped", None, pid=os.getpid())) == ("stopped", None)
