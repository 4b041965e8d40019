"""The target rules: from a strategy's raw target to the processed target that is traded.

ADR 0002 §1-3, defined once for every engine: NaN (warm-up) → 0 (flat); long-only clips
to [0, 1]; vol targeting scales by vol_target / σ_t (σ_t = `realized_vol`) and caps at
±max_leverage, and is flat while σ_t is undefined or zero. A post-warm-up target must be
finite and within [-1, 1] (`bad_target_reason`).

`process_target` is a numba kernel so the sweep kernel can inline it; the vectorized
engine applies it to a whole matrix (`process_target_matrix`), the event host to the
newest bar (`TargetRules.process`). All three therefore compute the same float for the
same raw target and σ_t, and σ_t itself has one definition too.

Lives in execution_engine (not research) because the host is here and research imports
this layer, never the other way round.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]


@njit(cache=True, inline="always")  # hot: the sweep kernel calls it per bar and instrument
def process_target(
    raw: float,
    sigma: float,
    long_only: bool,
    vol_scaled: bool,
    vol_target: float,
    max_leverage: float,
) -> float:
    """One processed target. `sigma` (σ_t) is read only when `vol_scaled`."""
    f = 0.0 if np.isnan(raw) else raw
    if long_only:
        f = min(max(f, 0.0), 1.0)
    if vol_scaled:
        if np.isnan(sigma) or sigma == 0.0:
            return 0.0
        # f · (vol_target / σ), in this order: every engine associates it the same way.
        f = min(max(f * (vol_target / sigma), -max_leverage), max_leverage)
    return f


@njit(cache=True)
def process_target_matrix(
    raw: np.ndarray,
    sigma: np.ndarray,
    long_only: bool,
    vol_scaled: bool,
    vol_target: float,
    max_leverage: float,
) -> np.ndarray:
    """`process_target` over a (bars, instruments) matrix; `sigma` has the same shape."""
    out = np.empty(raw.shape)
    for t in range(raw.shape[0]):
        for j in range(raw.shape[1]):
            out[t, j] = process_target(
                raw[t, j], sigma[t, j], long_only, vol_scaled, vol_target, max_leverage
            )
    return out


def realized_vol(close: FloatArray, window: int, periods_per_year: float) -> FloatArray:
    """σ_t for every bar t: std (ddof=1) of the last `window` close-to-close returns up to
    bar t, × √periods_per_year; NaN until `window` returns exist. Same shape as `close`.

    Computed per window in two passes (numpy's std, not pandas' running-sum rolling std),
    so every bar's σ_t is the same float however much history precedes it: the host,
    which sees only the newest `window + 1` closes, gets the engines' value.
    """
    sigma = np.full(close.shape, np.nan)
    if close.shape[0] <= window:
        return sigma
    rets = close[1:] / close[:-1] - 1.0  # rets[k] is the return into bar k + 1
    windows = np.lib.stride_tricks.sliding_window_view(rets, window, axis=0)
    sigma[window:] = np.std(windows, axis=-1, ddof=1) * math.sqrt(periods_per_year)
    return sigma


@dataclass(frozen=True)
class TargetRules:
    """The target-processing settings of one run (a backtest config or a host config)."""

    long_only: bool = False
    vol_scaled: bool = False
    vol_target: float = 0.10
    vol_window: int = 20
    max_leverage: float = 1.0
    periods_per_year: float = 252.0

    def process(self, raw: float, closes: FloatArray) -> float:
        """The processed target of the newest bar; `closes` ends at that bar (only its last
        `vol_window + 1` values are read)."""
        sigma = math.nan
        if self.vol_scaled:
            tail = closes[-(self.vol_window + 1) :]
            sigma = float(realized_vol(tail, self.vol_window, self.periods_per_year)[-1])
        return float(
            process_target(
                raw, sigma, self.long_only, self.vol_scaled, self.vol_target, self.max_leverage
            )
        )

    def process_matrix(self, raw: FloatArray, close: FloatArray) -> FloatArray:
        """Processed targets of every bar, shape (bars, instruments), never NaN."""
        raw = np.ascontiguousarray(raw, dtype=np.float64)
        if self.vol_scaled:
            sigma = realized_vol(close, self.vol_window, self.periods_per_year)
        else:
            sigma = np.zeros_like(raw)
        out: FloatArray = process_target_matrix(
            raw,
            np.ascontiguousarray(sigma, dtype=np.float64),
            self.long_only,
            self.vol_scaled,
            self.vol_target,
            self.max_leverage,
        )
        return out


def bad_target_reason(raw: float) -> str | None:
    """Why a post-warm-up target cannot be traded, or None when it can."""
    if math.isnan(raw):
        return "target is NaN after warm-up"
    if math.isinf(raw):
        return f"target {raw!r} is not finite"
    if abs(raw) > 1.0 + 1e-12:
        return f"target {raw!r} is outside [-1, 1]"
    return None
