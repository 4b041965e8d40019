"""From the strategy's raw targets to the processed targets the simulation trades on.

ADR 0002 §1-§3, applied with the one definition in `execution_engine.targets` (shared with
the event host and the sweep kernel); this module maps a `BacktestConfig` onto it. An order
is due wherever the processed target differs from the previous bar's (the first bar
compares against 0).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from execution_engine.targets import TargetRules, realized_vol

from research.engine.config import BacktestConfig, Direction, SizeMode

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

__all__ = ["process_targets", "realized_vol", "target_changes", "target_rules"]


def target_rules(config: BacktestConfig, ppy: float) -> TargetRules:
    return TargetRules(
        long_only=config.direction is Direction.LONG_ONLY,
        vol_scaled=config.size_mode is SizeMode.VOL_TARGET,
        vol_target=config.vol_target,
        vol_window=config.vol_window,
        max_leverage=config.max_leverage,
        periods_per_year=ppy,
    )


def process_targets(
    raw: FloatArray, close: FloatArray, config: BacktestConfig, ppy: float
) -> FloatArray:
    """Processed target fractions, shape (bars, instruments), never NaN."""
    return target_rules(config, ppy).process_matrix(raw, close)


def target_changes(target: FloatArray) -> BoolArray:
    """True where the processed target differs from the previous bar's (first bar vs 0)."""
    previous = np.zeros_like(target)
    previous[1:] = target[:-1]
    return np.asarray(target != previous)
