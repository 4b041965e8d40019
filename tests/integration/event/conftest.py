"""Shared data for the event-engine tests: small, deterministic bar sets."""

import pandas as pd
import pytest

from tests.fixtures.bars import make_bars

# Built-in strategies with parameters short enough for a few hundred bars.
PARAMS: dict[str, dict[str, object]] = {
    "sma_cross": {"fast": 5, "slow": 20},
    "ema_cross": {"fast": 5, "slow": 20},
    "rsi_reversion": {"window": 10},
    "donchian_breakout": {"window": 15},
    "bollinger_reversion": {"window": 15, "k": 1.5},
    "vol_target_trend": {"lookback": 30, "vol_window": 10, "periods_per_year": 6048.0},
}

# Instrument → price scale of the synthetic bars (USD/JPY trades near 150).
INSTRUMENTS: dict[str, float] = {"EUR/USD": 1.0, "USD/JPY": 136.0}


def fx_bars(instrument: str, n: int = 300, seed: int = 3) -> pd.DataFrame:
    bars = make_bars(n, seed=seed)
    for col in ("open", "high", "low", "close"):
        bars[col] = bars[col] * INSTRUMENTS.get(instrument, 1.0)
    bars.attrs["instrument"] = instrument
    return bars


@pytest.fixture
def eurusd() -> pd.DataFrame:
    return fx_bars("EUR/USD")
