"""From the strategy's raw targets to the processed targets the simulation trades on.

ADR 0002 §1-§3: NaN (warm-up) → 0 (flat); LONG_ONLY clips to [0, 1]; VOL_TARGET scales
by vol_target / σ_t and caps at ±max_leverage; an order is due wherever the processed target
differs from the previous bar's (the first bar compares against 0).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from research.engine.config import BacktestConfig, Direction, SizeMode

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def realized_vol(close: FloatArray, window: int, ppy: float) -> FloatArray:
    """σ_t: std (ddof=1) of the last `window` close-to-close returns up to bar t, × √ppy.

    NaN until `window` returns exist. Computed per window in two passes (not pandas'
    running-sum rolling std) so the sweep kernel can reproduce it exactly.
    """
    n = close.shape[0]
    sigma = np.full(close.shape, np.nan)
    if n <= window:
        return sigma
    rets = close[1:] / close[:-1] - 1.0  # rets[k] is the return into bar k + 1
    windows = np.lib.stride_tricks.sliding_window_view(rets, window, axis=0)
    sigma[window:] = np.std(windows, axis=-1, ddof=1) * math.sqrt(ppy)
    return sigma


def process_targets(
    raw: FloatArray, close: FloatArray, config: BacktestConfig, ppy: float
) -> FloatArray:
    """Processed target fractions, shape (bars, instruments), never NaN."""
    target = np.nan_to_num(raw, nan=0.0)
    if config.direction is Direction.LONG_ONLY:
        target = np.clip(target, 0.0, 1.0)
    if config.size_mode is SizeMode.VOL_TARGET:
        sigma = realized_vol(close, config.vol_window, ppy)
        usable = np.isfinite(sigma) & (sigma > 0)
        scale = np.divide(config.vol_target, sigma, out=np.zeros_like(sigma), where=usable)
        target = np.clip(target * scale, -config.max_leverage, config.max_leverage)
    return np.ascontiguousarray(target, dtype=np.float64)


def target_changes(target: FloatArray) -> BoolArray:
    """True where the processed target differs from the previous bar's (first bar vs 0)."""
    previous = np.zeros_like(target)
    previous[1:] = target[:-1]
    return np.asarray(target != previous)
