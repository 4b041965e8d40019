"""A local Parquet catalog of bars, partitioned by instrument, timeframe and year.

Layout: <root>/<instrument>/<timeframe>/<year>.parquet, timestamps in UTC. Writing merges
with what is there (a re-import of the same bars changes nothing, not even the files; a bar
with a known timestamp but new values replaces the old one). Files are replaced atomically,
so a crash mid-write never leaves half a year, and each instrument/timeframe folder is locked
(an OS file lock on its `.lock` file) from the read of the old files to the rename of the new
ones, so concurrent writers (several `gauntlet data import` at once) queue instead of
overwriting each other's rows; readers take the same lock shared. The root defaults to ~/.gauntlet/catalog and
can be moved with the GAUNTLET_CATALOG environment variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from marketdata.errors import DataError
from marketdata.locking import locked
from marketdata.quality import QualityConfig, check_quality
from marketdata.timeframes import parse_timeframe

__all__ = ["Catalog", "CatalogEntry", "WriteResult", "default_root"]

ENV_VAR = "GAUNTLET_CATALOG"
_INSTRUMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TIMESTAMP = "timestamp"
_LOCK = ".lock"


def default_root() -> Path:
    return Path(os.environ.get(ENV_VAR) or "~/.gauntlet/catalog").expanduser()


@dataclass(frozen=True)
class WriteResult:
    instrument: str
    timeframe: str
    rows_added: int
    rows_replaced: int
    rows_total: int
    start: pd.Timestamp
    end: pd.Timestamp


@dataclass(frozen=True)
class CatalogEntry:
    instrument: str
    timeframe: str
    rows: int
    start: pd.Timestamp
    end: pd.Timestamp
    files: int


class Catalog:
    def __init__(self, root: str | PathLike[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()

    def __repr__(self) -> str:
        return f"Catalog({str(self.root)!r})"

    def path(self, instrument: str, timeframe: str) -> Path:
        if not _INSTRUMENT.match(instrument):
            raise DataError(
                f"instrument {instrument!r} must be letters, digits, '.', '_' or '-' "
                f"(e.g. {re.sub(r'[^A-Za-z0-9._-]', '', instrument) or 'EURUSD'})"
            )
        return self.root / instrument / parse_timeframe(timeframe).label

    def write(self, instrument: str, timeframe: str, bars: pd.DataFrame) -> WriteResult:
        """Merge `bars` into the catalog. The bars must pass the quality checks' errors."""
        folder = self.path(instrument, timeframe)
        label = parse_timeframe(timeframe).label
        if bars.empty:
            raise DataError(f"no bars to write for {instrument} {label}")
        check_quality(
            bars, source=f"bars for {instrument} {label}", config=QualityConfig(calendar="none")
        ).raise_for_errors()
        table = _to_polars(bars)
        self._make_folder(folder)
        added = replaced = 0
        years = table[_TIMESTAMP].dt.year()
        with locked(folder / _LOCK):
            for year in years.unique().sort().to_list():
                year_added, year_replaced = _merge_year(
                    folder / f"{year}.parquet", table.filter(years == year)
                )
                added, replaced = added + year_added, replaced + year_replaced
            with _readable(_files(folder)):
                total = sum(
                    pl.scan_parquet(f).select(pl.len()).collect().item() for f in _files(folder)
                )
        return WriteResult(instrument, label, added, replaced, total, bars.index[0], bars.index[-1])

    def read(
        self,
        instrument: str,
        timeframe: str,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Bars in [start, end) in the bar convention (UTC index, float columns)."""
        self._require_folder_root()
        folder = self.path(instrument, timeframe)
        files = _files(folder)
        if not files:
            have = ", ".join(f"{e.instrument} {e.timeframe}" for e in self.list()) or "nothing"
            raise DataError(
                f"catalog {self.root} has no {instrument} {parse_timeframe(timeframe).label} bars "
                f"(it has: {have})"
            )
        lo, hi = _utc(start), _utc(end)
        chosen = [f for f in files if _year_overlaps(int(f.stem), lo, hi)]
        query = pl.scan_parquet(chosen) if chosen else pl.scan_parquet(files).head(0)
        if lo is not None:
            query = query.filter(pl.col(_TIMESTAMP) >= lo.to_pydatetime())
        if hi is not None:
            query = query.filter(pl.col(_TIMESTAMP) < hi.to_pydatetime())
        with locked(folder / _LOCK, shared=True), _readable(chosen or files):
            # Shared: never half of a write that spans two years.
            bars = _to_pandas(query.sort(_TIMESTAMP).collect())
        bars.attrs = {
            "source": str(folder),
            "instrument": instrument,
            "timeframe": parse_timeframe(timeframe).label,
        }
        return bars

    def list(self) -> list[CatalogEntry]:
        """Every instrument/timeframe in the catalog with its row count and time range."""
        entries = []
        self._require_folder_root()
        if not self.root.is_dir():
            return []
        for folder in sorted(p for p in self.root.glob("*/*") if p.is_dir()):
            files = _files(folder)
            if not files:
                continue
            with _readable(files):
                stats = _stats(files)
            entries.append(
                CatalogEntry(
                    folder.parent.name,
                    folder.name,
                    stats["rows"],
                    pd.Timestamp(stats["start"]),
                    pd.Timestamp(stats["end"]),
                    len(files),
                )
            )
        return entries

    def _require_folder_root(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise DataError(f"catalog {self.root} is a file, not a folder: pass a folder")

    def _make_folder(self, folder: Path) -> None:
        self._require_folder_root()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):  # a file where a folder of the layout goes
            raise DataError(
                f"catalog {self.root}: cannot create {folder}: part of that path is a file"
            ) from None


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9][0-9][0-9].parquet")) if folder.is_dir() else []


def _stats(files: list[Path]) -> dict[str, Any]:
    """Rows, first and last timestamp of one instrument/timeframe's files."""
    return (
        pl.scan_parquet(files)
        .select(
            pl.len().alias("rows"),
            pl.col(_TIMESTAMP).min().alias("start"),
            pl.col(_TIMESTAMP).max().alias("end"),
        )
        .collect()
        .row(0, named=True)
    )


def _merge_year(file: Path, new: pl.DataFrame) -> tuple[int, int]:
    """Merge one year's bars into its file; returns (rows added, rows replaced)."""
    if not file.exists():
        _write_atomic(new, file)
        return new.height, 0
    with _readable([file]):
        old = pl.read_parquet(file)
    added = new.join(old, on=_TIMESTAMP, how="anti").height
    unchanged = (
        new.join(old, on=old.columns, how="semi", nulls_equal=True).height
        if (set(new.columns) == set(old.columns))
        else 0
    )
    replaced = new.height - added - unchanged
    if added == 0 and replaced == 0:
        return 0, 0  # idempotent re-import: leave the file untouched
    merged = (
        pl.concat([old, new], how="diagonal_relaxed")
        .unique(subset=_TIMESTAMP, keep="last", maintain_order=True)
        .sort(_TIMESTAMP)
    )
    _write_atomic(merged, file)
    return added, replaced


@contextmanager
def _readable(files: list[Path]) -> Iterator[None]:
    """A damaged year file (truncated, not Parquet) is a DataError naming it, not a crash."""
    try:
        yield
    except (pl.exceptions.PolarsError, OSError) as exc:
        bad = next((f for f in files if not _opens(f)), None)
        where = f"catalog file {bad}" if bad else f"catalog files {', '.join(map(str, files))}"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{where} cannot be read ({reason}): restore it, or delete it and import again"
        ) from None


