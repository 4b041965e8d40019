"""Look-ahead detector: a causal strategy's target at bar t must not change when the bars
after t are removed.

For sampled cut points c, the strategy is re-run on `bars[: c + 1]` and its targets are compared
with the full-history run on the same bars. Any difference means the target at some bar used
data from after that bar (a centered window, a `shift(-1)`, a full-sample normalization...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from research.errors import ResearchInputError
from strategies.base import Strategy


@dataclass(frozen=True)
class Leak:
    cut: int  # index of the last bar of the truncated history
    first_bar: int  # first bar whose target differs from the full run
    first_time: pd.Timestamp
    max_abs_diff: float  # over bars where both runs are finite
    nan_mismatches: int  # bars where exactly one of the two runs is NaN
    # The first differing value at `first_bar` (first differing column of a panel): what the
    # run on the truncated history gave, and what the full history gave.
    truncated_value: float = float("nan")
    full_value: float = float("nan")
    column: str | None = None  # the panel column, None for a single series

    def change(self) -> str:
        """What changed, e.g. `NaN → 1` or `-1 → 1`: the target at `first_bar` computed on
        the bars up to the cut, then on the full history."""
        where = f" [{self.column}]" if self.column is not None else ""
        return f"{_value(self.truncated_value)} → {_value(self.full_value)}{where}"


def _value(value: float) -> str:
    return "NaN" if np.isnan(value) else f"{value:.6g}"


@dataclass(frozen=True)
class LookaheadReport:
    strategy: dict[str, Any]
    cuts: list[int]
    leaks: list[Leak] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.leaks

    @property
    def first_leak(self) -> Leak | None:
        return min(self.leaks, key=lambda leak: leak.first_bar) if self.leaks else None

    def to_dict(self) -> dict[str, Any]:
        first = self.first_leak
        return {
            **self.strategy,
            "clean": self.clean,
            "cuts_checked": len(self.cuts),
            "leaking_cuts": len(self.leaks),
            "first_leak_bar": None if first is None else first.first_bar,
            "first_leak_time": None if first is None else first.first_time.isoformat(),
            "max_abs_diff": max((lk.max_abs_diff for lk in self.leaks), default=0.0),
            "nan_mismatches": sum(lk.nan_mismatches for lk in self.leaks),
            "first_leak_cut": None if first is None else first.cut,
            "first_leak_truncated_value": None if first is None else _json(first.truncated_value),
            "first_leak_full_value": None if first is None else _json(first.full_value),
            "first_leak_column": None if first is None else first.column,
        }


def _json(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def sample_cuts(n_bars: int, start: int, n_cuts: int, seed: int) -> list[int]:
    """Evenly spaced cut points plus random ones, so both regular and odd offsets are probed."""
    if n_bars - 1 <= start:
        return []
    if n_cuts >= n_bars - 1 - start:  # as many cuts as places to cut: test every one
        return list(range(start, n_bars - 1))
    even = np.linspace(start, n_bars - 2, num=max(1, n_cuts // 2)).astype(int)
    rng = np.random.default_rng(seed)
    rand = rng.integers(start, n_bars - 1, size=n_cuts - len(even))
    return sorted({int(c) for c in np.concatenate([even, rand])})


def _as_matrix(target: pd.Series | pd.DataFrame) -> np.ndarray:
    values = target.to_numpy(dtype=np.float64)
    return values.reshape(len(values), -1)


def _compare(full: np.ndarray, part: np.ndarray, tol: float) -> tuple[np.ndarray, float, int]:
    both = np.isfinite(full) & np.isfinite(part)
    diff = np.where(both, np.abs(full - part), 0.0)
    nan_mismatch = np.isnan(full) != np.isnan(part)
    bad_rows = ((diff > tol) | nan_mismatch).any(axis=1)
    return bad_rows, float(diff.max(initial=0.0)), int(nan_mismatch.sum())


def _first_column(full: np.ndarray, part: np.ndarray, tol: float) -> int:
    """The first column of one bar's row where the two runs differ (as `_compare` counts)."""
    nan_mismatch = np.isnan(full) != np.isnan(part)
    both = np.isfinite(full) & np.isfinite(part)
    differs = nan_mismatch | (both & (np.abs(np.where(both, full - part, 0.0)) > tol))
    return int(np.argmax(differs))


def check_lookahead(
    strategy: Strategy[Any], bars: pd.DataFrame, n_cuts: int = 20, seed: int = 0, tol: float = 1e-9
) -> LookaheadReport:
    """Re-run `strategy` on truncated histories at `n_cuts` sampled cut points and report
    every cut whose targets differ from the full run's (beyond `tol`)."""
    if n_cuts < 1:
        raise ResearchInputError(f"n_cuts must be >= 1, got {n_cuts}")
    start = strategy.warmup + 1
    if len(bars) < start + 2:
        raise ResearchInputError(
            f"look-ahead check: {len(bars)} bars are too few for {strategy.name} "
            f"(warm-up {strategy.warmup}; need at least {start + 2})"
        )
    full_target = strategy.target(bars)
    full = _as_matrix(full_target)
    names = list(full_target.columns) if isinstance(full_target, pd.DataFrame) else None
    cuts = sample_cuts(len(bars), start, n_cuts, seed)
    leaks = []
    for cut in cuts:
        part = _as_matrix(strategy.target(bars.iloc[: cut + 1]))
        bad_rows, max_diff, nan_mismatches = _compare(full[: cut + 1], part, tol)
        if bad_rows.any():
            first = int(np.argmax(bad_rows))
            col = _first_column(full[first], part[first], tol)
            leaks.append(Leak(
                cut, first, bars.index[first], max_diff, nan_mismatches,
                float(part[first, col]), float(full[first, col]),
                None if names is None else str(names[col]),
            ))  # fmt: skip
    return LookaheadReport(strategy.identity, cuts, leaks)
