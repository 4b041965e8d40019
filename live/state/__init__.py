"""Real-time state in Redis (quotes, positions, status, heartbeats) rebuildable from PostgreSQL,
and the durable ledger of bus messages each consumer has applied."""

from live.state.applied_ledger import (
    AlreadyAppliedError,
    NotInTransactionError,
    PostgresLedger,
    prune_applied_messages,
)
from live.state.durable import RebuildReport, rebuild_from_postgres, save_position, save_status
from live.state.models import ComponentStatus, Position, Quote, Update
from live.state.store import RealtimeState, StateTTL

__all__ = [
    "AlreadyAppliedError",
    "ComponentStatus",
    "NotInTransactionError",
    "Position",
    "PostgresLedger",
    "Quote",
    "RealtimeState",
    "RebuildReport",
    "StateTTL",
    "Update",
    "prune_applied_messages",
    "rebuild_from_postgres",
    "save_position",
    "save_status",
]
