"""From the strategy's raw target to the processed target the host trades (ADR 0002 §1-3).

Pure functions over floats so the host, the vectorized engine and the tests agree on one
definition; the host keeps only a short close history per instrument for vol targeting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TargetRules:
    long_only: bool = False
    vol_scaled: bool = False
    vol_target: float = 0.10
    vol_window: int = 20
    max_leverage: float = 1.0
    periods_per_year: float = 252.0


def realized_vol(closes: np.ndarray, window: int, periods_per_year: float) -> float:
    """Annualized std (ddof=1) of the last `window` simple returns; NaN without enough data."""
    if len(closes) < window + 1:
        return math.nan
    tail = closes[-(window + 1) :]
    returns = tail[1:] / tail[:-1] - 1.0
    return float(np.std(returns, ddof=1)) * math.sqrt(periods_per_year)


def process_target(raw: float, closes: np.ndarray, rules: TargetRules) -> float:
    """Warm-up NaN → 0 (flat); long-only clip; optional volatility scaling."""
    f = 0.0 if math.isnan(raw) else raw
    if rules.long_only:
        f = min(max(f, 0.0), 1.0)
    if not rules.vol_scaled:
        return f
    sigma = realized_vol(closes, rules.vol_window, rules.periods_per_year)
    if math.isnan(sigma) or sigma == 0.0:
        return 0.0
    scaled = f * rules.vol_target / sigma
    return min(max(scaled, -rules.max_leverage), rules.max_leverage)


def bad_target_reason(raw: float) -> str | None:
    """Why a post-warm-up target cannot be traded, or None when it can."""
    if math.isnan(raw):
        return "target is NaN after warm-up"
    if math.isinf(raw):
        return f"target {raw!r} is not finite"
    if abs(raw) > 1.0 + 1e-12:
        return f"target {raw!r} is outside [-1, 1]"
    return None
