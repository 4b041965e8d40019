"""From the strategy's raw targets to the processed targets the simulation trades on.

ADR 0002 §1-§3, applied with the one definition in `execution_engine.targets` (shared with
the event host and the sweep kernel); this module maps a `BacktestConfig` onto it, and
applies the account's rules to the processed targets (§12: a cash account's cap and refusal
of shorts, the refusal of a first order that cannot stand). When an order is due (§13) is
decided in the kernels' loop (`research.engine.kernel.due_reason`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from execution_engine.targets import TargetRules, realized_vol

from research.engine.config import AccountKind, BacktestConfig, Direction, SizeMode
from research.engine.kernel import AccountParams, refused_first_order
from research.errors import ResearchInputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

__all__ = [
    "account_targets",
    "check_first_order",
    "process_targets",
    "realized_vol",
    "target_changes",
    "target_rules",
]


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


def account_targets(
    target: FloatArray, config: BacktestConfig, index: pd.DatetimeIndex
) -> FloatArray:
    """The processed targets a cash account trades (ADR 0002 §12): capped at 1; a negative
    one is refused before any order. A margin account trades them as they are."""
    if config.account is not AccountKind.CASH:
        return target
    short = target < 0
    if short.any():
        row, col = (int(i) for i in np.argwhere(short)[0])
        raise ResearchInputError(
            f"account=cash cannot sell short, but the processed target is "
            f"{float(target[row, col]):g} at {index[row]}: use direction=long_only or "
            "account=margin"
        )
    return np.minimum(target, 1.0)


def check_first_order(target: FloatArray, account: AccountParams, instruments: list[str]) -> None:
    """ADR 0002 §12: refuse, before the run, a margin account whose largest order cannot
    stand: its initial margin exceeds the equity, or it opens at or below the stop-out."""
    if account.cash_account or target.size == 0:
        return
    largest = np.abs(target).max(axis=0)
    for j, name in enumerate(instruments):
        size = float(largest[j])
        mi, mm = float(account.margin_initial[j]), float(account.margin_maintenance[j])
        if not refused_first_order(size, mi, mm, account.stop_out):
            continue
        if size * mi > 1.0:
            why = (f"its initial margin {size:g} × {mi:g} of notional exceeds the equity; lower "
                   "the leverage (max_leverage, the targets) or margin_initial")  # fmt: skip
        else:
            why = (f"it would open at a margin level of {100.0 / (size * mm):g}% "
                   f"(100 / ({size:g} × margin_maintenance {mm:g})), at or below stop_out "
                   f"{account.stop_out:g}%; lower stop_out or margin_maintenance")  # fmt: skip
        raise ResearchInputError(f"{name}: an order to a target of {size:g} cannot stand: {why}")
