"""The indicators of `strategies.builtin.indicators`, one bar at a time, in O(1) per bar.

Each class repeats pandas' own update (pandas 2.x `_libs/window/aggregations.pyx`, mirrored
in `pandas/core/_numba/kernels`) operation for operation, so that its value is the same
float as the vectorized one, not merely a close one: a crossover of two equal averages (a
flat run) then decides identically in both paths. The property test
(tests/property/test_incremental.py) checks them against pandas bar for bar.

Input is never NaN here: validated bar frames hold no NaN prices.
"""

from __future__ import annotations

import math
from collections import deque

NAN = math.nan


class RollingMean:
    """`x.rolling(window, min_periods=window).mean()`: Kahan-compensated running sum, with
    separate compensations for adds and removes, the sign clamp and the constant-run rule."""

    def __init__(self, window: int) -> None:
        self._window = window
        self._values: deque[float] = deque()
        self._sum = 0.0
        self._comp_add = 0.0
        self._comp_remove = 0.0
        self._neg = 0
        self._same = 0  # length of the trailing run of equal values
        self._prev = NAN

    def update(self, x: float) -> float:
        values = self._values
        if len(values) == self._window:  # pandas removes before it adds
            old = values.popleft()
            y = -old - self._comp_remove
            t = self._sum + y
            self._comp_remove = t - self._sum - y
            self._sum = t
            if old < 0:
                self._neg -= 1
        values.append(x)
        y = x - self._comp_add
        t = self._sum + y
        self._comp_add = t - self._sum - y
        self._sum = t
        if x < 0:
            self._neg += 1
        self._same = self._same + 1 if x == self._prev else 1
        self._prev = x
        nobs = len(values)
        if nobs < self._window:
            return NAN
        if self._same >= nobs:
            return x
        result = self._sum / nobs
        if (self._neg == 0 and result < 0) or (self._neg == nobs and result > 0):
            return 0.0
        return result


class RollingStd:
    """`x.rolling(window, min_periods=window).std()` (ddof 1): Welford with Kahan
    compensation, removes before adds, 0 over a constant run, then sqrt (negative → 0)."""

    def __init__(self, window: int) -> None:
        self._window = window
        self._values: deque[float] = deque()
        self._mean = 0.0
        self._ssqdm = 0.0
        self._comp_add = 0.0
        self._comp_remove = 0.0
        self._same = 0
        self._prev = NAN

    def update(self, x: float) -> float:
        values = self._values
        if len(values) == self._window:
            self._remove(values.popleft())
        values.append(x)
        self._same = self._same + 1 if x == self._prev else 1
        self._prev = x
        nobs = len(values)
        prev_mean = self._mean - self._comp_add
        y = x - self._comp_add
        t = y - self._mean
        self._comp_add = t + self._mean - y
        self._mean = self._mean + t / nobs
        self._ssqdm = self._ssqdm + (x - prev_mean) * (x - self._mean)
        if nobs < self._window:
            return NAN
        if self._same >= nobs:
            return 0.0
        var = self._ssqdm / (nobs - 1)
        return math.sqrt(var) if var >= 0 else 0.0

    def _remove(self, old: float) -> None:
        nobs = len(self._values)  # after the pop
        if nobs == 0:
            self._mean = 0.0
            self._ssqdm = 0.0
            return
        prev_mean = self._mean - self._comp_remove
        y = old - self._comp_remove
        t = y - self._mean
        self._comp_remove = t + self._mean - y
        self._mean = self._mean - t / nobs
        self._ssqdm = self._ssqdm - (old - prev_mean) * (old - self._mean)


class Ewm:
    """`x.ewm(com=..., adjust=False, min_periods=...).mean()` with pandas' own arithmetic:
    alpha = 1 / (1 + com), the weighted value divided by (old_wt + new_wt), and a value
    equal to the running one left as it is. `x` may be NaN (a diff's first bar)."""

    def __init__(self, com: float, min_periods: int) -> None:
        alpha = 1.0 / (1.0 + com)
        self._old_factor = 1.0 - alpha
        self._new_wt = alpha
        self._min_periods = min_periods
        self._weighted = NAN
        self._old_wt = 1.0
        self._nobs = 0

    @classmethod
    def from_span(cls, span: int, min_periods: int) -> Ewm:
        return cls((span - 1) / 2, min_periods)

    @classmethod
    def from_alpha(cls, alpha: float, min_periods: int) -> Ewm:
        return cls((1 - alpha) / alpha, min_periods)

    def update(self, x: float) -> float:
        observed = x == x
        self._nobs += observed
        weighted = self._weighted
        if weighted == weighted:
            old_wt = self._old_wt * self._old_factor
            if observed:
                if weighted != x:
                    weighted = (old_wt * weighted + self._new_wt * x) / (old_wt + self._new_wt)
                    self._weighted = weighted
                old_wt = 1.0  # adjust=False: the running value carries all the old weight
            self._old_wt = old_wt
        elif observed:
            self._weighted = weighted = x
        return weighted if self._nobs >= self._min_periods else NAN


class RollingExtreme:
    """Highest (or lowest) of the last `window` values, NaN until there are `window`: a
    monotonic deque, amortized O(1)."""

    def __init__(self, window: int, highest: bool) -> None:
        self._window = window
        self._sign = 1.0 if highest else -1.0
        self._candidates: deque[tuple[int, float]] = deque()  # (bar, sign·value), decreasing
        self._seen = 0

    def update(self, x: float) -> float:
        key = self._sign * x
        candidates = self._candidates
        while candidates and candidates[-1][1] <= key:
            candidates.pop()
        candidates.append((self._seen, key))
        self._seen += 1
        if candidates[0][0] <= self._seen - 1 - self._window:
            candidates.popleft()
        if self._seen < self._window:
            return NAN
        return self._sign * candidates[0][1]


class Side:
    """`crossed(x, level)` one bar at a time: True on the bar where x moves to the other side
    of `level` (sign of x - level changes, from a non-zero side)."""

    def __init__(self) -> None:
        self._prev = NAN

    def crossed(self, diff: float) -> bool:
        side = NAN if diff != diff else (diff > 0) - (diff < 0)
        prev = self._prev
        self._prev = side
        return side == side and prev == prev and prev != 0 and side != prev
