"""Loading bars and ticks from files into the bar convention, with quality checks on every load.

Bars come back as marketdata/frames.py describes them: a UTC DatetimeIndex named "timestamp" and
float columns open, high, low, close, volume (0.0 when the file has no volume), plus `spread`
when the file has a price-unit spread column. `attrs` records source, format, instrument and
timeframe. Polars parses the text (several times faster than pandas on millions of rows);
pandas is what the rest of Gauntlet consumes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from marketdata import rules
from marketdata.columns import BAR_ALIASES, TICK_ALIASES, ColumnMap, match_columns
from marketdata.errors import DataError
from marketdata.formats import FormatSpec, detect_format, read_columns, read_table
from marketdata.quality import QualityConfig, QualityReport, check_quality
from marketdata.repair import RepairReport, repair_bars
from marketdata.resample import ticks_to_bars
from marketdata.timeframes import infer_timeframe, parse_timeframe
from marketdata.timestamps import localize, parse_timestamps

__all__ = ["LoadedBars", "load_bars", "load_bars_with_report", "load_panel", "load_ticks"]

PathArg = str | PathLike[str]
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


@dataclass
class LoadedBars:
    """Bars plus what the load found and changed."""

    bars: pd.DataFrame
    format: str
    quality: QualityReport | None
    repair: RepairReport | None


def load_bars(
    path: PathArg,
    *,
    repair: bool = False,
    tz: str | None = None,
    instrument: str | None = None,
    timeframe: str | None = None,
    check: bool = True,
    fmt: str | None = None,
    quality: QualityConfig | None = None,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Load bars from CSV, Parquet, MetaTrader 5 or HistData files (format auto-detected).

    tz: the zone of naive timestamps (None: the format's own, UTC or HistData's EST).
    timeframe: the expected bar length; required for tick files, which are resampled to it.
    check: run the quality checks; errors raise DataError naming file, row and rule, unless
        repair=True, which repairs and records a RepairReport in attrs["repair"].
    check=False (and repair=False) returns the rows as read, in file order, unchecked.
    date_format: the timestamps' strftime format, e.g. "%d/%m/%Y %H:%M" (None: detected; slash
        dates that read both day- and month-first are refused until it is given). With separate
        date and time columns it may be the date's alone.
    """
    return load_bars_with_report(
        path,
        repair=repair,
        tz=tz,
        instrument=instrument,
        timeframe=timeframe,
        check=check,
        fmt=fmt,
        quality=quality,
        date_format=date_format,
    ).bars


def load_bars_with_report(
    path: PathArg,
    *,
    repair: bool = False,
    tz: str | None = None,
    instrument: str | None = None,
    timeframe: str | None = None,
    check: bool = True,
    fmt: str | None = None,
    quality: QualityConfig | None = None,
    date_format: str | None = None,
) -> LoadedBars:
    """`load_bars`, also returning the quality report and repair report."""
    file = Path(path)
    source = str(path)
    spec = detect_format(file, fmt)
    if spec.kind == "ticks":
        if timeframe is None:
            raise DataError(
                "is a tick file: pass a timeframe to build bars from it, or use load_ticks",
                source=source,
            )
        bars = ticks_to_bars(_read_ticks(file, spec, tz, source, date_format), timeframe)
    else:
        bars = _read_bars(file, spec, tz, source, date_format)
        if timeframe is not None:
            _require_spacing(bars, timeframe, source)
    config = quality or QualityConfig(timeframe=timeframe)
    report, repaired = None, None
    if check or repair:  # repairing needs the checks' findings
        report = check_quality(bars, source=source, config=config)
        if not report.ok and not repair:
            raise report.error()
        if repair:
            bars, repaired = repair_bars(bars, source=source, config=config)
    _label(bars, source, spec, instrument, timeframe, repaired)
    return LoadedBars(bars, spec.name, report, repaired)


def load_ticks(
    path: PathArg, *, tz: str | None = None, fmt: str | None = None, date_format: str | None = None
) -> pd.DataFrame:
    """Ticks (UTC index, float columns bid, ask, volume), sorted check: rows must not go back
    in time, prices must be finite and positive and ask >= bid."""
    file = Path(path)
    source = str(path)
    spec = detect_format(file, fmt or None)
    if spec.kind != "ticks":
        raise DataError(f"holds bars ({spec.name}), not ticks: use load_bars", source=source)
    ticks = _read_ticks(file, spec, tz, source, date_format)
    _raise_for_bad_ticks(ticks, source)
    ticks.attrs.update({"source": source, "format": spec.name})
    return ticks


