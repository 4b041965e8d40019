"""Which bar a timestamp belongs to, and the OHLCV fold that turns a run of rows into that bar:
one definition for the batch resampler (`marketdata.resample`) and the incremental tick
aggregator (`marketdata.aggregate`), so the two cannot disagree.

Bars cover [start, start + length) and are labelled by their open time; starts sit on the UTC
epoch shifted by `offset_ns` (0, or a day start such as the New York close for daily bars).
A tick folds as a bar whose four prices are its price, so ticks → bars and bars → coarser bars
are the same fold. Like pandas' aggregations the fold skips NaN: first and last valid values,
max and min of the valid ones, the sum of valid volumes; `count` counts the rows with a valid
close, each weighted (a bar carried over from an earlier batch weighs its tick count).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from marketdata.timeframes import Timeframe

__all__ = ["Folded", "Runs", "bar_starts", "fold"]

Floats = npt.NDArray[np.float64]
Stamps = npt.NDArray[np.int64]
Positions = npt.NDArray[np.intp]

_NO_ROWS = np.zeros(0, dtype=np.intp)


def bar_starts(stamps: Stamps, timeframe: Timeframe, offset_ns: int = 0) -> Stamps:
    """The open time (UTC epoch ns) of the bar each of `stamps` (UTC epoch ns) falls in."""
    length = timeframe.nanos
    return (stamps - offset_ns) // length * length + offset_ns


@dataclass(frozen=True)
class Runs:
    """Rows cut into runs of equal consecutive keys (a bar start, an instrument name).

    The NaN-skipping reductions below give one value per run.
    """

    first: Positions  # each run's first row
    end: Positions  # one past each run's last row

    @classmethod
    def of(cls, keys: npt.NDArray[Any]) -> Runs:
        # Plain nonzero and preallocated arrays: this runs per instrument per batch on the tick
        # path, where helpers such as np.r_ (~20 µs a call) cost more than the arithmetic.
        if len(keys) == 0:
            return cls(_NO_ROWS, _NO_ROWS)
        changes = np.nonzero(keys[1:] != keys[:-1])[0] + 1
        first = np.empty(len(changes) + 1, dtype=np.intp)
        first[0], first[1:] = 0, changes
        end = np.empty_like(first)
        end[:-1], end[-1] = changes, len(keys)
        return cls(first, end)

    def __len__(self) -> int:
        return len(self.first)

    def first_valid(self, values: Floats) -> Floats:
        if not len(self) or not np.isnan(values).any():
            return values[self.first]
        rows = np.where(np.isnan(values), len(values), np.arange(len(values)))
        return self._pick(values, np.minimum.reduceat(rows, self.first))

    def last_valid(self, values: Floats) -> Floats:
        if not len(self) or not np.isnan(values).any():
            return values[self.end - 1]
        rows = np.where(np.isnan(values), -1, np.arange(len(values)))
        return self._pick(values, np.maximum.reduceat(rows, self.first))

    def max(self, values: Floats) -> Floats:
        return np.fmax.reduceat(values, self.first) if len(self) else values[:0]

    def min(self, values: Floats) -> Floats:
        return np.fmin.reduceat(values, self.first) if len(self) else values[:0]

    def sum(self, values: Floats) -> Floats:
        if not len(self):
            return values[:0]
        if np.isnan(values).any():
            values = np.where(np.isnan(values), 0.0, values)
        return np.add.reduceat(values, self.first)

    def mean(self, values: Floats) -> Floats:
        counts = self.sum((~np.isnan(values)).astype(np.float64))
        with np.errstate(invalid="ignore", divide="ignore"):  # an all-NaN run's mean is NaN
            return np.where(counts > 0, self.sum(values) / counts, np.nan)

    def _pick(self, values: Floats, rows: Positions) -> Floats:
        """values[rows], one row per run; NaN where the run had no valid row (the sentinel
        row found is outside the run)."""
        inside = (rows >= self.first) & (rows < self.end)
        picked = np.full(len(rows), np.nan)
        picked[inside] = values[rows[inside]]
        return picked


@dataclass(frozen=True)
class Folded:
    """One bar per run: its start, OHLCV and how many (weighted) rows with a valid close."""

    start: Stamps
    open: Floats
    high: Floats
    low: Floats
    close: Floats
    volume: Floats
    count: Floats

    def __len__(self) -> int:
        return len(self.start)


def fold(
    starts: Stamps,
    open_: Floats,
    high: Floats,
    low: Floats,
    close: Floats,
    volume: Floats,
    weight: Floats | None = None,
) -> Folded:
    """Bars from rows in time order, `starts` their `bar_starts`: first open, max high, min low,
    last close, summed volume, per run of equal starts. A bar is a run, so the caller drops the
    runs whose `count` is 0 (no valid close: the bar did not happen)."""
    runs = Runs.of(starts)
    weights = np.ones(len(close)) if weight is None else weight
    counted = np.where(np.isnan(close), 0.0, weights) if np.isnan(close).any() else weights
    return Folded(
        start=starts[runs.first],
        open=runs.first_valid(open_),
        high=runs.max(high),
        low=runs.min(low),
        close=runs.last_valid(close),
        volume=runs.sum(volume),
        count=runs.sum(counted),
    )
