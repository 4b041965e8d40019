"""The paper run folder: what happened, written as it happens, readable by a later run and the
dashboard while the node is still running.

    <run>/events.jsonl   orders, fills, rejections, denials, reports, marks (equity, positions)
    <run>/status.json    the node's identity (execution_engine.paper.identity), state (running |
                         finished | stopped | crashed), heartbeat, trading state, the last
                         kill request acknowledged, strategy, instruments, speed
    <run>/summary.json   written at the end: counts, final equity, trading state
    <run>/control        written by `gauntlet kill`; polled by the node at every bar
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

EVENTS_FILE = "events.jsonl"
STATUS_FILE = "status.json"
SUMMARY_FILE = "summary.json"


class RunJournal:
    """A host-records listener appending each event as one JSON line (flushed at once)."""

    def __init__(self, run_dir: Path, echo: Callable[[dict[str, Any]], None] | None = None) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir = run_dir
        self._echo = echo
        self._events = (run_dir / EVENTS_FILE).open("a", encoding="utf-8")
        self._status: dict[str, Any] = {"pid": os.getpid()}

    def __call__(self, event: dict[str, Any]) -> None:
        self._events.write(json.dumps(event, default=str) + "\n")
        self._events.flush()
        if self._echo is not None:
            self._echo(event)

    def status(self, **fields: Any) -> None:
        """Update these fields of status.json (the others keep their last value)."""
        self._status.update(fields)
        write_json(self.run_dir / STATUS_FILE, self._status)

    def summary(self, summary: dict[str, Any]) -> None:
        write_json(self.run_dir / SUMMARY_FILE, summary)

    def close(self) -> None:
        self._events.close()


def write_json(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / EVENTS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
