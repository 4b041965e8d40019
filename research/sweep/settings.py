"""How a sweep searches and where it runs: one frozen model, built once (by the CLI or by
`sweep()` from its keywords) and handed down to the search, the chunking and the executor."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from research.engine.config import BacktestConfig, Costs

DEFAULT_CHUNK_SIZE = 16
DEFAULT_MA_BUDGET = 1 << 30  # bytes of moving averages shared across all chunks (local runs)
# Searches larger than this are refused (a grid is counted before it is built: 10⁹ combinations
# once filled the memory); the CLI warns past WARN_COMBOS.
DEFAULT_MAX_COMBOS = 100_000
WARN_COMBOS = 10_000


class SweepSettings(BaseModel):
    """Everything besides the strategy, the bars and the search space that a sweep needs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str = "grid"  # "grid" | "random" | "optuna" (checked by the search)
    n_iter: int = 50  # draws (random) or trials (optuna)
    seed: int = 0  # random and optuna
    fixed: dict[str, Any] | None = None  # strategy parameters held fixed
    config: BacktestConfig | None = None  # None: BacktestConfig()
    chunk_size: int = DEFAULT_CHUNK_SIZE  # combinations per chunk (memory bound)
    workers: int | None = Field(None, ge=1)  # local processes; None: the CPU count, at most 8
    scheduler: str | None = None  # Dask scheduler address; None: GAUNTLET_DASK_SCHEDULER
    metric: str = "sharpe"  # optimized by optuna, selects the walk-forward winner
    progress: bool = False  # a progress bar on stderr
    ma_budget: int = DEFAULT_MA_BUDGET  # see research.sweep.runner
    max_combos: int | None = Field(DEFAULT_MAX_COMBOS, ge=1)  # None: no limit

    @classmethod
    def build(cls, settings: SweepSettings | None, overrides: dict[str, Any]) -> SweepSettings:
        """`settings` (or the defaults) with `overrides` (field=value keywords) applied."""
        base = settings or cls()
        if not overrides:
            return base
        unknown = sorted(set(overrides) - set(cls.model_fields))
        if unknown:
            raise TypeError(f"unknown sweep setting(s): {', '.join(unknown)}")
        return cls.model_validate({**dict(base), **overrides})


def costs_of(settings: SweepSettings) -> Costs:
    """The costs every combination of a sweep with `settings` is charged."""
    return (settings.config or BacktestConfig()).costs
