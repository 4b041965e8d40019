"""Strategy registry: stages in PostgreSQL (the runtime's truth), model versions and stage
aliases in MLflow's model registry. See live/registry/registry.py for the concurrency design.
The ladder (stages, order, allowed transitions) is research.promotion.stages; Registry is the
promotion workflow's registry port (research.promotion.ports.StageRegistry)."""

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

__all__ = [
    "Registry",
    "RegistryError",
    "RegistryInputError",
    "RegistryUnavailableError",
    "StageConflictError",
    "StageOrderError",
    "StageRecord",
    "model_name",
]