def _opens(file: Path) -> bool:
    try:
        pl.read_parquet_schema(file)
    except (pl.exceptions.PolarsError, OSError):
        return False
    return True


def _write_atomic(table: pl.DataFrame, file: Path) -> None:
    """Write beside `file`, flush to disk, then rename over it: readers and a crash see the
    old file or the new one, never a mix (the rename is atomic within one folder)."""
    partial = file.with_name(f".{file.name}.{os.getpid()}.partial")
    try:
        table.write_parquet(partial, statistics=True)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, file)
    finally:
        partial.unlink(missing_ok=True)


def _to_polars(bars: pd.DataFrame) -> pl.DataFrame:
    frame = bars.copy()
    frame.index = pd.DatetimeIndex(frame.index, name=_TIMESTAMP).tz_convert("UTC")
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    return pl.from_pandas(frame[numeric].astype(np.float64).reset_index()).with_columns(
        pl.col(_TIMESTAMP).dt.cast_time_unit("ns")
    )


def _to_pandas(table: pl.DataFrame) -> pd.DataFrame:
    frame = table.to_pandas()
    index = pd.DatetimeIndex(frame.pop(_TIMESTAMP), name=_TIMESTAMP)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return frame.astype(np.float64).set_index(index)


def _utc(value: str | pd.Timestamp | None) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def _year_overlaps(year: int, lo: pd.Timestamp | None, hi: pd.Timestamp | None) -> bool:
    return (lo is None or year >= lo.year) and (hi is None or year <= hi.year)
