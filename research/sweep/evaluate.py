"""Worker side of a sweep: parameter sets in, kernel accumulator rows out.

Moving-average crossovers on one instrument take the fused path: each distinct window is
computed once (per sweep when the averages fit the memory budget, else per chunk) (with the very indicator functions the strategies use, so targets are
bit-identical) and the kernel compares two columns per combination. Every other strategy is
evaluated through its own `target()`, one combination at a time, so a worker holds one
target vector at a time whatever the chunk size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from research.engine.common import target_matrix
from research.sweep import kernel as kn
from research.sweep.data import SweepData
from research.sweep.metrics import check_refused
from strategies import plugins
from strategies.builtin.crossover import EmaCross, SmaCross
from strategies.builtin.indicators import ema, sma

MaFn = Callable[[pd.Series, int], pd.Series]
_CROSSOVER_MA: dict[type, MaFn] = {SmaCross: sma, EmaCross: ema}


@dataclass(frozen=True)
class SharedAverages:
    """Moving averages computed once per sweep for every window of a crossover grid.

    Built in the parent when they fit `budget_bytes`; forked local workers then read them
    copy-on-write instead of recomputing the windows of every chunk."""

    strategy: type
    matrix: np.ndarray  # (n_bars, n_windows), Fortran order: each window a contiguous stream
    column: dict[int, int]  # window → column


def _averages(ma_fn: MaFn, close: np.ndarray, windows: Sequence[int]) -> np.ndarray:
    series = pd.Series(close)
    ma = np.empty((len(close), len(windows)), order="F")
    for i, w in enumerate(windows):
        ma[:, i] = ma_fn(series, w).to_numpy()
    return ma


def _state_entry(params: Sequence[dict[str, Any]]) -> bool:
    """Whether every set enters on the state (ADR 0002 §15 entry="state", left out of a
    dumped set): the fused kernel computes that rule only; entry="cross" sets take the
    strategy's own target()."""
    return all(p.get("entry", "state") == "state" for p in params)


def _windows(params: Sequence[dict[str, Any]]) -> list[int]:
    return sorted({p["fast"] for p in params} | {p["slow"] for p in params})


def shared_averages(
    strategy: str, params: Sequence[dict[str, Any]], data: SweepData, budget_bytes: int
) -> SharedAverages | None:
    """All windows' averages if the strategy takes the fused path and they fit the budget."""
    cls = plugins.get(strategy)
    ma_fn = _CROSSOVER_MA.get(cls)
    if ma_fn is None or data.panel or not _state_entry(params):
        return None
    windows = _windows(params)
    if data.n_bars * len(windows) * 8 > budget_bytes:
        return None
    matrix = _averages(ma_fn, data.close[:, 0], windows)
    return SharedAverages(cls, matrix, {w: i for i, w in enumerate(windows)})


def _fused_crossover(
    ma_fn: MaFn, params: Sequence[dict[str, Any]], data: SweepData, shared: SharedAverages | None
) -> np.ndarray:
    if shared is None:
        windows = _windows(params)
        column = {w: i for i, w in enumerate(windows)}
        ma = _averages(ma_fn, data.close[:, 0], windows)
    else:
        column, ma = shared.column, shared.matrix
    fast = np.array([column[p["fast"]] for p in params], dtype=np.int64)
    slow = np.array([column[p["slow"]] for p in params], dtype=np.int64)
    short = np.array([-1.0 if p["allow_short"] else 0.0 for p in params])
    return kn.sweep_crossover(data.open_, data.close, data.sigma, ma, fast, slow, short, data.cfg)


def evaluate_chunk(
    strategy: str,
    params: Sequence[dict[str, Any]],
    data: SweepData,
    shared: SharedAverages | None = None,
) -> np.ndarray:
    """Accumulator rows (len(params) × kernel.N_ACC) for validated parameter sets."""
    cls = plugins.get(strategy)
    ma_fn = _CROSSOVER_MA.get(cls)
    if ma_fn is not None and not data.panel and _state_entry(params):
        return _fused_crossover(
            ma_fn, params, data, shared if shared and shared.strategy is cls else None
        )
    out = np.empty((len(params), kn.N_ACC))
    for i, p in enumerate(params):
        target = target_matrix(cls(**p).target(data.bars), data.instruments)
        out[i] = kn.sweep_targets(data.open_, data.close, data.sigma, target[None], data.cfg)[0]
    return out


def simulate_series(
    target: pd.Series | pd.DataFrame, data: SweepData
) -> tuple[np.ndarray, np.ndarray]:
    """One combination with its series: (accumulator row, equity per bar)."""
    matrix = target_matrix(target, data.instruments)
    acc = np.zeros(kn.N_ACC)
    equity = np.empty(data.n_bars)
    pos = np.empty_like(data.close)
    dummy = np.zeros((1, 1))
    kn.accumulate_metrics(
        data.open_,
        data.close,
        data.sigma,
        matrix,
        dummy,
        -1,
        -1,
        0.0,
        data.cfg,
        acc,
        equity,
        pos,
        True,
    )
    check_refused(acc)
    return acc, equity
