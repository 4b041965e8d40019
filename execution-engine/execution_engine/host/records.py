"""What the host records while it runs: the raw outputs an engine turns into a result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Event = dict[str, Any]
Listener = Callable[[Event], None]


@dataclass
class HostRecords:
    """Per-bar marks plus a list of events (orders, fills, reports), in arrival order."""

    times_ns: list[int] = field(default_factory=list)  # bar open time
    equity: list[float] = field(default_factory=list)  # account value at the bar's close
    positions: list[list[float]] = field(default_factory=list)  # units per instrument, signed
    # Margin level (%) at each marked close (ADR 0002 §12); NaN while no margin is used.
    margin_level: list[float] = field(default_factory=list)
    raw_targets: list[list[float]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        self.events.append(event)
        for listener in self.listeners:
            listener(event)

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e["kind"] == kind]
