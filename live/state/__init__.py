"""Real-time state in Redis (quotes, positions, status, heartbeats) rebuildable from PostgreSQL."""

from live.state.durable import RebuildReport, rebuild_from_postgres, save_position, save_status
from live.state.models import ComponentStatus, Position, Quote, Update
from live.state.store import RealtimeState, StateTTL

__all__ = [
    "ComponentStatus",
    "Position",
    "Quote",
    "RealtimeState",
    "RebuildReport",
    "StateTTL",
    "Update",
    "rebuild_from_postgres",
    "save_position",
    "save_status",
]
