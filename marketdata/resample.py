"""Ticks → bars and bars → coarser bars, labelled by bar open time (label and closed left), UTC.

The bucket rule and the OHLCV fold are `marketdata.buckets`', shared with the incremental tick
aggregator, so batch and live bars agree bar for bar. Empty bins are dropped rather than
filled: a bar with no trades did not happen. Bins sit on the UTC epoch; FX daily bars can start
at the New York close (22:00 UTC) with `day_start="22:00"`.
"""

from __future__ import annotations

import copy
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from marketdata.buckets import Folded, Runs, bar_starts, fold
from marketdata.errors import DataError
from marketdata.timeframes import Timeframe, parse_timeframe

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
    rows, starts = _bucketed(ticks.index, parse_timeframe(timeframe), day_start)
    quote = _floats(quotes, rows)
    folded = fold(starts, quote, quote, quote, quote, _floats(volume, rows))
    extra: dict[str, npt.NDArray[np.float64]] = {}
    if spread:
        extra["spread"] = Runs.of(starts).mean(_floats(ticks["ask"] - ticks["bid"], rows))
    return _finish(folded, ticks, extra)


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
    rows, starts = _bucketed(bars.index, target, day_start)
    o, h, low, c = (_floats(bars[name], rows) for name in ("open", "high", "low", "close"))
    has_volume = "volume" in bars.columns
    volume = _floats(bars["volume"], rows) if has_volume else np.zeros(len(rows))
    folded = fold(starts, o, h, low, c, volume)
    extra: dict[str, npt.NDArray[np.float64]] = {}
    if "spread" in bars.columns:
        extra["spread"] = Runs.of(starts).mean(_floats(bars["spread"], rows))
    return _finish(folded, bars, extra, volume=has_volume)


def _grid(index: pd.DatetimeIndex) -> Timeframe | None:
    """The finest spacing every bar sits on (the gcd of the steps), so gaps don't matter."""
    steps = np.diff(np.unique(index.asi8))
    return Timeframe(int(np.gcd.reduce(steps))) if len(steps) else None


def _bucketed(
    index: pd.Index, timeframe: Timeframe, day_start: str
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64]]:
    """The rows to fold, in time order (stable: equal timestamps keep their order; NaT rows
    belong to no bar), and the start (UTC epoch ns) of each one's bar."""
    offset = _day_offset(day_start, timeframe)
    stamps = pd.DatetimeIndex(index).tz_convert("UTC").as_unit("ns")
    rows = np.flatnonzero(~np.asarray(stamps.isna()))
    rows = rows[np.argsort(stamps.asi8[rows], kind="stable")]
    return rows, bar_starts(stamps.asi8[rows], timeframe, offset.value)


def _floats(column: pd.Series, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
    return column.to_numpy(np.float64)[rows]


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


def _finish(
    folded: Folded,
    source: pd.DataFrame,
    extra: dict[str, npt.NDArray[np.float64]],
    *,
    volume: bool = True,
) -> pd.DataFrame:
    """The bars that happened (a valid close), in the bar convention, stamped at the resolution
    of the `source` frame's index (s, ms, us or ns) and carrying its attrs (as pandas' resample
    did: instrument and source stay known)."""
    happened = folded.count > 0
    columns = {"open": folded.open, "high": folded.high, "low": folded.low, "close": folded.close}
    if volume:
        columns["volume"] = folded.volume
    columns |= extra
    index = pd.DatetimeIndex(folded.start[happened], tz="UTC", name="timestamp").as_unit(
        pd.DatetimeIndex(source.index).unit
    )
    bars = pd.DataFrame({name: values[happened] for name, values in columns.items()}, index=index)
    bars.attrs = copy.deepcopy(source.attrs)
    return bars
