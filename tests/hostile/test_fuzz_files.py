"""A fuzzer for the data-file contract: whatever a CSV or Parquet file holds, loading it either
succeeds with bars in the convention or raises DataError naming the file; `gauntlet data check`
exits 0 or 2, with exactly one `gauntlet: error: …` line on 2; PostgreSQL ingestion's parsing
and row checks accept it or raise IngestRejectedError. Never another exception, never a
traceback, never exit 1.

Files have random headers (missing, duplicated and case-varied columns), random cells (empty,
text, nan, inf, negative, huge, dates in several formats, out of order, duplicated), random
separators, line ends, encodings (UTF-8, BOM, UTF-16, Latin-1, gzip) and truncation. The search
is derandomized (the same examples every run) and bounded (max_examples, a per-example
deadline), so it is a regression test, not a lottery.
"""

from __future__ import annotations

import gzip
import math
import tempfile
import warnings
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from live.marketdata import IngestRejectedError
from live.marketdata.parsing import parse, read_table
from live.marketdata.validate import check_bar_rows
from marketdata import DataError, load_bars
from tests.hostile.harness import run

FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=10),  # generous: the machine is shared; typical cases take ~0.1 s
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NAMES = (
    "Date", "date", "DATE", "Time", "Timestamp", "Gmt time", "", "Unnamed: 0",
    "Open", "open", "O", "High", "high", "Low", "low", "Close", "close", "CLOSE", "last",
    "Volume", "vol", "Tick volume", "Spread", "bid", "ask", "note", "Ünïcode", "<OPEN>",
)  # fmt: skip
STAMPS = (
    "2024-01-02", "2024-01-02 10:00:00", "2024-01-02T10:00:00.123456789", "2024-01-02 10:00",
    "02/01/2024", "01/02/2024", "13/01/2024", "01/13/2024", "2024.01.02 10:00", "02.01.2024",
    "20240102 100000", "2024-01-02T10:00:00+02:00", "2024-01-02T10:00:00Z", "9999-12-31",
    "1500-01-01", "1704189600", "1704189600000", "99999999999999999999", "2024-02-30",
    "24:00", "yesterday",
)  # fmt: skip
NUMBERS = (
    "1.1", "1.1001", "1.0999", "1.2", "0.9", "110", "0", "-1", "-0.0", "1e308", "1e400", "-1e308",
    "1e-320", "1.1e15", "nan", "NaN", "inf", "-inf", "1,1", "abc", "", " ", '"1.1"', "0x10",
    "1_000", "١٢",
)  # fmt: skip
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "latin-1", "gzip")

STAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S+02:00", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%m/%d/%Y",
    "%d/%m/%Y", "%Y.%m.%d %H:%M", "%d.%m.%Y %H:%M:%S.%f", "%Y%m%d %H%M%S", "epoch",
)  # fmt: skip
hostile_cell = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(STAMPS), st.text(max_size=6))
VALID_HEADER = ["Date", "Open", "High", "Low", "Close", "Volume"]


@st.composite
def header(draw: st.DrawFn) -> list[str]:
    """A valid header with a few mutations: dropped, repeated, renamed or case-changed names."""
    names = list(VALID_HEADER)
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["drop", "repeat", "rename", "case", "add"]))
        at = draw(st.integers(0, max(len(names) - 1, 0)))
        if not names:
            names.append(draw(st.sampled_from(NAMES)))
        elif action == "drop":
            names.pop(at)
        elif action == "repeat":
            names.insert(draw(st.integers(0, len(names))), names[at])
        elif action == "rename":
            names[at] = draw(st.sampled_from(NAMES))
        elif action == "case":
            names.insert(at, names[at].swapcase())
        else:
            names.insert(at, draw(st.sampled_from(NAMES)))
    return names


def stamp_text(moment: pd.Timestamp, fmt: str) -> str:
    return str(int(moment.timestamp())) if fmt == "epoch" else moment.strftime(fmt)


@st.composite
def row_cells(draw: st.DrawFn, names: list[str], moment: pd.Timestamp, fmt: str) -> list[str]:
    """One row: a plausible bar in the header's columns, some cells replaced by hostile ones."""
    open_ = draw(st.floats(0.5, 2.0))
    close = open_ * draw(st.floats(0.99, 1.01))
    values = {
        "open": open_,
        "high": max(open_, close) * draw(st.floats(1.0, 1.005)),
        "low": min(open_, close) * draw(st.floats(0.995, 1.0)),
        "close": close,
        "volume": draw(st.integers(0, 1000)),
    }
    cells = []
    for name in names:
        key = name.lower().strip("<>")
        if draw(st.integers(0, 9)) == 0:
            cells.append(draw(hostile_cell))
        elif key in ("date", "time", "timestamp", "gmt time", "", "unnamed: 0"):
            cells.append(stamp_text(moment, fmt))
        else:
            cells.append(f"{values.get(key, values['close']):.5f}")
    return cells


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    names = draw(header())
    separator = draw(st.sampled_from([",", ";", "\t", "|"]))
    fmt = draw(st.sampled_from(STAMP_FORMATS))
    step = pd.Timedelta(draw(st.sampled_from(["1min", "1h", "1D"])))
    moment = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=draw(st.integers(0, 24 * 400)))
    lines = [separator.join(names)] if draw(st.integers(0, 9)) else []
    for _ in range(draw(st.integers(0, 30))):
        moment += step * draw(st.sampled_from([1, 1, 1, 1, 2, 0, -1]))  # gaps, repeats, going back
        cells = draw(row_cells(names, moment, fmt))
        cells = cells[: len(cells) + draw(st.sampled_from([0, 0, 0, 0, -1, 1]))] or cells
        lines.append(separator.join(cells))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(lines) + (end if draw(st.booleans()) else "")
    encoding = draw(st.sampled_from(ENCODINGS))
    raw = (
        gzip.compress(text.encode())
        if encoding == "gzip"
        else text.encode(encoding, errors="replace")
    )
    if draw(st.integers(0, 4)) == 0:  # truncated, e.g. a download cut short
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


