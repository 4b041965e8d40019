"""`sweep()`: validated parameter sets of the chosen search, evaluated in chunks
(`research.sweep.chunks`), assembled into a SweepResult.

Peak memory bound. Every process holds the bars in kernel form (3 · n_bars · n_instruments ·
8 B: open, close, σ) plus the bars DataFrame. On top of that:
- crossover strategies (sma_cross, ema_cross) on one instrument: one moving-average column per
  distinct window — all windows of the sweep computed once in the parent when
  n_bars · windows · 8 B ≤ `ma_budget` (default 1 GiB; forked workers share them
  copy-on-write), else the windows of each chunk in its worker (≤ 2 · chunk_size columns);
- any other strategy: one target vector and the strategy's own temporaries at a time.
The parent adds 20 floats per finished combination. No bars × combinations matrix exists.
E.g. 1,000,000 bars, 1,000 SMA combinations over 110 windows: 40 MB DataFrame + 24 MB kernel
bars + 880 MB shared averages.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from research.errors import ResearchInputError
from research.sweep import space
from research.sweep.chunks import evaluate_params
from research.sweep.data import SweepData, prepare
from research.sweep.result import SweepResult
from research.sweep.settings import SweepSettings, costs_of
from research.sweep.tpe import optuna_search

__all__ = ["sweep", "sweep_with_data"]


def _candidates(strategy: str, space_: space.Space, settings: SweepSettings) -> space.Candidates:
    if settings.method == "grid":
        return space.grid(strategy, space_, settings.fixed, settings.max_combos)
    if settings.method == "random":
        return space.random(
            strategy, space_, settings.n_iter, settings.seed, settings.fixed, settings.max_combos
        )
    raise ResearchInputError(f"unknown search method {settings.method!r} (grid, random, optuna)")


def sweep(
    strategy: str,
    bars: pd.DataFrame,
    space_: space.Space,
    settings: SweepSettings | None = None,
    **overrides: Any,
) -> SweepResult:
    """Evaluate a strategy over a parameter space: method "grid", "random" (`n_iter` draws) or
    "optuna" (`n_iter` TPE trials maximizing `metric`). Results equal single backtests of the
    same parameters to 1e-9. `scheduler` (or GAUNTLET_DASK_SCHEDULER) runs the chunks on a
    Dask cluster, else `workers` local processes (default: the CPU count, at most 8).

    `overrides` replace fields of `settings` (or of the default SweepSettings), e.g.
    `sweep("sma_cross", bars, space, method="random", n_iter=20, workers=1)`."""
    result, _ = sweep_with_data(strategy, bars, space_, SweepSettings.build(settings, overrides))
    return result


def sweep_with_data(
    strategy: str, bars: pd.DataFrame, space_: space.Space, settings: SweepSettings
) -> tuple[SweepResult, SweepData]:
    """`sweep()`, plus the bars in the kernel's form it prepared (for callers that simulate
    on the same bars afterwards, e.g. walk-forward's in-sample winner)."""
    if settings.method == "optuna":
        data = prepare(bars, settings.config)
        return optuna_search(strategy, space_, data, settings), data
    cands = _candidates(strategy, space_, settings)  # before any data work
    cands = space.fitting_warmup(strategy, cands, len(bars))
    data = prepare(bars, settings.config)
    table, interrupted = evaluate_params(strategy, cands.params, data, settings)
    result = SweepResult(
        strategy, list(space_), table, cands.rejected, len(cands.params), interrupted,
        data.fingerprint, {"method": settings.method}, costs_of(settings),
    )  # fmt: skip
    return result, data
