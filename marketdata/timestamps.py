"""Turning a column of timestamps as written in a file into UTC.

The common fixed formats are tried with polars (fast, strict per format); pandas' ISO 8601
parser is the fallback for the long tail (offsets, 'Z', mixed precision). A format is accepted
only if it parses every row, which also settles day-first vs month-first for slash dates
(a value like 13/01/2024 proves the file day-first). When every row reads both ways (no day
above 12) the order cannot be known: that is an error asking for the format, never a guess.
Timestamps are int64 nanoseconds, 1677-09-21 to 2262-04-11: text is parsed at microseconds
first so a year like 9999 is reported as out of range instead of wrapping around to 1816.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import polars as pl

from marketdata.errors import DataError

__all__ = ["localize", "parse_timestamps"]

FORMATS: tuple[str, ...] = (
    # Plain seconds first: polars parses a fixed format about 3x faster than one with %.f.
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%d.%m.%Y %H:%M:%S%.f",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y%m%d %H%M%S",
    "%Y%m%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
)
_SAMPLE = 200
# Each month-first slash format and its day-first twin.
_TWINS = {f: f.replace("%m/%d", "%d/%m") for f in FORMATS if f.startswith("%m/%d")}
_LOWEST, _HIGHEST = pd.Timestamp.min.ceil("us"), pd.Timestamp.max.floor("us")
_NANOS_PER_UNIT = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}
# Epoch numbers: 10+ digits (an 8-digit number is a date like 20240102).
EpochUnit = Literal["s", "ms", "us", "ns"]
_EPOCH_UNITS: tuple[tuple[float, EpochUnit], ...] = ((1e11, "s"), (1e14, "ms"), (1e17, "us"))


class Parsed:
    """Timestamps as UTC-or-naive datetime64[ns] plus whether the source carried an offset."""

    def __init__(self, values: npt.NDArray[np.datetime64], aware: bool) -> None:
        self.values = values
        self.aware = aware


def parse_timestamps(values: pl.Series, *, source: str, fmt: str | None = None) -> Parsed:
    """Parse a polars column (string, datetime or integer epoch) into timestamps."""
    _reject_missing(values, source)
    if values.dtype == pl.Datetime:
        return _from_polars(values)
    if values.dtype.is_integer() or values.dtype.is_float():
        return _from_epoch(values.cast(pl.Float64).to_numpy(), source)
    text = values.cast(pl.String).str.strip_chars()
    if fmt is None and bool(text.str.contains(r"^\d{10,}$").all()):
        return _from_epoch(text.cast(pl.Float64).to_numpy(), source)
    for candidate in (fmt,) if fmt else FORMATS:
        parsed = _try_format(text, candidate)
        if parsed is not None:
            if fmt is None and candidate in _TWINS:
                _refuse_ambiguous(text, parsed, _TWINS[candidate], source)
            _require_in_range(parsed, text, source)
            if "%.f" in candidate or "%f" in candidate:  # keep nanosecond digits
                parsed = text.str.to_datetime(candidate, strict=False, time_unit="ns")
            return _from_polars(parsed)
    if fmt is None:
        fallback = _try_pandas(text)
        if fallback is not None:
            return fallback
    raise _unparseable(text, source, fmt)


def _reject_missing(values: pl.Series, source: str) -> None:
    missing = values.is_null()
    if values.dtype == pl.String:
        missing = missing | (values.str.strip_chars() == "")
    if bool(missing.any()):
        row = int(missing.arg_true()[0]) + 1
        raise DataError("missing timestamp", source=source, row=row)


def _try_format(text: pl.Series, fmt: str) -> pl.Series | None:
    """`text` parsed with `fmt` at microseconds (nanoseconds would wrap silently past the
    int64 range), or None if any row does not fit."""
    try:
        if text.head(_SAMPLE).str.to_datetime(fmt, strict=False, time_unit="us").null_count():
            return None
        parsed = text.str.to_datetime(fmt, strict=False, time_unit="us")
    except pl.exceptions.PolarsError:  # a format polars cannot use (user-given)
        return None
    return None if parsed.null_count() else parsed


def _refuse_ambiguous(text: pl.Series, parsed: pl.Series, twin: str, source: str) -> None:
    """Month-first parsed every row; if day-first does too, with other dates, the order is
    unknowable (12 daily bars of 01/03..12/03 would become monthly bars)."""
    other = _try_format(text, twin)
    if other is None or bool((other == parsed).all()):
        return
    month_first = twin.replace("%d/%m", "%m/%d")
    raise DataError(
        f"dates like {text[0]!r} read both day/month and month/day (no day above 12): "
        f"pass the order with --date-format (date_format=) {twin!r} or {month_first!r}",
        source=source,
    )


def _require_in_range(parsed: pl.Series, text: pl.Series, source: str) -> None:
    naive = parsed.dt.replace_time_zone(None) if parsed.dtype.time_zone else parsed  # type: ignore[attr-defined]  # a Datetime series' dtype has time_zone
    outside = (naive < _LOWEST.to_pydatetime()) | (naive > _HIGHEST.to_pydatetime())
    if bool(outside.any()):
        row = int(outside.arg_true()[0]) + 1
        raise _out_of_range(repr(text[row - 1]), source, row)


def _out_of_range(value: str, source: str, row: int) -> DataError:
    return DataError(
        f"timestamp {value} is out of range (timestamps must fall between "
        f"{_LOWEST:%Y-%m-%d} and {_HIGHEST:%Y-%m-%d})",
        source=source,
        row=row,
    )


def _from_polars(parsed: pl.Series) -> Parsed:
    dtype = parsed.dtype
    aware = isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    if aware:
        parsed = parsed.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return Parsed(parsed.dt.cast_time_unit("ns").to_numpy().astype("datetime64[ns]"), aware)


def _from_epoch(numbers: npt.NDArray[np.float64], source: str) -> Parsed:
    magnitude = float(np.nanmax(np.abs(numbers))) if len(numbers) else 0.0
    unit: EpochUnit = next((unit for limit, unit in _EPOCH_UNITS if magnitude < limit), "ns")
    if not np.isfinite(numbers).all():
        row = int(np.flatnonzero(~np.isfinite(numbers))[0]) + 1
        raise DataError("timestamp is not a number", source=source, row=row)
    nanos = numbers * _NANOS_PER_UNIT[unit]
    outside = (nanos < _LOWEST.value) | (nanos > _HIGHEST.value)
    if outside.any():
        row = int(np.flatnonzero(outside)[0]) + 1
        raise _out_of_range(f"{numbers[row - 1]:.0f} (epoch {unit})", source, row)
    stamps = pd.to_datetime(numbers, unit=unit)
    return Parsed(stamps.to_numpy("datetime64[ns]"), aware=True)


def _try_pandas(text: pl.Series) -> Parsed | None:
    # An offset or 'Z' on any row means the file's times are absolute: combine them in UTC.
    aware = bool(text.str.contains(r"(Z|[+-]\d{2}:?\d{2})$").any())
    strings = pd.Index(text.to_numpy())
    try:
        stamps = pd.DatetimeIndex(
            pd.to_datetime(strings, format="ISO8601", errors="coerce", utc=aware)
        )
    except ValueError:  # e.g. out-of-range years that even coerce cannot place
        return None
    if stamps.hasnans:
        return None
    if aware:
        stamps = stamps.tz_convert("UTC").tz_localize(None)
    return Parsed(stamps.to_numpy("datetime64[ns]"), aware)


def _unparseable(text: pl.Series, source: str, fmt: str | None) -> DataError:
    # Blame the row that breaks the format fitting the first rows best (the file's real one).
    best = fmt or next(
        (f for f in FORMATS if not text.head(1).str.to_datetime(f, strict=False).null_count()),
        None,
    )
    if best is None:
        return DataError(f"cannot parse timestamp {text[0]!r}", source=source, row=1)
    try:
        failed = text.str.to_datetime(best, strict=False, time_unit="us").is_null()
    except pl.exceptions.PolarsError:
        return DataError(f"cannot parse timestamps with the format {best!r}", source=source)
    row = int(failed.arg_true()[0]) + 1 if bool(failed.any()) else 1
    why = f"rows above match {best!r}" if row > 1 else f"with the format {best!r}"
    return DataError(f"cannot parse timestamp {text[row - 1]!r} ({why})", source=source, row=row)


def localize(parsed: Parsed, tz: str, source: str) -> pd.DatetimeIndex:
    """UTC index: aware stamps are UTC already; naive ones are read in `tz`, then converted."""
    index = pd.DatetimeIndex(parsed.values, name="timestamp")
    if parsed.aware:
        return index.tz_localize("UTC")
    try:
        pd.Timestamp(0).tz_localize(tz)
    except Exception:  # pytz, dateutil and zoneinfo each raise their own "unknown zone"
        raise DataError(
            f"unknown time zone {tz!r}: use an IANA name such as Europe/London, or UTC",
            source=source,
        ) from None
    try:
        local = index.tz_localize(tz, ambiguous="infer", nonexistent="raise")
    except Exception as exc:  # pytz/zoneinfo raise several types for DST holes and repeats
        raise DataError(f"cannot place local times in {tz}: {exc}", source=source) from None
    return local.tz_convert("UTC")
