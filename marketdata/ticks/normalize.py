"""Raw price updates → one columnar batch: canonical instrument names, UTC epoch nanoseconds.

Batches are numpy columns because the path is meant to run at 100k+ updates/s; a Python
object per tick would cost more than the whole rest of the path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

REQUIRED = ("instrument", "ts", "price", "size")


class TickInputError(ValueError):
    """A raw batch without the expected columns or with unparseable values."""


@dataclass(frozen=True)
class TickBatch:
    instrument: npt.NDArray[np.str_]
    ts: npt.NDArray[np.int64]  # UTC epoch nanoseconds
    price: npt.NDArray[np.float64]
    size: npt.NDArray[np.float64]
    row: npt.NDArray[np.int64]  # position in the raw input, for rejection reports

    def __len__(self) -> int:
        return len(self.ts)

    def take(self, index: npt.NDArray[Any]) -> TickBatch:
        return TickBatch(
            self.instrument[index],
            self.ts[index],
            self.price[index],
            self.size[index],
            self.row[index],
        )


def normalize(raw: Mapping[str, Sequence[Any] | npt.NDArray[Any]]) -> TickBatch:
    """Columns instrument, ts (epoch ns, datetime64 or ISO strings with an offset), price, size."""
    missing = [c for c in REQUIRED if c not in raw]
    if missing:
        raise TickInputError(f"tick batch is missing columns: {', '.join(missing)}")
    lengths = {c: len(raw[c]) for c in REQUIRED}
    if len(set(lengths.values())) > 1:
        raise TickInputError(f"tick batch columns differ in length: {lengths}")
    instrument = np.char.upper(np.char.strip(np.asarray(raw["instrument"], dtype=np.str_)))
    return TickBatch(
        instrument=instrument,
        ts=_epoch_ns(raw["ts"]),
        price=_floats(raw["price"], "price"),
        size=_floats(raw["size"], "size"),
        row=np.arange(len(instrument), dtype=np.int64),
    )


def _epoch_ns(values: Sequence[Any] | npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    try:
        # Naive strings or datetimes would be a guess about the zone; demand an offset.
        index = pd.DatetimeIndex(pd.to_datetime(array, utc=False))
    except (ValueError, TypeError) as exc:
        raise TickInputError(f"tick batch column ts: {exc}") from None
    if index.tz is None:
        raise TickInputError(
            "tick batch column ts: timestamps need a UTC offset (or epoch nanoseconds)"
        )
    return index.tz_convert("UTC").asi8


def _floats(values: Sequence[Any] | npt.NDArray[Any], column: str) -> npt.NDArray[np.float64]:
    try:
        return np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError):
        raise TickInputError(f"tick batch column {column}: not numbers") from None
