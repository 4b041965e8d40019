"""The bar frame convention shared by every engine and every loader.

Single instrument: a pandas DataFrame indexed by a tz-aware UTC DatetimeIndex, strictly
increasing, with float columns open, high, low, close and (optionally) volume.
Panel: the same index, two-level columns (instrument, field).

`validate_bars` checks the structure only; the row rules (prices, OHLC consistency, time order)
live in `marketdata.rules` and the data-quality report in `marketdata.quality`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import pandas as pd

BAR_FIELDS: tuple[str, ...] = ("open", "high", "low", "close")

__all__ = ["BAR_FIELDS", "BarsError", "is_panel", "missing_fields", "validate_bars"]


class BarsError(ValueError):
    """Bars that do not follow the convention above."""


def is_panel(bars: pd.DataFrame) -> bool:
    return isinstance(bars.columns, pd.MultiIndex)


def missing_fields(fields: Iterable[Hashable]) -> list[str]:
    """The BAR_FIELDS absent from `fields` (column names), in BAR_FIELDS order."""
    present = set(fields)
    return [name for name in BAR_FIELDS if name not in present]


def validate_bars(bars: pd.DataFrame) -> None:
    """Cheap structural checks; the row rules live in `marketdata.rules`."""
    if not isinstance(bars, pd.DataFrame):
        raise BarsError(f"bars must be a pandas DataFrame, got {type(bars).__name__}")
    if not isinstance(bars.index, pd.DatetimeIndex):
        raise BarsError("bars must be indexed by a DatetimeIndex")
    if bars.index.tz is None:
        raise BarsError("bars index must be timezone-aware (UTC)")
    if len(bars) > 1 and not bars.index.is_monotonic_increasing:
        raise BarsError("bars index must be increasing")
    fields = bars.columns.get_level_values(-1) if is_panel(bars) else bars.columns
    missing = missing_fields(fields)
    if missing:
        raise BarsError(f"bars are missing columns: {', '.join(missing)}")
