"""Mean-reversion strategies: enter at an extreme, exit when price returns to the mean."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from strategies.base import Strategy, StrategyParams
from strategies.builtin.incremental import BollingerState, RsiState
from strategies.builtin.indicators import crossed, hold_states, rsi, sma
from strategies.plugins import register


def _revert(
    low_hit: pd.Series, high_hit: pd.Series, mid_cross: pd.Series, short: bool
) -> pd.Series:
    """+1 on `low_hit`, -1 (or 0) on `high_hit`, 0 when the mean is crossed, held between.

    A position entered at an extreme can only cross the mean towards it, so one
    "crossed the mean" event is enough to close either side: the rule needs no loop.
    """
    events = pd.Series(np.nan, index=low_hit.index)
    events[mid_cross] = 0.0
    events[high_hit] = -1.0 if short else 0.0
    events[low_hit] = 1.0
    return hold_states(events)


class RsiParams(StrategyParams):
    window: int = Field(14, ge=2, description="RSI window (Wilder smoothing)")
    lower: float = Field(30.0, gt=0, lt=100, description="go long when RSI < lower")
    upper: float = Field(70.0, gt=0, lt=100, description="go short when RSI > upper")
    exit_level: float = Field(50.0, gt=0, lt=100, description="close when RSI crosses this")
    allow_short: bool = Field(True, description="trade the upper extreme short")

    @model_validator(mode="after")
    def _ordered(self) -> RsiParams:
        if not self.lower < self.exit_level < self.upper:
            raise ValueError(
                "lower < exit_level < upper is required "
                f"(got lower={self.lower}, exit_level={self.exit_level}, upper={self.upper})"
            )
        return self


@register
class RsiReversion(Strategy[RsiParams]):
    """Long when RSI(window) < lower, short when RSI > upper; flat when RSI crosses exit_level.

    Warm-up: `window` bars (Wilder's RSI needs `window` price changes).
    """

    name = "rsi_reversion"
    Params = RsiParams

    @property
    def warmup(self) -> int:
        return self.params.window

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        p = self.params
        r = rsi(bars["close"], p.window)
        out = _revert(r < p.lower, r > p.upper, crossed(r, p.exit_level), p.allow_short)
        return out.where(r.notna())

    def incremental(self) -> RsiState:
        p = self.params
        return RsiState(p.window, p.lower, p.upper, p.exit_level, p.allow_short)


class BollingerParams(StrategyParams):
    window: int = Field(20, ge=2, description="moving-average and deviation window")
    k: float = Field(2.0, gt=0, le=10, description="band width in standard deviations")
    allow_short: bool = Field(True, description="trade the upper band short")


@register
class BollingerReversion(Strategy[BollingerParams]):
    """Long when close < mean - k·std, short when close > mean + k·std; flat when close
    crosses the mean. Mean and std are SMA and sample std over `window` bars.

    Warm-up: `window - 1` bars.
    """

    name = "bollinger_reversion"
    Params = BollingerParams

    @property
    def warmup(self) -> int:
        return self.params.window - 1

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        p = self.params
        close = bars["close"]
        mid = sma(close, p.window)
        dev = close.rolling(p.window, min_periods=p.window).std()
        out = _revert(
            close < mid - p.k * dev, close > mid + p.k * dev, crossed(close, mid), p.allow_short
        )
        return out.where(mid.notna())

    def incremental(self) -> BollingerState:
        p = self.params
        return BollingerState(p.window, p.k, p.allow_short)
