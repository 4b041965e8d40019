"""File formats: detect which one a file is and read it into a raw polars table.

Supported:
  csv           a header row; separator sniffed (, ; tab |); columns matched by alias.
  parquet       any Parquet file with the same columns (pandas' index column included).
  mt5           MetaTrader 5 history export: tab-separated, <DATE> <TIME> <OPEN> ... <SPREAD>,
                dates like 2024.01.02 (read as the csv format; MT5's spread is in points of an
                unknown digit count, so it is dropped rather than mislabelled as a price).
  histdata_m1   HistData ASCII M1 bars: `20240102 170000;open;high;low;close;volume`, no
                header, timestamps in EST without DST (UTC-5 all year).
  histdata_mt   HistData MetaTrader M1 bars: `2024.01.02,17:00,open,high,low,close,volume`, EST.
  histdata_tick HistData ASCII ticks: `20240102 170000123,bid,ask,volume`, EST.
  csv_ticks     a header row with bid/ask (or price) columns.

Any of the text formats may be gzip-compressed (recognised by its magic bytes, whatever the
file's name). Other compression (zip, bzip2, xz, zstd, 7z) and binary files are refused by name.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import polars as pl

from marketdata.columns import normalize_name
from marketdata.errors import DataError

__all__ = ["FORMAT_NAMES", "FormatSpec", "detect_format", "read_columns", "read_table"]

_EST = "Etc/GMT+5"  # POSIX sign convention: GMT+5 is UTC-5, i.e. EST with no DST.
_OHLCV = ("timestamp", "open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class FormatSpec:
    name: str
    kind: Literal["bars", "ticks"]
    separator: str = ","
    names: tuple[str, ...] | None = None  # column names for files without a header
    timestamp_format: str | None = None
    default_tz: str = "UTC"


_FIXED: dict[str, FormatSpec] = {
    "parquet": FormatSpec("parquet", "bars"),
    "histdata_m1": FormatSpec("histdata_m1", "bars", ";", _OHLCV, "%Y%m%d %H%M%S", _EST),
    "histdata_mt": FormatSpec(
        "histdata_mt", "bars", ",", ("date", "time", *_OHLCV[1:]), "%Y.%m.%d %H:%M", _EST
    ),
    "histdata_tick": FormatSpec(
        "histdata_tick",
        "ticks",
        ",",
        ("timestamp", "bid", "ask", "volume"),
        "%Y%m%d %H%M%S%3f",
        _EST,
    ),
}
FORMAT_NAMES: tuple[str, ...] = ("csv", "csv_ticks", "mt5", *_FIXED)

_HEADLESS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\d{8} \d{9},"), "histdata_tick"),
    (re.compile(r"^\d{8} \d{6};"), "histdata_m1"),
    (re.compile(r"^\d{4}\.\d{2}\.\d{2},\d{2}:\d{2},"), "histdata_mt"),
)
_SEPARATORS = (",", ";", "\t", "|")
_GZIP = b"\x1f\x8b"
_COMPRESSED: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
)
# Text has almost no control characters and, in UTF-8, few undecodable bytes (a legacy
# encoding's accented names); random bytes decode to ~10% controls and ~45% undecodable. A
# header, the first line, holds no NUL. A stray NUL further down is left to the row checks,
# which name its row.
_MAX_NON_TEXT = 0.3
_MAX_CONTROLS = 0.1
_MIN_JUDGED = 32
_TEXT_CONTROLS = frozenset("\t\n\r\f\v")


def detect_format(path: Path, fmt: str | None = None) -> FormatSpec:
    """The file's format, from its first bytes (or `fmt` when the caller forces one)."""
    source = str(path)
    if fmt is not None and fmt in _FIXED:
        return _FIXED[fmt]
    if fmt is not None and fmt not in FORMAT_NAMES:
        raise DataError(f"unknown format {fmt!r}; choose one of {', '.join(FORMAT_NAMES)}")
    head = _head(path)
    if fmt is None and (head.startswith(b"PAR1") or path.suffix.lower() in (".parquet", ".pq")):
        return _FIXED["parquet"]
    text = _decode(head, source).lstrip("\ufeff")
    if not text.strip():
        raise DataError("file is empty", source=source)
    _refuse_binary(text, source)
    first_line = text.splitlines()[0]
    if not first_line.strip():
        raise DataError(
            "line 1 is blank: the header (or first row) must be on line 1", source=source
        )
    if fmt is None:
        for pattern, name in _HEADLESS:
            if pattern.match(first_line):
                return _FIXED[name]
    return _header_format(first_line, fmt)


