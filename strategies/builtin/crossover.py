"""Moving-average crossover strategies."""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from strategies.base import Strategy, StrategyParams
from strategies.builtin.incremental import CrossState, ema_cross_state, sma_cross_state
from strategies.builtin.indicators import ema, sma
from strategies.plugins import register


class CrossParams(StrategyParams):
    fast: int = Field(10, ge=1, description="fast moving-average window (bars)")
    slow: int = Field(50, ge=2, description="slow moving-average window (bars)")
    allow_short: bool = Field(True, description="short when fast < slow; flat otherwise")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> CrossParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast must be < slow (got fast={self.fast}, slow={self.slow})")
        return self


def _cross_target(fast: pd.Series, slow: pd.Series, allow_short: bool) -> pd.Series:
    down = -1.0 if allow_short else 0.0
    out = np.where(fast > slow, 1.0, down)
    return pd.Series(out, index=fast.index).where(slow.notna() & fast.notna())


class MovingAverageCross(Strategy[CrossParams]):
    """Long when average(close, fast) > average(close, slow), else short (or flat if
    allow_short=False); subclasses choose the average.

    Warm-up: `slow - 1` bars (the first bar with both averages defined gets a target).
    """

    Params = CrossParams

    @staticmethod
    @abstractmethod
    def average(close: pd.Series, window: int, /) -> pd.Series:
        """The moving average of `close` over `window` bars (causal)."""

    @property
    def warmup(self) -> int:
        return self.params.slow - 1

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        close = bars["close"]
        p = self.params
        return _cross_target(
            self.average(close, p.fast), self.average(close, p.slow), p.allow_short
        )


@register
class SmaCross(MovingAverageCross):
    """Long when SMA(close, fast) > SMA(close, slow), else short (or flat if allow_short=False).

    Warm-up: `slow - 1` bars (the first bar with both averages defined gets a target).
    """

    name = "sma_cross"
    average = staticmethod(sma)

    @property
    def lookback(self) -> int:
        """Both averages see only the last `slow` bars (strategies.incremental)."""
        return self.params.slow

    def incremental(self) -> CrossState:
        p = self.params
        return sma_cross_state(p.fast, p.slow, p.allow_short)


@register
class EmaCross(MovingAverageCross):
    """Long when EMA(close, fast) > EMA(close, slow), else short (or flat if allow_short=False).

    EMAs are recursive (alpha = 2/(span+1), no bias adjustment); warm-up: `slow - 1` bars.
    """

    name = "ema_cross"
    average = staticmethod(ema)

    def incremental(self) -> CrossState:
        p = self.params
        return ema_cross_state(p.fast, p.slow, p.allow_short)
