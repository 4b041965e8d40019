"""Synthetic OHLC random walks for benchmarks (not market data: only the workload matters)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_walk_bars(
    n: int, *, freq: str, start: str, sigma: float, open_sigma: float, wick_sigma: float, seed: int
) -> pd.DataFrame:
    """n valid bars: log-normal closes, opens near the previous close, wicks around both."""
    rng = np.random.default_rng(seed)
    close = 1.1 * np.exp(np.cumsum(rng.normal(0, sigma, n)))
    open_ = np.concatenate([[1.1], close[:-1]]) * (1 + rng.normal(0, open_sigma, n))
    wick = np.abs(rng.normal(0, wick_sigma, n))
    index = pd.date_range(start, periods=n, freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * (1 + wick),
            "low": np.minimum(open_, close) * (1 - wick),
            "close": close,
            "volume": np.full(n, 100.0),
        },
        index=index,
    )
