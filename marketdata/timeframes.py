"""Bar timeframes: one canonical label ("1m", "1h", "1d") for the many spellings users type."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from marketdata.errors import DataError

__all__ = ["Timeframe", "infer_timeframe", "parse_timeframe"]

_NS = {"s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000, "d": 86_400_000_000_000}
_NS["w"] = 7 * _NS["d"]
_UNIT_WORDS = {
    "s": "s", "sec": "s", "second": "s", "seconds": "s",
    "m": "m", "min": "m", "minute": "m", "minutes": "m", "t": "m",
    "h": "h", "hr": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
    "w": "w", "wk": "w", "week": "w", "weeks": "w",
}  # fmt: skip
# MetaTrader spells the unit first: M1, M15, H1, H4, D1, W1 (MN, months, has no fixed length).
_MT_UNITS = {"m": "m", "h": "h", "d": "d", "w": "w"}
_PLAIN = re.compile(r"^(\d+)\s*([a-z]+)$")
_METATRADER = re.compile(r"^([mhdw])(\d+)$")


@dataclass(frozen=True)
class Timeframe:
    """A fixed bar length. `label` is canonical: the largest unit that divides it evenly.

    `nanos` is also the bucket length: `marketdata.buckets.bar_starts` cuts time into bars of it.
    """

    nanos: int

    @property
    def label(self) -> str:
        for unit in ("w", "d", "h", "m", "s"):
            if self.nanos % _NS[unit] == 0:
                return f"{self.nanos // _NS[unit]}{unit}"
        return f"{self.nanos}ns"

    @property
    def delta(self) -> pd.Timedelta:
        return pd.Timedelta(self.nanos, unit="ns")

    def __str__(self) -> str:
        return self.label


def parse_timeframe(text: str | Timeframe) -> Timeframe:
    """Parse "1m", "5min", "1h", "H1", "M15", "1d", "D1"... into a Timeframe."""
    if isinstance(text, Timeframe):
        return text
    cleaned = text.strip().lower()
    count, unit = _split(cleaned)
    if count is None or unit is None or count <= 0:
        raise DataError(
            f"invalid timeframe {text!r}: the bar length is not understood; "
            "use e.g. 1m, 5m, 15m, 1h, 4h, 1d (or M1, H1, D1)"
        )
    return Timeframe(count * _NS[unit])


def _split(cleaned: str) -> tuple[int | None, str | None]:
    plain = _PLAIN.match(cleaned)
    if plain and plain.group(2) in _UNIT_WORDS:
        return int(plain.group(1)), _UNIT_WORDS[plain.group(2)]
    metatrader = _METATRADER.match(cleaned)
    if metatrader:
        return int(metatrader.group(2)), _MT_UNITS[metatrader.group(1)]
    return None, None


def infer_timeframe(index: pd.DatetimeIndex) -> Timeframe | None:
    """The most common positive spacing between consecutive timestamps (None if < 2 distinct)."""
    stamps = index.asi8
    if len(stamps) < 2:
        return None
    diffs = stamps[1:] - stamps[:-1]
    diffs = diffs[diffs > 0]
    if len(diffs) == 0:
        return None
    values, counts = np.unique(diffs, return_counts=True)
    return Timeframe(int(values[counts.argmax()]))
