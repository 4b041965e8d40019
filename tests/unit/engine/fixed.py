"""A strategy whose targets are given, and tiny bar frames, for hand-computed engine tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from strategies.base import Strategy, StrategyParams


class FixedParams(StrategyParams):
    values: tuple[float, ...] = Field(description="target per bar (NaN = no opinion)")
    panel: dict[str, tuple[float, ...]] = Field(default_factory=dict)


class FixedTarget(Strategy[FixedParams]):
    """Targets exactly as given: per bar, or per instrument for a panel."""

    name = "test_fixed_target"
    Params = FixedParams

    @property
    def warmup(self) -> int:
        return 0

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        return pd.Series(np.asarray(self.params.values, dtype=float), index=bars.index)

    def target_panel(self, bars: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {k: np.asarray(v, dtype=float) for k, v in self.params.panel.items()},
            index=bars.index,
        )


def tiny_bars(opens: list[float], closes: list[float], freq: str = "1D") -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(opens), freq=freq, tz="UTC")
    o, c = np.asarray(opens, dtype=float), np.asarray(closes, dtype=float)
    return pd.DataFrame(
        {"open": o, "high": np.maximum(o, c) + 1, "low": np.minimum(o, c) - 1, "close": c},
        index=index,
    )
