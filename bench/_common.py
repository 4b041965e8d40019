"""What every benchmark shares: a synthetic OHLC random walk (not market data: only the
workload matters) and the one-line machine description printed with each result."""

from __future__ import annotations

import os
import platform

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


def machine() -> str:
    """CPU model, cores, load average (the machines are shared: it says how noisy the run was)."""
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), model
            )
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{model}; {os.cpu_count()} cores; load average {load}; Python {platform.python_version()}"
    )
