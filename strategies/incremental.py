"""Per-bar evaluation of a strategy, for the event-driven host (paper, live, per-bar backtests).

The vectorized `Strategy.target(bars)` stays the definition. A host that learns one bar at a
time must not call it on the whole growing history at every bar (quadratic), so a strategy
may declare, by optional members this module looks for:

- `incremental() -> IncrementalTarget`: a fresh state that takes one bar per `update` and
  returns that bar's raw target in O(1) (running sums, EMAs, deques). It must equal the
  newest value of `target` on the history so far (tests/property/test_incremental.py
  proves it for the built-ins);
- `lookback` (int): `target` at bar t depends only on the last `lookback` bars (t included),
  so the host may evaluate it on that trailing window (`window_for`).

A state whose `update` reads only `close` may say so (`closes_only = True`, a class
attribute): a host may then pass NaN for open, high, low and volume instead of reading them
from each bar (`reads_closes_only`; reading a bar's five fields is a measurable part of a
per-bar host's cost).

A strategy declaring neither is evaluated on the whole history, as before. A subclass that
overrides how targets are computed (`compute`, `average`, `warmup`, ...) loses what its
parent declared: its parent's state would no longer be its definition.
"""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from strategies.base import Strategy, StrategyOutputError

__all__ = [
    "IncrementalTarget",
    "WarmupMasked",
    "declared_lookback",
    "incremental_state",
    "reads_closes_only",
    "replay",
    "window_for",
]


@runtime_checkable
class IncrementalTarget(Protocol):
    """One instrument's decision state; `update` takes the bar that just closed."""

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> float:
        """The raw target for this bar (NaN: no opinion yet)."""
        ...


# What defines a strategy's targets: a class between the strategy's own type and the class
# that declared `incremental`/`lookback` that redefines any of these has a new definition.
_DEFINITION = frozenset(
    {"target", "target_panel", "compute", "_compute", "_checked", "warmup", "average", "Params"}
)


def _declaring_class(strategy: Strategy[Any], member: str) -> type | None:
    """The class that declares `member` for `strategy`, if its definition is still in force."""
    for cls in type(strategy).__mro__:
        if member in vars(cls):
            return cls
        if _DEFINITION & vars(cls).keys():
            return None  # the targets were redefined below the declaration (or never declared)
    return None


class WarmupMasked:
    """A state's targets with the first `warmup` bars NaN, as `Strategy.target` masks them."""

    def __init__(self, state: IncrementalTarget, warmup: int) -> None:
        self._state = state
        self._left = warmup
        self.closes_only = reads_closes_only(state)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> float:
        value = self._state.update(open, high, low, close, volume)
        if self._left > 0:
            self._left -= 1
            return math.nan
        # Warmed up: later bars go straight to the state (one call per bar, not two).
        self.update = self._state.update  # type: ignore[method-assign]  # the instance's own, by design
        return value


def reads_closes_only(state: IncrementalTarget) -> bool:
    """The state declares that its `update` reads only `close` (see the module docstring)."""
    return getattr(state, "closes_only", False) is True


def incremental_state(strategy: Strategy[Any]) -> IncrementalTarget | None:
    """A fresh per-bar state for one instrument, or None if the strategy declares none."""
    if _declaring_class(strategy, "incremental") is None:
        return None
    state: IncrementalTarget = strategy.incremental()  # type: ignore[attr-defined]  # declared, checked above
    return WarmupMasked(state, strategy.warmup)


def declared_lookback(strategy: Strategy[Any]) -> int | None:
    """The strategy's declared finite lookback in bars, or None (it needs the whole history)."""
    if _declaring_class(strategy, "lookback") is None:
        return None
    lookback = strategy.lookback  # type: ignore[attr-defined]  # declared, checked above
    if isinstance(lookback, bool) or not isinstance(lookback, int) or lookback < 1:
        return None  # not a usable declaration: the whole history stays exact
    return lookback


def window_for(strategy: Strategy[Any], window: int | None) -> int | None:
    """Bars to show `target` per call: the caller's `window` if given, else the declared
    lookback, else None (all); never fewer than the warm-up needs for one value."""
    shown = window if window is not None else declared_lookback(strategy)
    return None if shown is None else max(shown, strategy.warmup + 1)


def replay(strategy: Strategy[Any], bars: pd.DataFrame) -> pd.Series:
    """The targets a per-bar host computes, bar by bar, for single-instrument `bars`: the
    incremental state if declared, else `target` on each trailing window (`window_for`)."""
    state = incremental_state(strategy)
    fields = bars[["open", "high", "low", "close", "volume"]].to_numpy(dtype=np.float64)
    out = np.full(len(bars), np.nan)
    if state is not None:
        for t, row in enumerate(fields.tolist()):
            out[t] = state.update(*row)
        return pd.Series(out, index=bars.index, name="target")
    shown = window_for(strategy, None)
    for t in range(len(bars)):
        start = 0 if shown is None else max(0, t + 1 - shown)
        frame = bars.iloc[start : t + 1]
        try:
            values = np.asarray(strategy.target(frame), dtype=np.float64)
        except StrategyOutputError:  # only the newest value is traded: check that one alone
            values = strategy.compute(frame).to_numpy(dtype=np.float64)
        out[t] = math.nan if t < strategy.warmup else float(values[-1])
    return pd.Series(out, index=bars.index, name="target")
