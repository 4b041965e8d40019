"""Pre-trade risk, configured per run, and the kill switch that halts a running node.

Risk limits map onto NautilusTrader's `RiskEngine`: a submit-rate limit, a maximum notional
per order (orders above it are DENIED before they reach the venue) and the trading state:
ACTIVE (everything allowed), REDUCING (only orders that reduce a position), HALTED (every
new order denied; cancels still allowed).

Kill switch: a control file in the run folder. `gauntlet kill` writes the wanted state
into it (first line) with a random request token (second line) and, for `--flatten`, the word
`flatten` (third line: close every position through the risk engine, then halt; the node's
`Flattener`, execution_engine.live.flatten, does it); the node polls it at every
bar close, before the strategy decides, and on its heartbeat between bars, so a kill takes
effect within one bar and the order the strategy would have sent on that bar is already
denied. The node acknowledges by writing the token it applied into status.json
(execution_engine.paper.control waits for that). A file (not a socket or NATS) because it
needs no server, survives the CLI exiting before the node reads it, and one `stat` per bar
costs microseconds.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from nautilus_trader.config import LiveRiskEngineConfig
from nautilus_trader.model.enums import TradingState

CONTROL_FILE = "control"
STATES: tuple[str, ...] = ("ACTIVE", "REDUCING", "HALTED")
FLATTEN = "flatten"  # the control file's third line: close every position, then halt


class ControlFileError(ValueError):
    """A control file that does not name a trading state."""


class RiskLimitsError(ValueError):
    """A risk limit the risk engine cannot enforce; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RiskLimits:
    """What the risk engine enforces; every field has a deliberate default, none is implicit.

    Checked at construction (RiskLimitsError): NautilusTrader parses the rate only when the
    node is built and reports garbage as a bare ValueError from deep inside its risk engine.
    """

    max_order_submit_rate: str = "100/00:00:01"  # orders per interval, NautilusTrader syntax
    max_notional_per_order: float | None = 1_000_000.0  # quote currency; None = no cap
    initial_state: str = "ACTIVE"

    def __post_init__(self) -> None:
        submit_rate_limit(self.max_order_submit_rate)
        cap = self.max_notional_per_order
        if cap is not None and not (math.isfinite(cap) and cap >= 1):
            # The engine takes whole units of quote currency: below 1 would be a cap of 0.
            raise RiskLimitsError(
                "max_notional_per_order", f"must be a finite amount of at least 1, got {cap!r}"
            )
        if self.initial_state not in STATES:
            raise RiskLimitsError(
                "initial_state", f"must be one of {', '.join(STATES)}, got {self.initial_state!r}"
            )

    def nautilus_config(self, instrument_ids: list[str]) -> LiveRiskEngineConfig:
        """The live risk engine's configuration (backtests build theirs from `VenueConfig`)."""
        caps = {}
        if self.max_notional_per_order is not None:
            caps = {i: int(self.max_notional_per_order) for i in instrument_ids}
        return LiveRiskEngineConfig(
            max_order_submit_rate=self.max_order_submit_rate, max_notional_per_order=caps
        )


def submit_rate_limit(rate: str) -> tuple[int, pd.Timedelta]:
    """'100/00:00:01' → (100, 1 s), parsed as NautilusTrader's risk engine parses it."""
    limit, sep, interval = rate.partition("/")
    expected = "expected N/HH:MM:SS, e.g. 100/00:00:01"
    try:
        count, span = int(limit), pd.to_timedelta(interval)
    except ValueError:
        raise RiskLimitsError("max_order_submit_rate", f"{expected}, got {rate!r}") from None
    if not sep or count <= 0 or pd.isna(span) or span <= pd.Timedelta(0):
        raise RiskLimitsError("max_order_submit_rate", f"{expected} (both positive), got {rate!r}")
    return count, span


def write_state(
    run_dir: Path, state: str = "HALTED", token: str = "", *, flatten: bool = False
) -> Path:
    """Ask the node running in `run_dir` to move to `state` (with `flatten`: to close every
    position first, then halt); `token` names the request in the node's acknowledgement
    (execution_engine.paper.control.request_state is what `gauntlet kill` calls: it checks
    the node first and waits for the acknowledgement)."""
    wanted = state.upper()
    if wanted not in STATES:
        raise ControlFileError(f"unknown trading state {state!r} (choose from {', '.join(STATES)})")
    path = run_dir / CONTROL_FILE
    tmp = path.with_suffix(".tmp")
    lines = [wanted, token, FLATTEN] if flatten else [wanted, token] if token else [wanted]
    tmp.write_text("".join(line + "\n" for line in lines))
    os.replace(tmp, path)  # atomic: the node never reads a half-written file
    return path


