"""Bar-frame helpers shared by the engines (vectorized, event, sweep): instrument names,
per-instrument price arrays and the target matrix, all in one instrument order, so the
engines cannot disagree about which column is which."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from research.errors import ResearchInputError
from strategies.bars import is_panel

SINGLE = "asset"  # the column name of single-instrument arrays when no name is given


def panel_instruments(bars: pd.DataFrame) -> list[str]:
    """A panel's instrument names (the first column level), in column order."""
    return [str(name) for name in dict.fromkeys(bars.columns.get_level_values(0))]


def field_matrix(bars: pd.DataFrame, instruments: list[str], field: str) -> npt.NDArray[np.float64]:
    """One price field as a (bars, instruments) float64 array; single-instrument bars give one
    column."""
    if is_panel(bars):
        return np.column_stack([bars[(name, field)].to_numpy(np.float64) for name in instruments])
    return bars[field].to_numpy(np.float64).reshape(-1, 1)


def instruments_of(bars: pd.DataFrame) -> list[str]:
    """The column order every engine uses: a panel's instruments, else one column."""
    return panel_instruments(bars) if is_panel(bars) else [SINGLE]


def target_matrix(raw: pd.Series | pd.DataFrame, instruments: list[str]) -> npt.NDArray[np.float64]:
    """A strategy's targets as a (bars, instruments) float64 array, columns in `instruments`
    order (a panel strategy's frame may list them in any order)."""
    if isinstance(raw, pd.DataFrame):
        missing = [name for name in instruments if name not in raw.columns]
        if missing:
            raise ResearchInputError(f"strategy returned no target for {', '.join(missing)}")
        return np.ascontiguousarray(raw[instruments].to_numpy(np.float64))
    return np.ascontiguousarray(raw.to_numpy(np.float64).reshape(-1, 1))
