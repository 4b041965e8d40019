"""Parameter sweeps: grid, random and Optuna search over a registered strategy's parameters,
chunked over combinations, run locally or on a Dask cluster, fused target → metrics kernel."""

from research.sweep.executor import SchedulerUnreachableError
from research.sweep.result import SweepResult
from research.sweep.runner import sweep
from research.sweep.settings import DEFAULT_CHUNK_SIZE, SweepSettings
from research.sweep.space import Range, parse_dimension

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Range",
    "SchedulerUnreachableError",
    "SweepResult",
    "SweepSettings",
    "parse_dimension",
    "sweep",
]
