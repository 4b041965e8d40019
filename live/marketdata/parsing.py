"""Input to ingestion, whatever its origin (CSV, Parquet, pandas, polars), as checked numpy columns.

Values that do not parse (a word where a price should be, a date that is not a date) are kept as
missing and reported by row by `live.marketdata.validate`, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from live.marketdata.errors import IngestRejectedError

TIMESTAMP_ALIASES = ("timestamp", "ts", "time", "datetime", "date")
OPTIONAL_ZERO = ("volume",)  # absent column -> zeros; every other value column is required


@dataclass(frozen=True)
class Parsed:
    """Columns of one input, in source order. NaT/NaN mark values that did not parse."""

    source: str
    timestamps: pd.DatetimeIndex  # UTC
    values: dict[str, np.ndarray]  # float64 per column
    unparsable: dict[str, np.ndarray]  # column -> bool mask of non-empty cells that did not parse

    def __len__(self) -> int:
        return len(self.timestamps)


def read_table(path: Path) -> pl.DataFrame:
    """CSV (every cell read as text, so nothing is coerced behind our back) or Parquet."""
    if not path.exists():
        raise IngestRejectedError(f"{path}: file not found")
    try:
        if path.suffix.lower() == ".parquet":
            return _with_rows(pl.read_parquet(path), path)
        if path.suffix.lower() in (".csv", ".txt"):
            return _with_rows(pl.read_csv(path, infer_schema=False), path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise IngestRejectedError(
            f"{path}: not a readable {path.suffix[1:]} file: {reason}"
        ) from exc
    raise IngestRejectedError(
        f"{path}: unsupported file type {path.suffix!r} (use .csv or .parquet)"
    )


def _with_rows(table: pl.DataFrame, path: Path) -> pl.DataFrame:
    """A file with no rows is a mistake (a truncated export), not an ingest of nothing."""
    if table.height == 0:
        raise IngestRejectedError(f"{path}: has a header but no data rows")
    return table


Column = pl.Series | pd.Series | pd.Index
_SHOWN_NAMES = 10


def columns_of(table: pl.DataFrame | pd.DataFrame) -> dict[str, Column]:
    """Columns by lower-cased name; a pandas DatetimeIndex (the bar convention) is `timestamp`.

    pandas input stays pandas: converting a multi-million-row frame to polars and back just to
    parse it cost more than the rest of the client side of an ingest.
    """
    pairs: list[tuple[str, Column]]
    if isinstance(table, pl.DataFrame):
        pairs = [(name, table[name]) for name in table.columns]
    else:
        pairs = [("timestamp", table.index)] if isinstance(table.index, pd.DatetimeIndex) else []
        pairs += [(str(name), table[name]) for name in table.columns]
    cells: dict[str, Column] = {}
    first_name: dict[str, str] = {}
    for name, column in pairs:
        key = name.strip().lower()
        if key in cells:  # `Close` and `close`: which one is meant cannot be guessed
            raise IngestRejectedError(
                f"columns {first_name[key]!r} and {name!r} both read as {key!r}: keep one of them"
            )
        cells[key], first_name[key] = column, name
    return cells


def parse(table: pl.DataFrame | pd.DataFrame, columns: tuple[str, ...], source: str) -> Parsed:
    cells = columns_of(table)
    ts_column = next((alias for alias in TIMESTAMP_ALIASES if alias in cells), None)
    missing = [c for c in columns if c not in cells and c not in OPTIONAL_ZERO]
    if ts_column is None:
        missing.insert(0, "timestamp")
    if missing:
        found = ", ".join(name[:40] for name in list(cells)[:_SHOWN_NAMES])
        more = f", ... ({len(cells)} columns)" if len(cells) > _SHOWN_NAMES else ""
        raise IngestRejectedError(
            f"{source}: missing column(s) {', '.join(missing)}; found {found or 'none'}{more}"
        )
    assert ts_column is not None  # a missing timestamp column was rejected just above
    timestamps, bad_ts = _parse_timestamps(cells[ts_column])
    values: dict[str, np.ndarray] = {}
    unparsable: dict[str, np.ndarray] = {"timestamp": bad_ts}
    for column in columns:
        if column not in cells:
            values[column] = np.zeros(len(timestamps))
            continue
        try:
            values[column], unparsable[column] = _parse_floats(cells[column])
        except (pl.exceptions.PolarsError, TypeError, ValueError):  # lists, structs, objects
            dtype = getattr(cells[column], "dtype", "?")
            raise IngestRejectedError(
                f"{source}: column {column!r} holds {dtype}, not numbers"
            ) from None
    return Parsed(source, timestamps, values, unparsable)


def _present(cells: Column) -> np.ndarray:
    if isinstance(cells, pl.Series):
        return cells.is_not_null().to_numpy()
    return np.asarray(pd.notna(cells))


def _parse_floats(cells: Column) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(cells, pl.Series):
        values = cells.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy()
    else:
        values = pd.to_numeric(pd.Series(cells), errors="coerce").to_numpy()
    values = values.astype(np.float64, copy=False)
    return values, np.isnan(values) & _present(cells) & ~_is_nan_literal(cells)


def _is_nan_literal(cells: Column) -> np.ndarray:
    """A float NaN given as a value is a bad value (caught by the rules), not a parse failure."""
    if isinstance(cells, pl.Series):
        if cells.dtype.is_float():
            return cells.is_nan().fill_null(False).to_numpy()
        return np.zeros(len(cells), dtype=bool)
    array = np.asarray(cells)
    return np.isnan(array) if array.dtype.kind == "f" else np.zeros(len(array), dtype=bool)


def _parse_timestamps(cells: Column) -> tuple[pd.DatetimeIndex, np.ndarray]:
    raw = cells.to_pandas() if isinstance(cells, pl.Series) else pd.Series(cells)
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        # pandas' ISO 8601 parser takes offsets and "Z"; naive text is taken as UTC.
        parsed = pd.DatetimeIndex(pd.to_datetime(raw, utc=True, errors="coerce", format="ISO8601"))
    elif pd.api.types.is_datetime64_any_dtype(raw):
        parsed = pd.DatetimeIndex(raw)
        parsed = parsed.tz_localize("UTC") if parsed.tz is None else parsed.tz_convert("UTC")
    else:
        raise IngestRejectedError(f"column {raw.name!r} holds {raw.dtype}, not timestamps")
    return parsed, np.asarray(parsed.isna()) & _present(cells)
