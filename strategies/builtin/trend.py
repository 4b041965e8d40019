"""Trend-following strategies: breakouts and volatility-targeted momentum."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from strategies.base import Strategy, StrategyParams
from strategies.builtin.incremental import DonchianState, VolTargetState
from strategies.builtin.indicators import hold_states
from strategies.plugins import register


class DonchianParams(StrategyParams):
    window: int = Field(20, ge=2, description="channel lookback (bars, excluding the current)")
    allow_short: bool = Field(True, description="reverse to short on a downside breakout")


@register
class DonchianBreakout(Strategy[DonchianParams]):
    """Stop-and-reverse channel breakout: long when close > the highest high of the previous
    `window` bars, short (or flat) when close < their lowest low; otherwise hold.

    Warm-up: `window` bars (the channel excludes the current bar).
    """

    name = "donchian_breakout"
    Params = DonchianParams

    @property
    def warmup(self) -> int:
        return self.params.window

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        p = self.params
        upper = bars["high"].rolling(p.window, min_periods=p.window).max().shift(1)
        lower = bars["low"].rolling(p.window, min_periods=p.window).min().shift(1)
        close = bars["close"]
        events = pd.Series(np.nan, index=bars.index)
        events[close < lower] = -1.0 if p.allow_short else 0.0
        events[close > upper] = 1.0
        return hold_states(events).where(upper.notna())

    def incremental(self) -> DonchianState:
        return DonchianState(self.params.window, self.params.allow_short)


class VolTargetParams(StrategyParams):
    lookback: int = Field(100, ge=2, description="momentum lookback (bars)")
    vol_window: int = Field(20, ge=2, description="realized-volatility window (bars)")
    target_vol: float = Field(0.10, gt=0, le=2, description="annualized volatility target")
    periods_per_year: float = Field(252.0, gt=0, description="bars per year, to annualize vol")
    max_leverage: float = Field(1.0, gt=0, le=1, description="cap on |target|")
    allow_short: bool = Field(True, description="short when momentum is negative")


@register
class VolTargetTrend(Strategy[VolTargetParams]):
    """Time-series momentum scaled to a volatility target:
    target = sign(close_t / close_{t-lookback} - 1) · min(max_leverage, target_vol / σ_t),
    σ_t = std of the last `vol_window` log returns · sqrt(periods_per_year).

    Warm-up: max(lookback, vol_window) bars.
    """

    name = "vol_target_trend"
    Params = VolTargetParams

    @property
    def warmup(self) -> int:
        return max(self.params.lookback, self.params.vol_window)

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        p = self.params
        close = bars["close"]
        change = close / close.shift(p.lookback) - 1.0
        momentum = pd.Series(np.sign(change.to_numpy()), index=close.index)
        if not p.allow_short:
            momentum = momentum.clip(lower=0.0)
        logret = np.log(close).diff()
        vol = logret.rolling(p.vol_window, min_periods=p.vol_window).std()
        scale = (p.target_vol / (vol * np.sqrt(p.periods_per_year))).clip(upper=p.max_leverage)
        scale = scale.where(vol > 0, p.max_leverage)
        target: pd.Series = (momentum * scale).where(momentum.notna() & vol.notna())
        return target

    def incremental(self) -> VolTargetState:
        p = self.params
        return VolTargetState(
            p.lookback, p.vol_window, p.target_vol, p.periods_per_year, p.max_leverage,
            p.allow_short,
        )  # fmt: skip
