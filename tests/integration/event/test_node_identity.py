"""The identity a paper node writes into status.json, and how `gauntlet kill` checks it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from execution_engine.paper.identity import NodeIdentity, is_running, process_started, this_node


def test_this_process_is_running_as_itself() -> None:
    me = this_node("PAPER-001", "uuid")

    assert me.pid == os.getpid()
    assert me.started == process_started(os.getpid()) is not None
    assert is_running(me) is None
    assert NodeIdentity.from_dict(me.to_dict()) == me
    assert this_node("PAPER-001", "uuid").token != me.token  # new for every run


def test_a_dead_pid_and_a_reused_pid_are_told_apart() -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    gone = NodeIdentity("PAPER-001", "uuid", int(child.stdout), 1, "t")
    reused = NodeIdentity("PAPER-001", "uuid", os.getpid(), 1, "t")  # alive, started later

    assert "is not running" in (is_running(gone) or "")
    assert "is not that node" in (is_running(reused) or "")


def test_what_is_not_an_identity_is_none() -> None:
    assert NodeIdentity.from_dict(None) is None
    assert NodeIdentity.from_dict({"pid": "x"}) is None
    assert NodeIdentity.from_dict([1, 2]) is None


def test_kill_without_run_picks_the_node_that_started_last(tmp_path: Path) -> None:
    """status.json is rewritten at every heartbeat: its mtime is no start order."""
    from execution_engine.paper.control import newest_running
    from execution_engine.paper.identity import PAPER_RUN_KIND

    me = this_node("PAPER-001", "uuid").to_dict()
    for name, started_at in (("later", 200.0), ("earlier", 100.0)):  # earlier written last
        (tmp_path / name).mkdir()
        status = {"kind": PAPER_RUN_KIND, "state": "running", "node": me, "started_at": started_at}
        (tmp_path / name / "status.json").write_text(json.dumps(status))

    assert newest_running(tmp_path) == tmp_path / "later"
