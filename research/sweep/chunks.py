"""Parameter sets in, one metrics table out: chunked, run where the settings say (in-process,
local worker processes or a Dask cluster), assembled in the order given.

Shared by every search method: the grid and random searches call it once, the Optuna search
once per batch of trials.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from research.errors import ResearchInputError
from research.sweep import executor
from research.sweep import kernel as kn
from research.sweep.data import SweepData
from research.sweep.evaluate import shared_averages
from research.sweep.metrics import METRIC_COLUMNS, finalize
from research.sweep.settings import SweepSettings


def chunked(params: Sequence[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    if size < 1:
        raise ResearchInputError(f"chunk_size must be >= 1, got {size}")
    return [list(params[i : i + size]) for i in range(0, len(params), size)]


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


class _Progress:
    """A rich progress bar on stderr (never stdout: `--json` owns it), with ETA."""

    def __init__(self, total: int, enabled: bool, label: str) -> None:
        self._bar: Any = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=total)

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def evaluate_params(
    strategy: str, params: Sequence[dict[str, Any]], data: SweepData, settings: SweepSettings
) -> tuple[pd.DataFrame, bool]:
    """Metrics for each parameter set (table in the given order) and whether Ctrl-C cut it
    short; `settings` says how to chunk (chunk_size, ma_budget) and where to run (scheduler,
    workers, progress)."""
    chunks = chunked(params, settings.chunk_size)
    address = executor.scheduler_address(settings.scheduler)
    runs: Iterator[executor.Done]
    if address:
        runs = executor.run_dask(strategy, chunks, data, executor.connect(address))
    else:
        shared = shared_averages(strategy, params, data, settings.ma_budget)
        workers = settings.workers or default_workers()
        runs = executor.run_local(strategy, chunks, data, workers, shared)
    done: dict[int, np.ndarray] = {}
    bar = _Progress(len(params), settings.progress, f"sweep {strategy}")
    interrupted = False
    try:
        for i, acc in runs:
            done[i] = acc
            bar.advance(len(chunks[i]))
    except KeyboardInterrupt:
        interrupted = True  # keep the finished chunks; the caller reports them
    finally:
        bar.stop()
        close = getattr(runs, "close", None)
        if close is not None:
            close()  # stop the pool / cancel the cluster's tasks now, not at garbage collection
    return _table(chunks, done, data), interrupted


def _table(
    chunks: list[list[dict[str, Any]]], done: dict[int, np.ndarray], data: SweepData
) -> pd.DataFrame:
    order = sorted(done)
    params = [p for i in order for p in chunks[i]]
    acc = np.vstack([done[i] for i in order]) if order else np.zeros((0, kn.N_ACC))
    metrics = finalize(acc, data.periods_per_year, data.years)
    frame = pd.DataFrame(params) if params else pd.DataFrame()
    # A parameter named like a metric (vol_target_trend.periods_per_year) gets a prefix.
    frame = frame.rename(columns={c: f"param_{c}" for c in frame.columns if c in METRIC_COLUMNS})
    out = pd.concat([frame.reset_index(drop=True), metrics], axis=1)
    out["params"] = pd.Series(params, index=out.index, dtype=object)
    return out
