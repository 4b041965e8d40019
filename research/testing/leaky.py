"""Deliberately leaking strategies. Importing this module registers them; the built-in
strategies never import it. They exist to prove the look-ahead detector catches a leak.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from strategies.base import Strategy, StrategyParams
from strategies.plugins import register


class PeekParams(StrategyParams):
    window: int = Field(10, ge=2, description="moving-average window")


@register
class PeekNextClose(Strategy[PeekParams]):
    """Long when the NEXT bar's close is above the SMA: `shift(-1)` reads the future."""

    name = "leaky_peek"
    Params = PeekParams

    @property
    def warmup(self) -> int:
        return self.params.window - 1

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        close = bars["close"]
        mean = close.rolling(self.params.window).mean()
        nxt = close.shift(-1)
        return pd.Series(np.where(nxt > mean, 1.0, -1.0), index=close.index).where(mean.notna())


@register
class CenteredMean(Strategy[PeekParams]):
    """Long when close is above a CENTERED rolling mean, which averages bars after t."""

    name = "leaky_centered"
    Params = PeekParams

    @property
    def warmup(self) -> int:
        return self.params.window

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        close = bars["close"]
        mean = close.rolling(self.params.window, center=True, min_periods=1).mean()
        return pd.Series(np.where(close > mean, 1.0, -1.0), index=close.index)