def read_state(path: Path) -> str:
    return read_request(path)[0]


def read_request(path: Path) -> tuple[str, str]:
    """(trading state, request token or "") from a control file."""
    state, token, _ = read_control(path)
    return state, token


def read_control(path: Path) -> tuple[str, str, bool]:
    """(trading state, request token or "", whether to flatten) from a control file."""
    lines = [line.strip() for line in path.read_text().splitlines()] + ["", ""]
    text = lines[0].upper()
    if text not in STATES:
        raise ControlFileError(f"{path}: {text!r} is not a trading state ({', '.join(STATES)})")
    return text, lines[1], lines[2].lower() == FLATTEN


def persisted_state(run_dir: Path) -> str | None:
    """The trading state the control file in `run_dir` asks for (None: no usable file). A
    node restarted on a folder applies it before trading: a halted node stays halted until
    a person resumes it. A pending flatten restarts as REDUCING (the new node flattens)."""
    path = run_dir / CONTROL_FILE
    try:
        state, _, flatten = read_control(path)
    except (ControlFileError, OSError):
        return None
    return "REDUCING" if flatten and state != "ACTIVE" else state


class Flattening(Protocol):
    """Closes every position through the risk engine (execution_engine.live.flatten)."""

    def begin(self, token: str) -> None:
        """Send the closing orders (the switch has just applied REDUCING)."""

    def poll(self) -> None:
        """Called at every poll of the switch: halts once flat (or gives up)."""


class KillSwitch:
    """Polls the control file and applies the state to the node's risk engine; `token` is
    the last request applied (what the node acknowledges). A request to flatten goes to
    `flattener` (without one the node cannot close positions: it halts and says so)."""

    def __init__(
        self, run_dir: Path, risk_engine: Any, on_change: Callable[[str], None] | None = None
    ) -> None:
        self._path = run_dir / CONTROL_FILE
        self._risk_engine = risk_engine
        self._on_change = on_change
        self._seen_mtime = self._path.stat().st_mtime_ns if self._path.exists() else 0
        self.state = "ACTIVE"
        self.token = ""
        self.flattener: Flattening | None = None

    def resume_persisted(self, flatten: bool = True) -> str | None:
        """Apply the state the control file already asks for (a restarted node keeps the
        trading state a person set); returns it, or None when there is none. A flatten left
        pending by the previous node is REDUCING, and begins here when `flatten` (once the
        node knows its positions)."""
        state = persisted_state(self._path.parent)
        if state is None:
            return None
        _, token, pending = read_control(self._path)
        self.apply(state, token)
        if flatten and pending and state == "REDUCING" and self.flattener is not None:
            self.flattener.begin(token)
        return state

    def __call__(self) -> None:
        """One poll: cheap when nothing changed (a single stat)."""
        if self.flattener is not None:
            self.flattener.poll()
        try:
            mtime = self._path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self._seen_mtime:
            return
        self._seen_mtime = mtime
        try:
            state, token, flatten = read_control(self._path)
        except (ControlFileError, OSError) as exc:
            if self._on_change is not None:
                self._on_change(f"ignored control file: {exc}")
            return
        if not flatten:
            self.apply(state, token)
        elif self.flattener is None:
            self.apply("HALTED", token)  # halted, positions left open: status.json says so
            if self._on_change is not None:
                self._on_change("flatten unsupported: this node halted with its positions open")
        else:
            self.apply("REDUCING", token="")  # acknowledged only once flat (the flattener)
            self.flattener.begin(token)

    def apply(self, state: str, token: str = "") -> None:
        """Set the risk engine's trading state (always: a kernel start may have reset it);
        `on_change` hears of it only when the state or the request is new."""
        self._risk_engine.set_trading_state(TradingState[state])
        changed = (state, token) != (self.state, self.token)
        self.state = state
        self.token = token
        if changed and self._on_change is not None:
            self._on_change(state)

    def settle(self, state: str, token: str) -> None:
        """Apply `state` for request `token` and make it the control file's plain request
        (a finished flatten: a restart then reads HALTED, not a flatten to redo)."""
        write_state(self._path.parent, state, token)
        self._seen_mtime = self._path.stat().st_mtime_ns  # our own write: nothing to re-read
        self.apply(state, token)
