"""`sweep()`: chunk validated parameter sets, run the chunks, assemble a SweepResult.

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

import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from research.engine.config import BacktestConfig
from research.errors import ResearchInputError
from research.sweep import executor, space
from research.sweep import kernel as kn
from research.sweep.data import SweepData, prepare
from research.sweep.evaluate import shared_averages
from research.sweep.metrics import METRIC_COLUMNS, finalize
from research.sweep.result import SweepResult

DEFAULT_CHUNK_SIZE = 16
DEFAULT_MA_BUDGET = 1 << 30  # bytes of moving averages shared across all chunks (local runs)


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


def evaluate(
    strategy: str,
    params: Sequence[dict[str, Any]],
    data: SweepData,
    *,
    chunk_size: int,
    workers: int | None,
    scheduler: str | None,
    progress: bool,
    ma_budget: int = DEFAULT_MA_BUDGET,
) -> tuple[pd.DataFrame, bool]:
    """Metrics for each parameter set (table in the given order) and whether Ctrl-C cut it short."""
    chunks = chunked(params, chunk_size)
    address = executor.scheduler_address(scheduler)
    runs: Iterator[executor.Done]
    if address:
        runs = executor.run_dask(strategy, chunks, data, executor.connect(address))
    else:
        shared = shared_averages(strategy, params, data, ma_budget)
        runs = executor.run_local(strategy, chunks, data, workers or default_workers(), shared)
    done: dict[int, np.ndarray] = {}
    bar = _Progress(len(params), progress, f"sweep {strategy}")
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


def _candidates(
    strategy: str, space_: space.Space, method: str, n_iter: int, seed: int,
    fixed: dict[str, Any] | None,
) -> space.Candidates:  # fmt: skip
    if method == "grid":
        return space.grid(strategy, space_, fixed)
    if method == "random":
        return space.random(strategy, space_, n_iter, seed, fixed)
    raise ResearchInputError(f"unknown search method {method!r} (grid, random, optuna)")


def sweep(
    strategy: str,
    bars: pd.DataFrame,
    space_: space.Space,
    *,
    method: str = "grid",
    n_iter: int = 50,
    seed: int = 0,
    fixed: dict[str, Any] | None = None,
    config: BacktestConfig | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int | None = None,
    scheduler: str | None = None,
    metric: str = "sharpe",
    progress: bool = False,
) -> SweepResult:
    """Evaluate a strategy over a parameter space: method "grid", "random" (`n_iter` draws) or
    "optuna" (`n_iter` TPE trials maximizing `metric`). Results equal single backtests of the
    same parameters to 1e-9. `scheduler` (or GAUNTLET_DASK_SCHEDULER) runs the chunks on a
    Dask cluster, else `workers` local processes (default: the CPU count, at most 8)."""
    result, _ = sweep_with_data(
        strategy, bars, space_, method=method, n_iter=n_iter, seed=seed, fixed=fixed,
        config=config, chunk_size=chunk_size, workers=workers, scheduler=scheduler,
        metric=metric, progress=progress,
    )  # fmt: skip
    return result


def sweep_with_data(
    strategy: str,
    bars: pd.DataFrame,
    space_: space.Space,
    *,
    method: str,
    n_iter: int,
    seed: int,
    fixed: dict[str, Any] | None,
    config: BacktestConfig | None,
    chunk_size: int,
    workers: int | None,
    scheduler: str | None,
    metric: str,
    progress: bool,
) -> tuple[SweepResult, SweepData]:
    """`sweep()`, plus the bars in the kernel's form it prepared (for callers that simulate
    on the same bars afterwards, e.g. walk-forward's in-sample winner)."""
    if method == "optuna":
        from research.sweep.tpe import optuna_search

        data = prepare(bars, config)
        return optuna_search(
            strategy, space_, data, n_iter=n_iter, seed=seed, fixed=fixed,
            chunk_size=chunk_size, workers=workers, scheduler=scheduler, metric=metric,
            progress=progress,
        ), data  # fmt: skip
    cands = _candidates(strategy, space_, method, n_iter, seed, fixed)  # before any data work
    data = prepare(bars, config)
    table, interrupted = evaluate(
        strategy, cands.params, data, chunk_size=chunk_size, workers=workers,
        scheduler=scheduler, progress=progress,
    )  # fmt: skip
    result = SweepResult(
        strategy, list(space_), table, cands.rejected, len(cands.params), interrupted,
        data.fingerprint, {"method": method},
    )  # fmt: skip
    return result, data
