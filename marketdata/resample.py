"""Ticks → bars and bars → coarser bars, labelled by bar open time (label and closed left), UTC.

pandas' resample does the binning; it is the well-kept tool for this and handles calendar
anchoring. Empty bins are dropped rather than filled: a bar with no trades did not happen.
FX daily bars can start at the New York close (22:00 UTC) with `day_start="22:00"`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from marketdata.errors import DataError
from marketdata.timeframes import Timeframe, parse_timeframe

if TYPE_CHECKING:
    from pandas.core.resample import Resampler

__all__ = ["NEW_YORK_CLOSE", "resample_bars", "ticks_to_bars"]

NEW_YORK_CLOSE = "22:00"
_DAY_NS = 86_400_000_000_000


def ticks_to_bars(
    ticks: pd.DataFrame,
    timeframe: str | Timeframe,
    *,
    price: Literal["mid", "bid"] = "mid",
    spread: bool = True,
    day_start: str = "00:00",
) -> pd.DataFrame:
    """Bars from ticks (columns bid, ask[, volume]): OHLC of the mid (or bid) price, volume =
    sum of tick volume (tick count when there is none), spread = mean ask - bid per bar."""
    if price not in ("mid", "bid"):
        raise DataError(f"price must be 'mid' or 'bid', not {price!r}")
    quotes = (ticks["bid"] + ticks["ask"]) / 2 if price == "mid" else ticks["bid"]
    volume = ticks["volume"] if "volume" in ticks.columns else pd.Series(1.0, index=ticks.index)
    frame = pd.DataFrame(
        {"price": quotes.astype(float), "volume": volume.astype(float)}, index=ticks.index
    )
    if spread:
        frame["spread"] = (ticks["ask"] - ticks["bid"]).astype(float)
    grouped = _resampler(frame, parse_timeframe(timeframe), day_start)
    bars = grouped["price"].ohlc()
    bars["volume"] = grouped["volume"].sum()
    if spread:
        bars["spread"] = grouped["spread"].mean()
    return _finish(bars, grouped["price"].count())


def resample_bars(
    bars: pd.DataFrame,
    timeframe: str | Timeframe,
    *,
    day_start: str = "00:00",
    source: str | Timeframe | None = None,
) -> pd.DataFrame:
    """Coarser bars: first open, max high, min low, last close, summed volume, mean spread.

    `source` is the bars' own timeframe (default: attrs["timeframe"], else the finest spacing
    every bar sits on); the target must be a whole multiple of it, or bars would be split.
    """
    target = parse_timeframe(timeframe)
    known = source or bars.attrs.get("timeframe")
    source = parse_timeframe(known) if known else _grid(pd.DatetimeIndex(bars.index))
    if source is not None and target.nanos % source.nanos:
        raise DataError(
            f"cannot resample {source.label} bars to {target.label}: "
            f"{target.label} is not a whole multiple of {source.label}"
        )
    rules = {"open": "first", "high": "max", "low": "min", "close": "last"}
    rules |= {name: "sum" for name in ("volume",) if name in bars.columns}
    rules |= {name: "mean" for name in ("spread",) if name in bars.columns}
    grouped = _resampler(bars, target, day_start)
    coarse = grouped.agg(rules)
    return _finish(coarse[list(rules)], grouped["close"].count())


def _grid(index: pd.DatetimeIndex) -> Timeframe | None:
    """The finest spacing every bar sits on (the gcd of the steps), so gaps don't matter."""
    steps = np.diff(np.unique(index.asi8))
    return Timeframe(int(np.gcd.reduce(steps))) if len(steps) else None


def _resampler(
    frame: pd.DataFrame, timeframe: Timeframe, day_start: str
) -> Resampler[pd.DataFrame]:
    offset = _day_offset(day_start, timeframe)
    return frame.resample(
        timeframe.delta, label="left", closed="left", origin="epoch", offset=offset
    )


def _day_offset(day_start: str, timeframe: Timeframe) -> pd.Timedelta:
    """Bins are anchored at epoch midnight (UTC); `day_start` shifts that anchor, which only
    matters for bars of an hour or more (a 22:00 shift is invisible to 1-minute bins)."""
    try:
        hours, minutes = (int(part) for part in day_start.split(":"))
    except ValueError:
        raise DataError(f"day_start must look like HH:MM, not {day_start!r}") from None
    shift = pd.Timedelta(hours=hours, minutes=minutes)
    if timeframe.nanos > _DAY_NS or _DAY_NS % timeframe.nanos:
        raise DataError(f"resampling supports timeframes that divide a day, not {timeframe.label}")
    return shift % timeframe.delta


def _finish(bars: pd.DataFrame, counts: pd.Series) -> pd.DataFrame:
    bars = bars[counts.to_numpy() > 0].astype(np.float64)
    bars.index = pd.DatetimeIndex(bars.index, name="timestamp").tz_convert("UTC")
    return bars
