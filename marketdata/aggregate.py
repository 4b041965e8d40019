"""Ticks → OHLCV bars per instrument, vectorized per batch, bars closed as time moves on.

A bar closes when a later tick of the same instrument falls in a later bucket; the
still-open bar is carried into the next batch. Buckets are aligned to the epoch (UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from marketdata.ticks.normalize import TickBatch

_UNIT_NS = {
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
}


def parse_timeframe(timeframe: str) -> int:
    """'1m' → 60e9 ns. Units s, m, h, d."""
    match = re.fullmatch(r"(\d+)([smhd])", timeframe)
    if not match or int(match.group(1)) == 0:
        raise ValueError(
            f"invalid timeframe {timeframe!r}: use <n><unit> with unit s, m, h or d, e.g. 1m"
        )
    return int(match.group(1)) * _UNIT_NS[match.group(2)]


@dataclass
class OpenBar:
    bucket: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    ticks: int

    def merge(self, other: OpenBar) -> OpenBar:
        """`other` continues this bar (same bucket, later ticks)."""
        return OpenBar(
            self.bucket,
            self.open,
            max(self.high, other.high),
            min(self.low, other.low),
            other.close,
            self.volume + other.volume,
            self.ticks + other.ticks,
        )


class BarAggregator:
    def __init__(self, timeframe: str) -> None:
        self.timeframe = timeframe
        self.bar_ns = parse_timeframe(timeframe)
        self._open: dict[str, OpenBar] = {}

    def update(self, batch: TickBatch) -> list[tuple[str, int, OpenBar]]:
        """Closed bars as (instrument, start ns, bar); expects validated (per-instrument ordered) ticks."""
        closed: list[tuple[str, int, OpenBar]] = []
        if len(batch) == 0:
            return closed
        order = np.argsort(batch.instrument, kind="stable")  # keeps time order within an instrument
        names = batch.instrument[order]
        starts = _run_starts(names)
        ends = np.append(starts[1:], len(names))
        for start, end in zip(starts, ends, strict=True):
            rows = order[start:end]
            closed += self._instrument(str(names[start]), batch, rows)
        return closed

    def flush(self) -> list[tuple[str, int, OpenBar]]:
        """Close every open bar (end of session); later ticks for those buckets start new bars."""
        closed = [(name, bar.bucket * self.bar_ns, bar) for name, bar in self._open.items()]
        self._open.clear()
        return closed

    def _instrument(
        self, name: str, batch: TickBatch, rows: npt.NDArray[np.intp]
    ) -> list[tuple[str, int, OpenBar]]:
        bars = _bars(batch.ts[rows] // self.bar_ns, batch.price[rows], batch.size[rows])
        carried = self._open.pop(name, None)
        if carried is not None:
            if carried.bucket == bars[0].bucket:
                bars[0] = carried.merge(bars[0])
            else:
                bars.insert(0, carried)
        self._open[name] = bars.pop()
        return [(name, bar.bucket * self.bar_ns, bar) for bar in bars]


def _bars(
    buckets: npt.NDArray[np.int64], price: npt.NDArray[np.float64], size: npt.NDArray[np.float64]
) -> list[OpenBar]:
    starts = _run_starts(buckets)
    ends = np.append(starts[1:], len(buckets))
    last = ends - 1
    high = np.maximum.reduceat(price, starts)
    low = np.minimum.reduceat(price, starts)
    volume = np.add.reduceat(size, starts)
    counts = ends - starts
    return [
        OpenBar(
            int(buckets[s]), float(price[s]), float(h), float(lo), float(price[e]), float(v), int(n)
        )
        for s, e, h, lo, v, n in zip(starts, last, high, low, volume, counts, strict=True)
    ]


def _run_starts(values: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """Indices where a run of equal consecutive values begins (np.r_ costs ~20 µs a call)."""
    changes = np.flatnonzero(values[1:] != values[:-1]) + 1
    return np.concatenate((np.zeros(1, dtype=np.intp), changes))
