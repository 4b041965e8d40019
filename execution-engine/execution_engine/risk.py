"""Pre-trade risk, configured per run, and the kill switch that halts a running node.

Risk limits map onto NautilusTrader's `RiskEngine`: a submit-rate limit, a maximum notional
per order (orders above it are DENIED before they reach the venue) and the trading state:
ACTIVE (everything allowed), REDUCING (only orders that reduce a position), HALTED (every
new order denied; cancels still allowed).

Kill switch: a control file in the run folder. `gauntlet kill` writes the wanted state
into it; the node polls it at every bar close, before the strategy decides, so a kill
takes effect within one bar and the order the strategy would have sent on that bar is
already denied. A file (not a socket or NATS) because it needs no server, survives the CLI
exiting before the node reads it, and one `stat` per bar costs microseconds.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nautilus_trader.config import LiveRiskEngineConfig
from nautilus_trader.model.enums import TradingState

CONTROL_FILE = "control"
STATES: tuple[str, ...] = ("ACTIVE", "REDUCING", "HALTED")


class ControlFileError(ValueError):
    """A control file that does not name a trading state."""


@dataclass(frozen=True)
class RiskLimits:
    """What the risk engine enforces; every field has a deliberate default, none is implicit."""

    max_order_submit_rate: str = "100/00:00:01"  # orders per interval, NautilusTrader syntax
    max_notional_per_order: float | None = 1_000_000.0  # quote currency; None = no cap
    initial_state: str = "ACTIVE"

    def nautilus_config(self, instrument_ids: list[str]) -> LiveRiskEngineConfig:
        """The live risk engine's configuration (backtests build theirs from `VenueConfig`)."""
        caps = {}
        if self.max_notional_per_order is not None:
            caps = {i: int(self.max_notional_per_order) for i in instrument_ids}
        return LiveRiskEngineConfig(
            max_order_submit_rate=self.max_order_submit_rate, max_notional_per_order=caps
        )


def write_state(run_dir: Path, state: str = "HALTED") -> Path:
    """Ask the node running in `run_dir` to move to `state` (what `gauntlet kill` does)."""
    wanted = state.upper()
    if wanted not in STATES:
        raise ControlFileError(f"unknown trading state {state!r} (choose from {', '.join(STATES)})")
    path = run_dir / CONTROL_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(wanted + "\n")
    os.replace(tmp, path)  # atomic: the node never reads a half-written file
    return path


def read_state(path: Path) -> str:
    text = path.read_text().strip().upper()
    if text not in STATES:
        raise ControlFileError(f"{path}: {text!r} is not a trading state ({', '.join(STATES)})")
    return text


class KillSwitch:
    """Polls the control file and applies the state to the node's risk engine."""

    def __init__(
        self, run_dir: Path, risk_engine: Any, on_change: Callable[[str], None] | None = None
    ) -> None:
        self._path = run_dir / CONTROL_FILE
        self._risk_engine = risk_engine
        self._on_change = on_change
        self._seen_mtime = self._path.stat().st_mtime_ns if self._path.exists() else 0
        self.state = "ACTIVE"

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
            state = read_state(self._path)
        except (ControlFileError, OSError) as exc:
            if self._on_change is not None:
                self._on_change(f"ignored control file: {exc}")
            return
        self.apply(state)

    def apply(self, state: str) -> None:
        self._risk_engine.set_trading_state(TradingState[state])
        self.state = state
        if self._on_change is not None:
            self._on_change(state)
