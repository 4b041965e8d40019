"""Causal indicator helpers shared by the built-in strategies (pandas only)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def sma(x: pd.Series, window: int) -> pd.Series:
    return x.rolling(window, min_periods=window).mean()


def ema(x: pd.Series, span: int) -> pd.Series:
    # adjust=False is the recursive EMA traders use; it only looks backwards.
    return x.ewm(span=span, adjust=False, min_periods=span).mean()


def rsi(close: pd.Series, window: int) -> pd.Series:
    """Wilder's RSI: smoothed gains over smoothed losses, with alpha = 1/window."""
    delta = close.diff()
    gain = delta.clip(lower=0.0).ewm(alpha=1.0 / window, adjust=False, min_periods=window).mean()
    loss = (-delta).clip(lower=0.0).ewm(alpha=1.0 / window, adjust=False, min_periods=window).mean()
    rs = gain / loss
    out = 100.0 - 100.0 / (1.0 + rs)
    # No losses at all in the window: RSI is 100 by definition (rs is inf or nan).
    return out.where(loss != 0.0, 100.0).where(gain.notna())


def crossed(x: pd.Series, level: pd.Series | float) -> pd.Series:
    """True on the bar where x moves to the other side of `level` (either direction)."""
    diff = x - level
    side = pd.Series(np.sign(diff.to_numpy()), index=x.index)
    prev = side.shift(1)
    return (side != prev) & side.notna() & prev.notna() & (prev != 0)


def hold_states(events: pd.Series) -> pd.Series:
    """Turn sparse position events (+1, -1, 0, NaN = no event) into a held position."""
    return events.ffill().fillna(0.0)
