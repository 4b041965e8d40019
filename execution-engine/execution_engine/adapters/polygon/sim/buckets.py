"""Aggregates at any multiplier/timespan at or above a series' resolution, in numpy.

Windows start at the epoch for seconds to days, on Sundays for weeks (as Polygon's weekly
bars do) and on calendar months for months, quarters and years. A timespan finer than the
source has no results, as Polygon answers a range it has no data for.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from execution_engine.adapters.polygon.sim.series import Ints, Series

UNIT_MS = {"second": 1_000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000}
UNIT_MS["week"] = 7 * UNIT_MS["day"]
MONTHS = {"month": 1, "quarter": 3, "year": 12}
TIMESPANS = (*UNIT_MS, *MONTHS)
_SUNDAY_MS = 3 * UNIT_MS["day"]  # 1970-01-04, the first Sunday after the epoch


def aggregate(series: Series, multiplier: int, timespan: str) -> Series:
    """The series in windows of multiplier x timespan (cached); empty when finer than it."""
    key = (multiplier, timespan)
    if key not in series.cache:
        series.cache[key] = _aggregate(series, multiplier, timespan)
    return series.cache[key]


def window_ms(multiplier: int, timespan: str) -> int:
    """The window's length; months count as 28 days (only to compare with a resolution)."""
    if timespan in UNIT_MS:
        return multiplier * UNIT_MS[timespan]
    return multiplier * MONTHS[timespan] * 28 * UNIT_MS["day"]


def _aggregate(series: Series, multiplier: int, timespan: str) -> Series:
    span = window_ms(multiplier, timespan)
    if span < series.resolution_ms:
        empty = np.empty(0)
        return replace(series, t=empty.astype(np.int64), o=empty, h=empty, low=empty,
                       c=empty, v=empty, spread=None, cache={})  # fmt: skip
    if span == series.resolution_ms and timespan in UNIT_MS and timespan != "week":
        return series
    starts = _window_starts(series.t, multiplier, timespan)
    first = np.flatnonzero(np.r_[True, starts[1:] != starts[:-1]])
    last = np.r_[first[1:] - 1, len(starts) - 1]
    return replace(
        series, t=starts[first], o=series.o[first], c=series.c[last],
        h=np.maximum.reduceat(series.h, first), low=np.minimum.reduceat(series.low, first),
        v=np.add.reduceat(series.v, first),
        spread=None if series.spread is None else series.spread[last],
        resolution_ms=span, cache={},
    )  # fmt: skip


def _window_starts(t: Ints, multiplier: int, timespan: str) -> Ints:
    if timespan in UNIT_MS:
        span = multiplier * UNIT_MS[timespan]
        origin = _SUNDAY_MS if timespan == "week" else 0
        return ((t - origin) // span) * span + origin
    months = t.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)
    step = multiplier * MONTHS[timespan]
    first_month = (months // step) * step
    return first_month.astype("datetime64[M]").astype("datetime64[ms]").astype(np.int64)