KINDS = ("float", "price", "int", "text", "bool", "time", "list")
START = pd.Timestamp("2024-01-01", tz="UTC")


def column_values(draw: st.DrawFn, kind: str, rows: int) -> list[object]:
    """One Parquet column of `kind`: a sensible type, or one no bar field should have."""

    def cells(elements: st.SearchStrategy[object]) -> list[object]:
        return draw(st.lists(elements, min_size=rows, max_size=rows))

    if kind == "float":
        return cells(st.floats(allow_nan=True, allow_infinity=True))
    if kind == "price":
        return [1.1 + 0.001 * i for i in range(rows)]
    if kind == "int":
        return cells(st.integers(-(2**62), 2**62))
    if kind == "text":
        return cells(st.sampled_from(NUMBERS + STAMPS))
    if kind == "bool":
        return [i % 2 == 0 for i in range(rows)]
    if kind == "time":
        return [START + pd.Timedelta(hours=draw(st.integers(-3, 30))) for _ in range(rows)]
    return [[1.0]] * rows


@st.composite
def parquet_frame(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=0, max_size=7, unique=True))
    rows = draw(st.integers(0, 10))
    columns = {name: column_values(draw, draw(st.sampled_from(KINDS)), rows) for name in names}
    frame = pd.DataFrame(columns, index=pd.RangeIndex(rows))
    if draw(st.booleans()):
        frame.index = pd.DatetimeIndex(
            [START + pd.Timedelta(hours=draw(st.integers(0, 20))) for _ in range(rows)],
            name="timestamp",
        )
    return frame


def load(path: Path, repair: bool, check: bool) -> pd.DataFrame | DataError:
    try:
        return load_bars(path, repair=repair, check=check)
    except DataError as exc:
        return exc


def assert_contract(path: Path) -> None:
    """The library and the CLI both keep the contract on `path`."""
    for repair, check in ((False, True), (True, True), (False, False)):
        loaded = load(path, repair, check)
        if isinstance(loaded, DataError):
            message = str(loaded)
            assert message.startswith(str(path)), message  # located: the file is named
            assert "\n" not in message
            assert len(message) < 1000, message
            continue
        assert isinstance(loaded.index, pd.DatetimeIndex)
        assert str(loaded.index.tz) == "UTC"
        if check:
            assert loaded.index.is_monotonic_increasing
            assert loaded.index.is_unique
            assert np.isfinite(loaded[["open", "high", "low", "close"]].to_numpy()).all()
    assert_ingest_contract(path)
    outcome = run("data", "check", path, "--calendar", "none")
    assert outcome.code in (0, 2), (outcome.code, outcome.stderr[-2000:])
    assert "Traceback" not in outcome.stderr
    if outcome.code == 2:
        assert len(outcome.stderr_lines) == 1, outcome.stderr_lines[:5]
        assert outcome.stderr_lines[0].startswith("gauntlet: error: "), outcome.stderr_lines[0]


def assert_ingest_contract(path: Path) -> None:
    """PostgreSQL ingestion's client side (no database needed): it checks the rows or refuses
    the file with one IngestRejectedError line."""
    try:
        check_bar_rows(parse(read_table(path), ("open", "high", "low", "close", "volume"), "f"))
    except IngestRejectedError as exc:
        message = str(exc)
    else:
        return
    assert "\n" not in message
    assert len(message) < 1000, message


@pytest.fixture(autouse=True)
def quiet_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("GAUNTLET_DEBUG", raising=False)
    run("data", "--help")  # import the commands before the first timed example


@FUZZ
@given(csv_bytes(), st.sampled_from(["bars.csv", "bars.csv.gz", "bars.txt"]))
def test_any_csv_keeps_the_contract(raw: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(raw)
        assert_contract(path)


@FUZZ
@given(parquet_frame(), st.booleans())
def test_any_parquet_keeps_the_contract(frame: pd.DataFrame, truncate: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bars.parquet"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame.to_parquet(path)
        except (ValueError, TypeError, OverflowError, ImportError) as exc:
            assume(not isinstance(exc, ImportError))
            assume(False)  # pyarrow cannot store this frame: not a file anyone could hand us
        if truncate:
            raw = path.read_bytes()
            path.write_bytes(raw[: math.ceil(len(raw) * 0.6)])
        assert_contract(path)
