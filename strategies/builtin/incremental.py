"""Per-bar states of the built-in strategies (`strategies.incremental.IncrementalTarget`).

Each repeats its strategy's `compute` one bar at a time with the recursive indicators of
`strategies.builtin.online`, which give pandas' floats exactly, so thresholds and
crossovers decide as the vectorized `target` does. Warm-up masking is the caller's
(`strategies.incremental.WarmupMasked`); these return whatever `compute` would.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Literal

import numpy as np

from strategies.builtin.online import NAN, Ewm, RollingExtreme, RollingMean, RollingStd, Side

Average = RollingMean | Ewm
CrossEntry = Literal["state", "cross"]  # ADR 0002 §15


class CrossState:
    """`_cross_target`: +1 when fast > slow, else -1 (or 0); NaN until both are defined.
    entry="cross": 0 until `fast > slow` first flips between two defined bars."""

    closes_only = True  # update reads only `close` (strategies.incremental)

    def __init__(
        self, fast: Average, slow: Average, allow_short: bool, entry: CrossEntry = "state"
    ) -> None:
        self._fast = fast
        self._slow = slow
        self._down = -1.0 if allow_short else 0.0
        self._crossed = entry == "state"  # "state" follows from the first defined bar
        self._above: bool | None = None  # the previous defined bar's fast > slow

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> float:
        fast = self._fast.update(close)
        slow = self._slow.update(close)
        if fast != fast or slow != slow:
            return NAN
        above = fast > slow
        if not self._crossed:
            before, self._above = self._above, above
            if before is None or before == above:
                return 0.0
            self._crossed = True
        return 1.0 if above else self._down


def sma_cross_state(
    fast: int, slow: int, allow_short: bool, entry: CrossEntry = "state"
) -> CrossState:
    return CrossState(RollingMean(fast), RollingMean(slow), allow_short, entry)


def ema_cross_state(
    fast: int, slow: int, allow_short: bool, entry: CrossEntry = "state"
) -> CrossState:
    return CrossState(Ewm.from_span(fast, fast), Ewm.from_span(slow, slow), allow_short, entry)


class Reversion:
    """`_revert` held state: +1 on a low hit, -1 (or 0) on a high hit, 0 when the mean is
    crossed, held between (the vectorized events' priority: low, then high, then cross)."""

    def __init__(self, allow_short: bool) -> None:
        self._high = -1.0 if allow_short else 0.0
        self.held = 0.0

    def step(self, low_hit: bool, high_hit: bool, mid_cross: bool) -> float:
        if low_hit:
            self.held = 1.0
        elif high_hit:
            self.held = self._high
        elif mid_cross:
            self.held = 0.0
        return self.held


class RsiState:
    """`RsiReversion.compute`: Wilder's RSI (`indicators.rsi`) into the reversion rule."""

    closes_only = True  # update reads only `close` (strategies.incremental)

    def __init__(
        self, window: int, lower: float, upper: float, exit_level: float, allow_short: bool
    ) -> None:
        alpha = 1.0 / window
        self._gain = Ewm.from_alpha(alpha, window)
        self._loss = Ewm.from_alpha(alpha, window)
        self._lower, self._upper, self._exit = lower, upper, exit_level
        self._prev_close = NAN
        self._side = Side()
        self._rule = Reversion(allow_short)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> float:
        delta = close - self._prev_close
        self._prev_close = close
        # clip(lower=0) keeps NaN as NaN (the first bar has no change).
        gain = self._gain.update(delta if delta != delta else max(delta, 0.0))
        loss = self._loss.update(-delta if delta != delta else max(-delta, 0.0))
        if gain != gain:
            self._side.crossed(NAN)
            return NAN
        r = 100.0 if loss == 0.0 else 100.0 - 100.0 / (1.0 + gain / loss)
        crossed = self._side.crossed(r - self._exit)
        return self._rule.step(r < self._lower, r > self._upper, crossed)


class BollingerState:
    """`BollingerReversion.compute`: SMA and sample std of the close over `window` bars."""

    closes_only = True  # update reads only `close` (strategies.incremental)

    def __init__(self, window: int, k: float, allow_short: bool) -> None:
        self._mid = RollingMean(window)
        self._dev = RollingStd(window)
        self._k = k
        self._side = Side()
        self._rule = Reversion(allow_short)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> float:
        mid = self._mid.update(close)
        dev = self._dev.update(close)
        crossed = self._side.crossed(close - mid)
        if mid != mid:
            return NAN
        width = self._k * dev
        return self._rule.step(close < mid - width, close > mid + width, crossed)


class DonchianState:
    """`DonchianBreakout.compute`: the channel of the previous `window` bars (shift 1)."""

    def __init__(self, window: int, allow_short: bool) -> None:
        self._highest = RollingExtreme(window, highest=True)
        self._lowest = RollingExtreme(window, highest=False)
        self._upper = NAN  # channel over the bars before this one
        self._lower = NAN
        self._down = -1.0 if allow_short else 0.0
        self._held = 0.0

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> float:
        upper, lower = self._upper, self._lower
        self._upper = self._highest.update(high)
        self._lower = self._lowest.update(low)
        if close < lower:
            self._held = self._down
        if close > upper:  # assigned last in `compute`: it wins over a downside break
            self._held = 1.0
        return self._held if upper == upper else NAN


def _log(x: float) -> float:
    """np.log's value: numpy's own kernel (math.log differs from it in the last bit for
    ~0.15 % of prices), and np.log's -inf / NaN where math.log raises."""
    if x > 0:
        return float(np.log(x))
    return -math.inf if x == 0 else NAN


class VolTargetState:
    """`VolTargetTrend.compute`: sign of the `lookback`-bar change times the capped
    volatility scale (std of `vol_window` log returns, annualized)."""

    closes_only = True  # update reads only `close` (strategies.incremental)

    def __init__(
        self,
        lookback: int,
        vol_window: int,
        target_vol: float,
        periods_per_year: float,
        max_leverage: float,
        allow_short: bool,
    ) -> None:
        self._lag = lookback + 1
        self._closes: deque[float] = deque(maxlen=self._lag)
        self._vol = RollingStd(vol_window)
        self._prev_log = NAN
        self._target_vol = target_vol
        self._annualize = math.sqrt(periods_per_year)
        self._max_leverage = max_leverage
        self._allow_short = allow_short

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> float:
        closes = self._closes
        closes.append(close)
        log_close = _log(close)
        logret = log_close - self._prev_log
        self._prev_log = log_close
        # The first return is NaN in pandas and does not count towards the window.
        vol = self._vol.update(logret) if logret == logret else NAN
        if len(closes) < self._lag:  # no close `lookback` bars ago yet
            return NAN
        change = close / closes[0] - 1.0
        momentum = float((change > 0) - (change < 0))
        if not self._allow_short:
            momentum = max(momentum, 0.0)
        if vol != vol:
            return NAN
        if vol > 0:
            scale = min(self._target_vol / (vol * self._annualize), self._max_leverage)
        else:
            scale = self._max_leverage
        return momentum * scale
