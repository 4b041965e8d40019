"""What the simulator's handlers share: the data, the key, the faults and the counters."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

import msgspec

from execution_engine.adapters.polygon.sim.faults import Faults
from execution_engine.adapters.polygon.sim.series import Series


class SimStats(msgspec.Struct):
    """GET /__sim__/stats: what the simulator has served."""

    requests: int = 0
    rate_limited: int = 0
    unauthorized: int = 0
    pages: int = 0
    ws_connections: int = 0
    auth_failures: int = 0
    frames_sent: int = 0
    events_sent: int = 0
    malformed_sent: int = 0
    disconnects: int = 0


@dataclass
class SimState:
    """Shared by every handler; counters are bumped on the simulator's loop only."""

    api_key: str
    series: dict[str, Series]
    rate: float = 10.0  # frames per second per WebSocket connection
    faults: Faults = field(default_factory=Faults)
    stats: SimStats = field(default_factory=SimStats)
    resume: dict[str, int] = field(default_factory=dict)  # market -> next step of its feed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def in_market(self, market: str) -> list[Series]:
        return [s for s in self.series.values() if s.market == market]


def request_id() -> str:
    return uuid.uuid4().hex
