"""The host's bar history: growable numpy columns, handed to the strategy as a bar frame.

Appending to numpy buffers (amortized O(1)) and slicing the tail keeps the per-bar cost of
building the frame independent of how long the node has been running.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_FIELDS = ("open", "high", "low", "close", "volume")
Row = tuple[float, float, float, float, float]  # one instrument's bar, in _FIELDS order


class BarWindow:
    """Bars of one or more instruments at shared timestamps, newest last."""

    def __init__(self, columns: list[str], panel: bool, window: int | None, keep: int) -> None:
        self._keep = max(keep, window or 0, 2)
        self._panel = panel
        self._window = window
        self._size = 0
        self._capacity = 1024
        self._times = np.empty(self._capacity, dtype=np.int64)
        self._values = np.full((self._capacity, len(columns), len(_FIELDS)), np.nan)
        # The frame's column labels never change: built once (a MultiIndex costs ~0.2 ms),
        # copied per frame so a strategy renaming its frame's levels cannot touch the next.
        self._labels: pd.Index = (
            pd.MultiIndex.from_product([columns, list(_FIELDS)]) if panel else pd.Index(_FIELDS)
        )

    def __len__(self) -> int:
        return self._size

    def append(self, open_ns: int, rows: dict[int, Row]) -> None:
        """One timestamp; `rows` maps a column position to (open, high, low, close, volume)."""
        if self._size == self._capacity:
            self._grow()
        self._times[self._size] = open_ns
        self._values[self._size] = np.nan
        for col, row in rows.items():
            self._values[self._size, col] = row
        self._size += 1
        if self._window is not None and self._size >= 2 * max(self._keep, 512):
            self._compact()

    def closes(self, col: int, count: int) -> np.ndarray:
        start = max(0, self._size - count)
        return self._values[start : self._size, col, 3]

    def frame(self) -> pd.DataFrame:
        """The newest `window` bars (all of them when window is None) in the bar convention."""
        start = 0 if self._window is None else max(0, self._size - self._window)
        index = pd.DatetimeIndex(self._times[start : self._size], tz="UTC", name="timestamp")
        values = self._values[start : self._size]
        if not self._panel:
            return pd.DataFrame(values[:, 0, :], index=index, columns=self._labels.copy())
        flat = values.reshape(len(index), len(self._labels))
        return pd.DataFrame(flat, index=index, columns=self._labels.copy())

    def _grow(self) -> None:
        self._capacity *= 2
        times = np.empty(self._capacity, dtype=np.int64)
        times[: self._size] = self._times[: self._size]
        values = np.full((self._capacity, *self._values.shape[1:]), np.nan)
        values[: self._size] = self._values[: self._size]
        self._times, self._values = times, values

    def _compact(self) -> None:
        # Keep what the next calls can see (and vol-target history) so memory stays bounded.
        keep = max(self._keep, 512)
        start = self._size - keep
        self._times[:keep] = self._times[start : self._size]
        self._values[:keep] = self._values[start : self._size]
        self._size = keep
