"""Drift: are realized (paper, later live) returns and costs consistent with the backtest?

Returns. The question is whether the realized Sharpe ratio is one the backtest could have
produced over a window of the same length. The backtest's per-period returns are resampled
with the circular block bootstrap (Politis & Romano 1992, "A circular block-resampling
procedure for stationary data"; the moving-block idea is Künsch 1989, Annals of Statistics
17(3)): each resample is a series of the realized length built from blocks of consecutive
backtest returns with uniformly random starts, wrapping around the end. Blocks keep the
serial dependence (volatility clustering, a strategy's holding periods) that an i.i.d.
bootstrap would destroy; the block length defaults to ⌈n^(1/3)⌉ of the backtest length n,
the order Hall, Horowitz & Jing (1995, Biometrika 82(3)) show is optimal for variance-type
statistics. The two-sided percentile interval of the resampled annualized Sharpes at
`confidence` is the range the realized Sharpe must fall into; a realized Sharpe far above it
is drift too (the live system does not behave like the tested one).

Costs. Realized slippage (adverse fill distance from the decision price, a fraction of it)
is compared with the slippage the backtest assumed: the ratio realized / assumed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from research.promotion.errors import PromotionInputError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DriftReport:
    realized_sharpe: float  # annualized
    backtest_sharpe: float  # annualized, over the whole backtest
    interval: tuple[float, float]  # bootstrap interval of the backtest's Sharpe, realized length
    confidence: float
    percentile: float  # where the realized Sharpe falls in the bootstrap distribution, 0..1
    inside: bool
    window: int  # realized length = resample length
    block: int
    n_boot: int
    seed: int
    assumed_slippage: float
    realized_slippage: float | None
    slippage_ratio: float | None  # realized / assumed; None when nothing was realized

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["interval"] = list(self.interval)
        return out


def annualized_sharpe(returns: FloatArray, ppy: float) -> float:
    """mean / std (ddof=1) · √ppy; a series without variance has Sharpe 0 (no risk, no edge)."""
    if len(returns) < 2:
        return 0.0
    std = float(np.std(returns, ddof=1))
    return float(np.mean(returns) / std * math.sqrt(ppy)) if std > 0 else 0.0


def bootstrap_sharpes(
    returns: FloatArray, window: int, ppy: float, *, n_boot: int, block: int, seed: int
) -> FloatArray:
    """Annualized Sharpes of `n_boot` circular-block resamples of length `window`.

    Each block's sums of r and r² come from prefix sums over the series doubled (the
    circular wrap), so a resample costs O(window / block), not O(window)."""
    n = len(returns)
    doubled = np.concatenate([returns, returns[: block - 1]]) if block > 1 else returns
    s1 = np.concatenate([[0.0], np.cumsum(doubled)])
    s2 = np.concatenate([[0.0], np.cumsum(doubled * doubled)])
    k = -(-window // block)  # blocks per resample; the last one is cut to fit
    lengths = np.full(k, block)
    lengths[-1] = window - block * (k - 1)
    starts = np.random.default_rng(seed).integers(0, n, size=(n_boot, k))
    ends = starts + lengths[None, :]
    total = (s1[ends] - s1[starts]).sum(axis=1)
    total_sq = (s2[ends] - s2[starts]).sum(axis=1)
    mean = total / window
    var = np.maximum(total_sq - total * mean, 0.0) / (window - 1)
    std = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = np.where(std > 0, mean / std * math.sqrt(ppy), 0.0)
    return np.asarray(sharpe, dtype=np.float64)


def slippage_ratio(realized: float | None, assumed: float) -> float | None:
    """realized / assumed. With nothing assumed, no slippage is ratio 0 and any is infinite."""
    if realized is None:
        return None
    if assumed > 0:
        return realized / assumed
    return 0.0 if realized <= 0 else math.inf


def drift_report(
    backtest_returns: npt.ArrayLike,
    realized_returns: npt.ArrayLike,
    *,
    assumed_slippage: float,
    realized_slippage: float | None,
    periods_per_year: float,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    block: int | None = None,
) -> DriftReport:
    """Is the realized Sharpe inside the backtest's bootstrap interval (see the module doc)?"""
    bt = _finite(backtest_returns)
    real = _finite(realized_returns)
    if len(real) < 2:
        raise PromotionInputError(f"drift: need at least 2 realized returns, got {len(real)}")
    if len(bt) < 2:
        raise PromotionInputError(f"drift: need at least 2 backtest returns, got {len(bt)}")
    if not 0 < confidence < 1:
        raise PromotionInputError(f"drift: confidence must be in (0, 1), got {confidence}")
    if n_boot < 100:
        raise PromotionInputError(f"drift: n_boot must be >= 100, got {n_boot}")
    size = block or math.ceil(len(bt) ** (1 / 3))
    size = max(1, min(size, len(bt)))
    boot = bootstrap_sharpes(bt, len(real), periods_per_year, n_boot=n_boot, block=size, seed=seed)
    tail = (1 - confidence) / 2
    lo, hi = (float(q) for q in np.quantile(boot, [tail, 1 - tail]))
    realized = annualized_sharpe(real, periods_per_year)
    below = float(np.mean(boot < realized))
    ties = float(np.mean(boot == realized))
    return DriftReport(
        realized_sharpe=realized,
        backtest_sharpe=annualized_sharpe(bt, periods_per_year),
        interval=(lo, hi),
        confidence=confidence,
        percentile=below + ties / 2,
        inside=lo <= realized <= hi,
        window=len(real),
        block=size,
        n_boot=n_boot,
        seed=seed,
        assumed_slippage=assumed_slippage,
        realized_slippage=realized_slippage,
        slippage_ratio=slippage_ratio(realized_slippage, assumed_slippage),
    )


def inside_at(percentile: float, confidence: float) -> bool:
    """The gate's test from a stored percentile: inside the central `confidence` interval."""
    tail = (1 - confidence) / 2 - 1e-12  # (1 - 0.95) / 2 is 0.025000000000000022 in floats
    return tail <= percentile <= 1 - tail


def _finite(values: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[np.isfinite(arr)]
