"""Faults on demand for a running terminal simulator: `faults.json` in its state folder.

`gauntlet sim fault --state DIR ...` writes the file (atomically); the simulator's loop calls
`apply_pending()` five times a second, applies what the file asks and deletes it, so each
request is applied once. What it can ask (`FaultRequest`): drop the bridge connection after
the next request of an op, before its answer; delay every answer; drop the connection now
(the EA reconnects); a requote storm of N deals; reject the next order with a text; switch
AutoTrading off or on; close a symbol's market or open it again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from execution_engine.adapters.mt5.sim.terminal import TerminalSimulator

FAULTS_FILE = "faults.json"


class FaultRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    drop_after: str | None = None  # an op, e.g. "order_send"
    delay_seconds: float | None = Field(None, ge=0, le=60)
    restart: bool = False
    requotes: int | None = Field(None, ge=0, le=10_000)
    reject_next: str | None = None
    trade_allowed: bool | None = None
    close_market: str | None = None
    open_market: str | None = None


class FaultFileError(ValueError):
    """faults.json could not be read or says something the simulator does not do."""


def write_request(state_dir: Path, request: FaultRequest) -> Path:
    """Write `request` for the simulator whose state folder is `state_dir`."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / FAULTS_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(request.model_dump_json(exclude_defaults=True), encoding="utf-8")
    os.replace(temporary, path)  # the simulator never reads half a file
    return path


class FaultControlFile:
    """The simulator's side: applies and deletes `faults.json` when it appears."""

    def __init__(self, state_dir: Path, simulator: TerminalSimulator) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / FAULTS_FILE
        self.simulator = simulator
        self.applied: list[FaultRequest] = []
        self.path.unlink(missing_ok=True)  # a request left from an earlier run is stale

    def apply_pending(self) -> FaultRequest | None:
        """The request now in the file, applied (None when there is none). A file that is
        not a request is deleted and FaultFileError says why."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError:
            self.path.unlink(missing_ok=True)
            raise FaultFileError(f"{self.path}: not UTF-8 text (not a fault request)") from None
        self.path.unlink(missing_ok=True)
        try:
            request = FaultRequest.model_validate(json.loads(text))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise FaultFileError(f"{self.path}: not a fault request: {exc}") from None
        apply(self.simulator, request)
        self.applied.append(request)
        return request


def apply(simulator: TerminalSimulator, request: FaultRequest) -> None:
    """Arm the link's and the engine's faults as `request` asks."""
    link, engine = simulator.link, simulator.engine
    if request.drop_after is not None:
        link.faults.drop_after_next = request.drop_after
    if request.delay_seconds is not None:
        link.faults.delay_seconds = request.delay_seconds
    with engine.lock:
        if request.requotes is not None:
            engine.faults.requotes = request.requotes
        if request.reject_next is not None:
            engine.faults.reject_next = request.reject_next
        if request.close_market is not None:
            engine.faults.market_closed.add(request.close_market)
        if request.open_market is not None:
            engine.faults.market_closed.discard(request.open_market)
    if request.trade_allowed is not None:
        engine.set_trade_allowed(request.trade_allowed)
    if request.restart:
        link.restart()
