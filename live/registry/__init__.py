"""Strategy registry: stages in PostgreSQL (the runtime's truth), model versions and stage
aliases in MLflow's model registry. See live/registry/registry.py for the concurrency design."""

from live.registry.errors import (
    RegistryError,
    RegistryInputError,
    RegistryUnavailableError,
    StageConflictError,
    StageOrderError,
)
from live.registry.mlflow_store import model_name
from live.registry.records import StageRecord
from live.registry.registry import Registry
from live.registry.stages import ALIAS_STAGES, LADDER, STAGES

__all__ = [
    "ALIAS_STAGES",
    "LADDER",
    "STAGES",
    "Registry",
    "RegistryError",
    "RegistryInputError",
    "RegistryUnavailableError",
    "StageConflictError",
    "StageOrderError",
    "StageRecord",
    "model_name",
]