def _header_format(first_line: str, fmt: str | None) -> FormatSpec:
    separator = max(_SEPARATORS, key=first_line.count)
    if not first_line.count(separator):
        separator = ","
    names = {normalize_name(name) for name in first_line.split(separator)}
    if fmt == "mt5" or (fmt is None and "<" in first_line and "open" in names):
        return FormatSpec("mt5", "bars", separator)
    is_ticks = fmt == "csv_ticks" or (
        fmt is None and "open" not in names and ({"bid", "ask"} <= names)
    )
    return FormatSpec(
        "csv_ticks" if is_ticks else "csv", "ticks" if is_ticks else "bars", separator
    )


def _head(path: Path, size: int = 65536) -> bytes:
    """The first `size` bytes of the file's content (decompressed when it is gzip)."""
    source = str(path)
    if path.is_dir():
        raise DataError("is a directory, not a data file", source=source)
    try:
        with path.open("rb") as handle:
            raw = handle.read(size)
        if raw.startswith(_GZIP):
            with gzip.open(path, "rb") as unzipped:
                return unzipped.read(size)
    except FileNotFoundError:
        raise DataError("no such file", source=source) from None
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(
            f"is gzip-compressed but cannot be decompressed: {exc}", source=source
        ) from None
    for magic, name in _COMPRESSED:
        if raw.startswith(magic):
            raise DataError(
                f"is {name}-compressed: decompress it first (gzip files are read as they are)",
                source=source,
            )
    return raw


def _refuse_binary(text: str, source: str) -> None:
    controls = sum(1 for char in text if char < " " and char not in _TEXT_CONTROLS)
    undecodable = text.count("\ufffd")
    non_text = controls + undecodable
    judged = len(text) >= _MIN_JUDGED  # a ratio of a few characters says nothing
    if (
        "\x00" in text.splitlines()[0]
        or (judged and controls > _MAX_CONTROLS * len(text))
        or (judged and non_text > _MAX_NON_TEXT * len(text))
    ):
        raise DataError(
            f"is binary, not a text data file ({non_text} of its first {len(text)} characters "
            "are not text)",
            source=source,
        )


def _decode(raw: bytes, source: str) -> str:
    # MetaTrader's "Export" writes UTF-16 with a byte-order mark.
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    return raw.decode("utf-8", errors="replace")


def read_columns(path: Path, spec: FormatSpec) -> list[str]:
    """The file's column names, without reading its rows."""
    if spec.names is not None:
        return list(spec.names)
    try:
        if spec.name == "parquet":
            return list(pl.read_parquet_schema(path))
        return pl.read_csv(
            _text_source(path), separator=spec.separator, n_rows=0, infer_schema=False
        ).columns
    except (pl.exceptions.PolarsError, OSError, EOFError, zlib.error) as exc:
        raise DataError(
            f"cannot read as {spec.name}: {_first_line(exc)}", source=str(path)
        ) from None


def read_table(path: Path, spec: FormatSpec, floats: Sequence[str] = ()) -> pl.DataFrame:
    """The file as a polars table: typed for Parquet; for text, the `floats` columns parsed as
    numbers by the CSV reader (fast) and the rest as strings. If a number fails to parse, the
    table is re-read all-string so the loader can name the bad cell's row."""
    source = str(path)
    try:
        if spec.name == "parquet":
            return pl.read_parquet(path)
        try:
            return _read_text(path, spec, {name: pl.Float64 for name in floats})
        except pl.exceptions.ComputeError:
            return _read_text(path, spec, {})
    except (pl.exceptions.PolarsError, OSError, EOFError, zlib.error) as exc:
        raise DataError(f"cannot read as {spec.name}: {_first_line(exc)}", source=source) from None


def _read_text(path: Path, spec: FormatSpec, schema: dict[str, type[pl.DataType]]) -> pl.DataFrame:
    return pl.read_csv(
        _text_source(path),
        separator=spec.separator,
        has_header=spec.names is None,
        new_columns=list(spec.names) if spec.names else None,
        infer_schema=False,
        schema_overrides=schema or None,
        encoding="utf8-lossy",
    )


def _text_source(path: Path) -> Path | IO[bytes]:
    with path.open("rb") as handle:
        magic = handle.read(2)
    if magic == _GZIP:
        with gzip.open(path, "rb") as unzipped:
            content = unzipped.read()
        magic = content[:2]
    elif magic in (b"\xff\xfe", b"\xfe\xff"):
        content = path.read_bytes()
    else:
        return path
    if magic in (b"\xff\xfe", b"\xfe\xff"):
        content = content.decode("utf-16", errors="replace").encode("utf-8")
    return io.BytesIO(content)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