def load_panel(
    paths: Mapping[str, PathArg],
    *,
    repair: bool = False,
    tz: str | None = None,
    timeframe: str | None = None,
    quality: QualityConfig | None = None,
) -> pd.DataFrame:
    """A panel (columns: instrument, field) from one file per instrument.

    Bars must not hold NaN, so the instruments are aligned on the timestamps they share and
    the rows dropped per instrument are recorded in attrs["alignment"]. With repair=True,
    missing bars are filled instead (after the last instrument's first bar) with flat bars at
    the previous close and zero volume; attrs["alignment"] then counts the filled bars.
    """
    if not paths:
        raise DataError("load_panel needs at least one instrument")
    frames = {
        name: load_bars(
            path, repair=repair, tz=tz, instrument=name, timeframe=timeframe, quality=quality
        )
        for name, path in paths.items()
    }
    aligned, counts = _fill_missing(frames) if repair else _intersect(frames)
    panel = pd.concat(aligned, axis=1, names=["instrument", "field"])
    panel.attrs = {"alignment": counts, "filled": repair}
    return panel


def _read_bars(
    file: Path, spec: FormatSpec, tz: str | None, source: str, date_format: str | None
) -> pd.DataFrame:
    columns = match_columns(read_columns(file, spec), BAR_ALIASES, source)
    table = read_table(file, spec, floats=list(columns.fields.values()))
    _require_rows(table, source)
    index = _index(table, columns, spec, tz, source, date_format)
    fields = {field: col for field, col in columns.fields.items() if field in BAR_ALIASES}
    if spec.name == "mt5":  # MT5 spread is in points of unknown size (see formats.py)
        fields.pop("spread", None)
    data = {field: _floats(table[col], col, source) for field, col in fields.items()}
    data.setdefault("volume", np.zeros(table.height))
    order = ["open", "high", "low", "close", "volume", *(["spread"] if "spread" in data else [])]
    return pd.DataFrame({name: data[name] for name in order}, index=index)


def _read_ticks(
    file: Path, spec: FormatSpec, tz: str | None, source: str, date_format: str | None
) -> pd.DataFrame:
    columns = match_columns(read_columns(file, spec), TICK_ALIASES, source, ticks=True)
    table = read_table(file, spec, floats=list(columns.fields.values()))
    _require_rows(table, source)
    index = _index(table, columns, spec, tz, source, date_format)
    values = {field: _floats(table[col], col, source) for field, col in columns.fields.items()}
    bid = values.get("bid", values.get("price"))
    ask = values.get("ask", values.get("price"))
    volume = values.get("volume", np.zeros(table.height))
    return pd.DataFrame({"bid": bid, "ask": ask, "volume": volume}, index=index)


def _require_rows(table: pl.DataFrame, source: str) -> None:
    if table.height == 0:
        raise DataError("has a header but no data rows", source=source)


def _index(
    table: pl.DataFrame,
    columns: ColumnMap,
    spec: FormatSpec,
    tz: str | None,
    source: str,
    date_format: str | None,
) -> pd.DatetimeIndex:
    split = len(columns.timestamp) == 2
    if split:
        date, time = (_text(table[name], name, source) for name in columns.timestamp)
        stamps = date + " " + time
    else:
        stamps = table[columns.timestamp[0]]
        if not _is_time_like(stamps.dtype):
            stamps = _text(stamps, columns.timestamp[0], source)
    errors: list[DataError] = []
    for fmt in _timestamp_formats(date_format or spec.timestamp_format, split):
        try:
            parsed = parse_timestamps(stamps, source=source, fmt=fmt)
        except DataError as exc:
            errors.append(exc)
            continue
        return localize(parsed, tz or spec.default_tz, source)
    raise errors[0]


def _timestamp_formats(fmt: str | None, split: bool) -> tuple[str | None, ...]:
    """With a date column and a time column, a date-only format also gets the time's."""
    if fmt is None or not split or "%H" in fmt:
        return (fmt,)
    return (f"{fmt} %H:%M:%S", f"{fmt} %H:%M", fmt)


