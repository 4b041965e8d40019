"""Pre-trade risk, configured per run, and the kill switch that halts a running node.

Risk limits map onto NautilusTrader's `RiskEngine`: a submit-rate limit, a maximum notional
per order (orders above it are DENIED before they reach the venue) and the trading state:
ACTIVE (everything allowed), REDUCING (only orders that reduce a position), HALTED (every
new order denied; cancels still allowed).

Kill switch: a control file in the run folder. `gauntlet kill` writes the wanted state
into it (first line) with a random request token (second line); the node polls it at every
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
from typing import Any

import pandas as pd
from nautilus_trader.config import LiveRiskEngineConfig
from nautilus_trader.model.enums import TradingState

CONTROL_FILE = "control"
STATES: tuple[str, ...] = ("ACTIVE", "REDUCING", "HALTED")


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


def write_state(run_dir: Path, state: str = "HALTED", token: str = "") -> Path:
    """Ask the node running in `run_dir` to move to `state`; `token` names the request in the
    node's acknowledgement (execution_engine.paper.control.request_state is what `gauntlet
    kill` calls: it checks the node first and waits for the acknowledgement)."""
    wanted = state.upper()
    if wanted not in STATES:
        raise ControlFileError(f"unknown trading state {state!r} (choose from {', '.join(STATES)})")
    path = run_dir / CONTROL_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(wanted + "\n" + (token + "\n" if token else ""))
    os.replace(tmp, path)  # atomic: the node never reads a half-written file
    return path


def read_state(path: Path) -> str:
    return read_request(path)[0]


def read_request(path: Path) -> tuple[str, str]:
    """(trading state, request token or "") from a control file."""
    first, _, rest = path.read_text().partition("\n")
    text = first.strip().upper()
    if text not in STATES:
        raise ControlFileError(f"{path}: {text!r} is not a trading state ({', '.join(STATES)})")
    return text, rest.strip()


class KillSwitch:
    """Polls the control file and applies the state to the node's risk engine; `token` is
    the last request applied (what the node acknowledges)."""

    def __init__(
        self, run_dir: Path, risk_engine: Any, on_change: Callable[[str], None] | None = None
    ) -> None:
        self._path = run_dir / CONTROL_FILE
        self._risk_engine = risk_engine
        self._on_change = on_change
        self._seen_mtime = self._path.stat().st_mtime_ns if self._path.exists() else 0
        self.state = "ACTIVE"
        self.token = ""

    def __call__(self) -> None:
        """One poll: cheap when nothing changed (a single stat)."""
        try:
            mtime = self._path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self._seen_mtime:
            return
        self._seen_mtime = mtime
        try:
            state, token = read_request(self._path)
        except (ControlFileError, OSError) as exc:
            if self._on_change is not None:
                self._on_change(f"ignored control file: {exc}")
            return
        self.apply(state, token)

    def apply(self, state: str, token: str = "") -> None:
        self._risk_engine.set_trading_state(TradingState[state])
        self.state = state
        self.token = token
        if self._on_change is not None:
            self._on_change(state)
