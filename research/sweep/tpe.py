"""Optuna (TPE) search: ask a batch of trials, evaluate the batch as chunks, tell the results.

Batches keep the workers busy; TPE's model updates between batches.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from research.errors import ResearchInputError
from research.sweep import space as sp
from research.sweep.chunks import evaluate_params
from research.sweep.data import SweepData
from research.sweep.result import SweepResult
from research.sweep.settings import SweepSettings, costs_of


def _distribution(name: str, dim: sp.Dimension) -> Any:
    import optuna.distributions as od

    if isinstance(dim, sp.Range):
        if dim.integer:
            return od.IntDistribution(int(dim.low), int(dim.high), step=int(dim.step or 1))
        if dim.log:
            return od.FloatDistribution(dim.low, dim.high, log=True)
        return od.FloatDistribution(dim.low, dim.high, step=dim.step)
    return od.CategoricalDistribution(list(dim))


def optuna_search(
    strategy: str, space_: sp.Space, data: SweepData, settings: SweepSettings
) -> SweepResult:
    """`settings.n_iter` TPE trials maximizing `settings.metric`, in batches of
    chunk_size × workers trials."""
    import optuna

    n_iter, metric = settings.n_iter, settings.metric
    if n_iter < 1:
        raise ResearchInputError(f"optuna search needs n_iter >= 1, got {n_iter}")
    sp.check_size(n_iter, settings.max_combos, "optuna trials")
    fixed = dict(settings.fixed or {})
    cls = sp._check_names(strategy, space_, fixed)
    dists = {name: _distribution(name, dim) for name, dim in space_.items()}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=settings.seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    tables: list[pd.DataFrame] = []
    rejected: list[tuple[dict[str, Any], str]] = []
    interrupted = False
    asked = 0
    batch = max(settings.chunk_size, 1) * max(settings.workers or 1, 1)
    while asked < n_iter and not interrupted:
        trials = [study.ask(dists) for _ in range(min(batch, n_iter - asked))]
        asked += len(trials)
        valid = []
        for trial in trials:
            cands = sp.validate(cls, [dict(trial.params)], fixed)
            if cands.params:
                valid.append((trial, cands.params[0]))
            else:
                rejected.extend(cands.rejected)
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
        if not valid:
            continue
        table, interrupted = evaluate_params(strategy, [p for _, p in valid], data, settings)
        tables.append(table)
        by_key = {
            repr(sorted(p.items())): v for p, v in zip(table["params"], table[metric], strict=True)
        }
        for trial, p in valid:
            value = by_key.get(repr(sorted(p.items())))
            if value is None or not np.isfinite(value):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, float(value))
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if table.empty:
        raise ResearchInputError(
            f"optuna search: every proposed parameter set was rejected by {strategy}"
        )
    return SweepResult(
        strategy,
        list(space_),
        table,
        rejected,
        len(table),
        interrupted,
        data.fingerprint,
        {"method": "optuna", "trials": asked},
        costs_of(settings),
    )