def _is_time_like(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() or dtype in (pl.Datetime, pl.Date, pl.String)


def _text(column: pl.Series, name: str, source: str) -> pl.Series:
    """A timestamp column as text; a Parquet column of lists or structs cannot be one."""
    try:
        return column.cast(pl.String).str.strip_chars()
    except pl.exceptions.PolarsError:
        raise DataError(
            f"timestamp column {name!r} holds {column.dtype}, not dates or times", source=source
        ) from None


def _floats(column: pl.Series, name: str, source: str) -> np.ndarray:
    """The column as float64; empty cells become NaN (the checks report them), but text that
    is not a number is an error naming the row and the value."""
    if column.dtype.is_numeric():
        return column.cast(pl.Float64).fill_null(np.nan).to_numpy()
    try:
        text = column.cast(pl.String).str.strip_chars()
    except pl.exceptions.PolarsError:  # a Parquet column of lists or structs
        raise DataError(
            f"column {name!r} holds {column.dtype}, not numbers", source=source
        ) from None
    numbers = text.cast(pl.Float64, strict=False)
    bad = numbers.is_null() & text.is_not_null() & (text != "")
    if bool(bad.any()):
        row = int(bad.arg_true()[0]) + 1
        value = text[row - 1]
        hint = " (decimal comma? write 1.1, not 1,1)" if _DECIMAL_COMMA.match(value) else ""
        raise DataError(f"column {name!r}: {value!r} is not a number{hint}", source=source, row=row)
    return numbers.fill_null(np.nan).to_numpy()


def _require_spacing(bars: pd.DataFrame, timeframe: str, source: str) -> None:
    wanted = parse_timeframe(timeframe)
    found = infer_timeframe(pd.DatetimeIndex(bars.index.sort_values()))
    if found is not None and found != wanted:
        raise DataError(
            f"bars are {found.label} apart, not {wanted.label}: pass timeframe={found.label}, "
            f"or resample them (marketdata.resample_bars)",
            source=source,
        )


def _raise_for_bad_ticks(ticks: pd.DataFrame, source: str) -> None:
    stamps = pd.DatetimeIndex(ticks.index).asi8
    bid, ask, volume = (ticks[name].to_numpy(np.float64) for name in ("bid", "ask", "volume"))
    checks = (
        (rules.earlier_than_previous(stamps), "timestamp earlier than the previous row"),
        (rules.non_finite(bid, ask, volume), "NaN or inf value"),
        (rules.non_positive(bid, ask), "zero or negative price"),
        (rules.ask_below_bid(bid, ask), "ask < bid"),
    )
    for mask, rule in checks:
        if mask.any():
            position = int(np.flatnonzero(mask)[0])
            raise DataError(rule, source=source, row=position + 1, timestamp=ticks.index[position])


def _label(
    bars: pd.DataFrame,
    source: str,
    spec: FormatSpec,
    instrument: str | None,
    timeframe: str | None,
    repaired: RepairReport | None,
) -> None:
    found = (
        parse_timeframe(timeframe) if timeframe else infer_timeframe(pd.DatetimeIndex(bars.index))
    )
    bars.attrs.update(
        {
            "source": source,
            "format": spec.name,
            "instrument": instrument,
            "timeframe": found.label if found else None,
        }
    )
    if repaired is not None:
        bars.attrs["repair"] = repaired.to_dict()


def _intersect(frames: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    common = frames[next(iter(frames))].index
    for frame in frames.values():
        common = common.intersection(frame.index)
    dropped = {name: len(frame) - len(common) for name, frame in frames.items()}
    return {name: frame.loc[common] for name, frame in frames.items()}, dropped


def _fill_missing(
    frames: dict[str, pd.DataFrame],
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    start = max(frame.index[0] for frame in frames.values())
    union = frames[next(iter(frames))].index
    for frame in frames.values():
        union = union.union(frame.index)
    union = union[union >= start]
    filled: dict[str, pd.DataFrame] = {}
    counts: dict[str, int] = {}
    for name, frame in frames.items():
        aligned = frame.reindex(union)
        missing = aligned["close"].isna().to_numpy()
        previous_close = aligned["close"].ffill()
        for field in ("open", "high", "low", "close"):
            aligned[field] = aligned[field].fillna(previous_close)
        aligned["volume"] = aligned["volume"].fillna(0.0)
        if "spread" in aligned.columns:
            aligned["spread"] = aligned["spread"].ffill()
        filled[name], counts[name] = aligned, int(missing.sum())
    return filled, counts
