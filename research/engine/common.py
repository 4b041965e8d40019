"""Bar-frame helpers shared by the engines: instrument names and per-instrument price arrays."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from strategies.bars import is_panel


def panel_instruments(bars: pd.DataFrame) -> list[str]:
    """A panel's instrument names (the first column level), in column order."""
    return [str(name) for name in dict.fromkeys(bars.columns.get_level_values(0))]


def field_matrix(bars: pd.DataFrame, instruments: list[str], field: str) -> npt.NDArray[np.float64]:
    """One price field as a (bars, instruments) float64 array; single-instrument bars give one
    column."""
    if is_panel(bars):
        return np.column_stack([bars[(name, field)].to_numpy(np.float64) for name in instruments])
    return bars[field].to_numpy(np.float64).reshape(-1, 1)
