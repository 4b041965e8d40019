"""Recorded quote sessions in the catalog: every quote a live node saw, exactly, for replay.

Layout: `<catalog root>/_quotes/<session name>/run-<n>/` (n: the session's number, or the
next free one: a recording is never written into another) holds

- `manifest.json`: what was recorded (instrument, bar spec, strategy, run), written first;
- `part-000001.parquet`, `part-000002.parquet`, ...: the quotes in the order the node saw
  them, one part per flush. Columns: `instrument_id`; `bid`, `ask` (integers in units of
  the last decimal of `price_precision`: 110050 at precision 5 is 1.10050) and `bid_size`,
  `ask_size` (likewise at `size_precision`), so each reads back as the same NautilusTrader
  Price and Quantity, exactly, no float in between; `ts_event`, `ts_init` (epoch ns).
  Integers, not decimal strings: making a string of each price cost the node's loop five
  times as much per quote;
- `live.json`, at the end: the bars the live node aggregated and the orders it submitted,
  for the replay to compare against.

Each file is written beside its name, flushed to disk and renamed over it, so a crash loses
at most the quotes not flushed yet and never leaves a half-written part under a part's name.
A part damaged anyway (a disk fault, a copy cut short) is reported by name and skipped; the
parts before and after it still read. The `_quotes` folder cannot be an instrument's (those
start with a letter or digit), so `Catalog.list` never mistakes a recording for bars.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from marketdata.errors import DataError

__all__ = [
    "QUOTES_DIR",
    "QUOTE_COLUMNS",
    "Recording",
    "RecordingError",
    "RecordingWriter",
    "free_recording_dir",
    "latest_run",
    "read_recording",
    "recording_dir",
]

QUOTES_DIR = "_quotes"
MANIFEST = "manifest.json"
LIVE = "live.json"
QUOTE_COLUMNS = (
    "instrument_id", "bid", "ask", "bid_size", "ask_size", "price_precision", "size_precision",
    "ts_event", "ts_init",
)  # fmt: skip
_SCHEMA = pl.Schema(
    {
        "instrument_id": pl.String,
        "bid": pl.Int64,
        "ask": pl.Int64,
        "bid_size": pl.Int64,
        "ask_size": pl.Int64,
        "price_precision": pl.Int8,
        "size_precision": pl.Int8,
        "ts_event": pl.Int64,
        "ts_init": pl.Int64,
    }
)
_PART = re.compile(r"^part-(\d{6})\.parquet$")
_RUN = re.compile(r"^run-(\d+)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class RecordingError(DataError):
    """A recording that does not exist or cannot be read: the message is one line."""


def recording_dir(root: Path, name: str, run: int) -> Path:
    """Where run `run` of session `name` is recorded under the catalog `root`."""
    if not _NAME.match(name):
        raise RecordingError(f"session name {name!r} must be letters, digits, '.', '_' or '-'")
    return root / QUOTES_DIR / name / f"run-{run}"


def latest_run(root: Path, name: str) -> Path:
    """The last recorded run of session `name`; RecordingError when it has none."""
    runs = _runs(root, name)
    if not runs:
        sessions = recording_dir(root, name, 0).parent
        raise RecordingError(f"no recorded session {name!r}: {sessions} holds no run-<n> folder")
    return runs[-1][1]


def free_recording_dir(root: Path, name: str, run: int) -> Path:
    """`recording_dir(root, name, run)`, or when a recording is already there (a state
    folder made anew counts its sessions from 1 again) the run after the last recorded one:
    a recording is never mixed with another."""
    folder = recording_dir(root, name, run)
    if not folder.exists():
        return folder
    return recording_dir(root, name, max(n for n, _ in _runs(root, name)) + 1)


def _runs(root: Path, name: str) -> list[tuple[int, Path]]:
    sessions = recording_dir(root, name, 0).parent
    return sorted(
        (int(m.group(1)), p)
        for p in (sessions.iterdir() if sessions.is_dir() else [])
        if (m := _RUN.match(p.name)) and p.is_dir()
    )


class RecordingWriter:
    """Writes one recording: the manifest, then parts in order, then the live outcome."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.parts = 0
        self.quotes = 0

    def open(self, manifest: dict[str, Any]) -> None:
        """Start the recording with its manifest; RecordingError when the folder already
        holds one (or cannot be made)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise RecordingError(
                f"cannot record into {self.folder}: part of it is a file"
            ) from None
        if (self.folder / MANIFEST).exists() or _part_files(self.folder):
            raise RecordingError(f"{self.folder} already holds a recording: record elsewhere")
        _write_atomic(self.folder / MANIFEST, lambda tmp: _dump_json(tmp, manifest))

    def write_part(self, columns: dict[str, list[Any]]) -> Path:
        """The next part from `columns` (QUOTE_COLUMNS, equal lengths)."""
        table = pl.DataFrame({name: columns[name] for name in QUOTE_COLUMNS}, schema=_SCHEMA)
        self.parts += 1
        self.quotes += table.height
        path = self.folder / f"part-{self.parts:06d}.parquet"
        _write_atomic(path, lambda tmp: table.write_parquet(tmp, statistics=False))
        return path

    def write_live(self, outcome: dict[str, Any]) -> None:
        _write_atomic(self.folder / LIVE, lambda tmp: _dump_json(tmp, outcome))


@dataclass
class Recording:
    """What a recording holds: its manifest, its quotes in order, the live outcome when the
    session ended cleanly, and each problem found reading it (one line each)."""

    folder: Path
    manifest: dict[str, Any]
    quotes: pl.DataFrame
    live: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)


def read_recording(folder: Path) -> Recording:
    """Every readable part of the recording in `folder`, in order; RecordingError when the
    folder is not a recording at all."""
    manifest_path = folder / MANIFEST
    if not folder.exists():
        raise RecordingError(f"no recording at {folder}: the folder does not exist")
    if not folder.is_dir():
        raise RecordingError(f"no recording at {folder}: it is a file, not a recording's folder")
    manifest = _read_json(manifest_path)
    if manifest is None:
        raise RecordingError(f"{folder} is not a recording: {MANIFEST} is missing or unreadable")
    problems: list[str] = []
    tables = []
    for part in _part_files(folder):
        try:
            tables.append(pl.read_parquet(part).select(QUOTE_COLUMNS).cast(_SCHEMA))
        except (pl.exceptions.PolarsError, OSError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            problems.append(
                f"{part.name} is truncated or not Parquet, or not a part of quotes ({reason}): "
                "skipped"
            )
    quotes = pl.concat(tables) if tables else pl.DataFrame(schema=_SCHEMA)
    live = _read_json(folder / LIVE)
    if live is None:
        problems.append(f"no {LIVE}: the session did not end cleanly, nothing to compare with")
    return Recording(folder, manifest, quotes, live, problems)


def _part_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if _PART.match(p.name))


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _dump_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")


def _write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """`write(tmp)` beside `path`, flushed to disk, renamed over it: a crash leaves the old
    file or the new one, never a part of one."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        write(partial)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
