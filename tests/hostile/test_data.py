"""Hostile input for `gauntlet data ...` and the bar loaders.

Each case is a hostile file or argument and the exit-code contract it must keep
(tests/hostile/harness.py): bad input is exit 2 with one readable stderr line saying what is
wrong, never a traceback and never an "internal error"; a file that is fine loads as it should,
and nothing wrong is accepted silently.
"""

from __future__ import annotations

import bz2
import gzip
import os
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketdata import DataError, generate_bars, load_bars
from tests.hostile.harness import assert_bad_input, run

HEADER = "Date,Open,High,Low,Close\n"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("GAUNTLET_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("GAUNTLET_CATALOG", str(tmp_path / "catalog"))
    monkeypatch.setenv("COLUMNS", "200")


def daily_csv(path: Path, dates: list[str], separator: str = ",") -> Path:
    rows = [f"{d},1.1000,1.1010,1.0990,1.1005" for d in dates]
    path.write_text((HEADER + "\n".join(rows) + "\n").replace(",", separator))
    return path


def synthetic_csv(path: Path, n: int = 300, **changes: tuple[int, float]) -> Path:
    """`n` realistic hourly bars, with `column=(row, value)` changes (row 0-based)."""
    bars = generate_bars(n, seed=3)
    for column, (row, value) in changes.items():
        bars.loc[bars.index[row], column] = value
    frame = bars[["open", "high", "low", "close", "volume"]].tz_convert(None)
    frame.to_csv(path, index_label="Date")
    return path


# --- wrong results that used to pass silently -------------------------------------------------


def test_day_first_dates_that_could_be_month_first_are_refused(tmp_path: Path) -> None:
    """12 daily bars 01/03/2024..12/03/2024 were read as monthly (timeframe 31d), no warning."""
    path = daily_csv(tmp_path / "ddmm.csv", [f"{d:02d}/03/2024" for d in range(1, 13)])
    line = assert_bad_input(run("data", "check", path, "--calendar", "none"), r"--date-format")
    assert "01/03/2024" in line
    assert "%d/%m/%Y" in line
    assert "%m/%d/%Y" in line


def test_date_format_settles_the_day_month_order(tmp_path: Path) -> None:
    path = daily_csv(tmp_path / "ddmm.csv", [f"{d:02d}/03/2024" for d in range(1, 13)])
    outcome = run("data", "check", path, "--calendar", "none", "--date-format", "%d/%m/%Y")
    assert outcome.code == 0, outcome.stderr
    assert "timeframe 1d" in outcome.stdout
    bars = load_bars(path, date_format="%d/%m/%Y", quality=None)
    assert bars.index[0] == pd.Timestamp("2024-03-01", tz="UTC")


def test_a_date_format_that_does_not_fit_names_the_row(tmp_path: Path) -> None:
    path = daily_csv(tmp_path / "iso.csv", ["2024-01-01", "2024-01-02"])
    assert_bad_input(run("data", "check", path, "--date-format", "%d/%m/%Y"), r"row 1.*'%d/%m/%Y'")


def test_unambiguous_slash_dates_still_load_without_a_format(tmp_path: Path) -> None:
    path = daily_csv(tmp_path / "ddmm.csv", [f"{d:02d}/03/2024" for d in range(10, 20)])
    assert load_bars(path).index[0] == pd.Timestamp("2024-03-10", tz="UTC")


def test_a_spike_in_the_high_is_caught(tmp_path: Path) -> None:
    path = synthetic_csv(tmp_path / "wick.csv", high=(150, 110.0))
    assert_bad_input(run("data", "check", path), r"row 151 .*high.*110")


def test_a_spike_in_the_low_is_caught(tmp_path: Path) -> None:
    path = synthetic_csv(tmp_path / "wick.csv", low=(150, 0.011))
    assert_bad_input(run("data", "check", path), r"row 151 .*low.*0\.011")


def test_a_high_of_1e308_is_caught(tmp_path: Path) -> None:
    path = synthetic_csv(tmp_path / "huge.csv", high=(150, 1e308))
    assert_bad_input(run("data", "check", path), r"row 151 .*1e\+308")


def test_repair_cuts_a_wick_spike_back_to_the_body(tmp_path: Path) -> None:
    path = synthetic_csv(tmp_path / "wick.csv", high=(150, 110.0))
    bars = load_bars(path, repair=True)
    assert len(bars) == 300
    assert bars["high"].iloc[150] == max(bars["open"].iloc[150], bars["close"].iloc[150])


def test_duplicate_columns_differing_in_case_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("Date,Open,High,Low,Close,close\n2024-01-01,1.1,1.2,1.0,1.1,1.15\n")
    assert_bad_input(run("data", "check", path), r"'Close' and 'close'")


def test_prices_scaled_by_1e15_are_refused_at_load(tmp_path: Path) -> None:
    """They reached the engine, which booked 0 of 14 orders and exited 1."""
    bars = generate_bars(300, seed=3)
    for column in ("open", "high", "low", "close"):
        bars[column] *= 1e15
    path = tmp_path / "scaled.parquet"
    bars.to_parquet(path)
    assert_bad_input(run("data", "check", path), r"row 1 .*price outside .*1e\+12")
    with pytest.raises(DataError, match="price outside"):
        load_bars(path)


# --- messages that said the wrong thing --------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 7])
def test_random_bytes_are_called_binary_not_empty(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "noise.csv"
    path.write_bytes(b"\r\n" + random.Random(seed).randbytes(4096))
    line = assert_bad_input(run("data", "check", path), r"binary")
    assert "empty" not in line
    assert len(line) < 300


def test_a_nul_filled_file_gets_one_short_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"\0" * 16_600)
    line = assert_bad_input(run("data", "check", path), r"binary")
    assert len(line) < 300


def test_a_header_of_thousands_of_names_is_listed_short(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"column_{i}" for i in range(3000)) + "\n" + "1," * 2999 + "1\n")
    line = assert_bad_input(run("data", "check", path), r"found: 'column_0'.*3000 columns")
    assert len(line) < 500


@pytest.mark.parametrize("name", ["bars.csv.gz", "bars.bin"])
def test_gzip_is_read_whatever_its_name(tmp_path: Path, name: str) -> None:
    text = daily_csv(tmp_path / "plain.csv", [f"2024-01-{d:02d}" for d in range(1, 20)], ";")
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.read_bytes()))
    outcome = run("data", "check", path, "--calendar", "none")
    assert outcome.code == 0, outcome.stderr
    assert "19 rows" in outcome.stdout


def test_other_compression_is_named(tmp_path: Path) -> None:
    text = daily_csv(tmp_path / "plain.csv", ["2024-01-01", "2024-01-02"])
    path = tmp_path / "bars.csv.bz2"
    path.write_bytes(bz2.compress(text.read_bytes()))
    assert_bad_input(run("data", "check", path), r"bzip2.*decompress")


@pytest.mark.parametrize(
    "stamps",
    [
        ["9999-01-01", "2024-01-02"],
        ["1500-06-01 10:00", "2024-01-02 10:00"],
        ["2024-01-01T10:00:00+02:00", "9999-01-02T10:00:00+02:00"][::-1],
        ["99999999999999999999", "1704153600"],
    ],
)
def test_a_timestamp_out_of_range_says_so(tmp_path: Path, stamps: list[str]) -> None:
    path = daily_csv(tmp_path / "far.csv", stamps)
    line = assert_bad_input(run("data", "check", path), r"row 1: timestamp .* out of range")
    assert "1816" not in line
    assert "1815" not in line


# --- bad arguments that exited 1 ---------------------------------------------------------------


def test_synth_refuses_a_start_that_is_not_a_date(tmp_path: Path) -> None:
    outcome = run(
        "data", "synth", "--bars", "10", "--out", tmp_path / "x.csv", "--start", "notadate"
    )
    assert_bad_input(outcome, r"start 'notadate' is not a date")


def test_synth_refuses_bars_past_the_last_representable_timestamp(tmp_path: Path) -> None:
    """2,000,000 hourly bars from 2020 used to wrap around to 1754 after April 2262."""
    outcome = run("data", "synth", "--bars", "2000000", "--out", tmp_path / "x.csv")
    assert_bad_input(outcome, r"run past 2262-04-11")


def test_synth_refuses_more_bars_than_memory_up_front(tmp_path: Path) -> None:
    outcome = run("data", "synth", "--bars", "100000000000", "--out", tmp_path / "x.csv")
    assert_bad_input(outcome, r"100000000000 bars need about [\d.]+ TiB")
    assert not (tmp_path / "x.csv").exists()


def test_import_refuses_a_catalog_that_is_a_file(tmp_path: Path) -> None:
    path = daily_csv(tmp_path / "ok.csv", ["2024-01-01", "2024-01-02", "2024-01-03"])
    not_a_folder = tmp_path / "catalog.txt"
    not_a_folder.write_text("x")
    outcome = run(
        "data", "import", path, "--instrument", "EURUSD", "--catalog", not_a_folder,
        "--calendar", "none",
    )  # fmt: skip
    assert_bad_input(outcome, r"catalog.*is a file, not a folder")
    assert not_a_folder.read_text() == "x"


@pytest.mark.parametrize(
    ("option", "value"), [("--spike-k", "-1"), ("--spike-k", "0"), ("--gap-bars", "-1")]
)
def test_check_refuses_thresholds_that_flag_everything(
    tmp_path: Path, option: str, value: str
) -> None:
    path = daily_csv(tmp_path / "ok.csv", ["2024-01-01", "2024-01-02", "2024-01-03"])
    assert_bad_input(run("data", "check", path, option, value), option)


# --- what the issue forgot ---------------------------------------------------------------------


def test_an_empty_parquet_file_says_it_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    generate_bars(5).head(0).to_parquet(path)
    assert_bad_input(run("data", "check", path), r"no data rows")


def test_a_zero_byte_parquet_file_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "zero.parquet"
    path.write_bytes(b"")
    assert_bad_input(run("data", "check", path), r"zero\.parquet")


@pytest.mark.parametrize(
    "close",
    [
        pd.Series(["a"] * 5, dtype=object),
        pd.Series([[1.0]] * 5, dtype=object),
        pd.Series([{"x": 1.0}] * 5, dtype=object),
    ],
    ids=["text", "list", "struct"],
)
def test_a_parquet_column_of_the_wrong_type_is_named(tmp_path: Path, close: pd.Series) -> None:
    bars = generate_bars(5)
    frame = bars.reset_index()[["timestamp", "open", "high", "low"]]
    frame["close"] = close.to_numpy()
    path = tmp_path / "typed.parquet"
    frame.to_parquet(path)
    assert_bad_input(run("data", "check", path), r"column 'close'")


def test_a_parquet_timestamp_of_the_wrong_type_is_named(tmp_path: Path) -> None:
    frame = generate_bars(5).reset_index(drop=True)
    frame.insert(0, "timestamp", [[1]] * 5)
    path = tmp_path / "typed.parquet"
    frame.to_parquet(path)
    assert_bad_input(run("data", "check", path), r"timestamp")


def test_a_bom_and_crlf_line_ends_load(tmp_path: Path) -> None:
    text = HEADER + "".join(f"2024-01-{d:02d},1.1,1.2,1.0,1.1\n" for d in range(1, 6))
    path = tmp_path / "windows.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    bars = load_bars(path)
    assert len(bars) == 5
    assert bars["close"].iloc[-1] == 1.1


def test_timestamps_with_an_offset_are_converted_to_utc(tmp_path: Path) -> None:
    path = daily_csv(
        tmp_path / "offset.csv", ["2024-01-01T10:00:00+02:00", "2024-01-02T10:00:00+02:00"]
    )
    bars = load_bars(path)
    assert bars.index[0] == pd.Timestamp("2024-01-01 08:00", tz="UTC")


def test_a_row_with_more_cells_than_the_header_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(HEADER + "2024-01-01,1.1,1.2,1.0,1.1\n2024-01-02,1.1,1.2,1.0,1.1,9,9\n")
    assert_bad_input(run("data", "check", path), r"ragged\.csv")


def test_a_wick_check_does_not_flag_real_looking_data() -> None:
    bars = generate_bars(20_000, seed=11)
    from marketdata import check_quality

    assert check_quality(bars).counts.get("wick_spike", 0) == 0
    assert np.isfinite(bars["high"]).all()


@pytest.mark.parametrize(
    "raw",
    [b"\xef\xbb\xbf", b"\xef\xbb\xbf \r\n", b"\xff\xfe", b"\xff\xfe2"],
    ids=["bom", "bom-blank", "utf16-bom", "utf16-odd"],
)
def test_a_file_of_only_a_byte_order_mark_is_empty(tmp_path: Path, raw: bytes) -> None:
    """Found by the fuzzer: these raised IndexError (exit 1)."""
    path = tmp_path / "bom.csv"
    path.write_bytes(raw)
    assert_bad_input(run("data", "check", path), r"bom\.csv: (file is empty|missing column)")


def test_a_truncated_gzip_file_is_bad_input(tmp_path: Path) -> None:
    text = daily_csv(tmp_path / "plain.csv", [f"2024-01-{d:02d}" for d in range(1, 20)])
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(gzip.compress(text.read_bytes())[:-12])
    assert_bad_input(run("data", "check", path), r"gzip.*cannot be decompressed")


def test_a_backtest_on_prices_scaled_by_1e15_is_bad_input(tmp_path: Path) -> None:
    """It used to reach the engine: exit 1, 'vectorbt booked 0 of 14 orders'."""
    bars = generate_bars(500, seed=3)
    for column in ("open", "high", "low", "close"):
        bars[column] *= 1e15
    path = tmp_path / "scaled.csv"
    bars.tz_convert(None).to_csv(path, index_label="Date")
    outcome = run("backtest", "--strategy", "bollinger_reversion", "--data", path)
    assert_bad_input(outcome, r"scaled\.csv: row 1 .*price outside")


def test_list_refuses_a_catalog_that_is_a_file(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "catalog.txt"
    not_a_folder.write_text("x")
    assert_bad_input(run("data", "list", "--catalog", not_a_folder), r"is a file, not a folder")


def test_a_date_format_polars_cannot_use_is_bad_input(tmp_path: Path) -> None:
    path = daily_csv(tmp_path / "iso.csv", ["2024-01-01", "2024-01-02"])
    assert_bad_input(run("data", "check", path, "--date-format", "%Q%"), r"'%Q%'")


def test_synth_into_a_path_under_a_file_is_bad_input(tmp_path: Path) -> None:
    """mkdir raised FileExistsError: exit 1, 'internal error'."""
    (tmp_path / "afile").write_text("x")
    outcome = run("data", "synth", "--bars", "10", "--out", tmp_path / "afile" / "x.csv")
    assert_bad_input(outcome, r"cannot write .*afile/x\.csv")


def test_an_unknown_time_zone_is_named(tmp_path: Path) -> None:
    path = daily_csv(tmp_path / "ok.csv", ["2024-01-01", "2024-01-02", "2024-01-03"])
    assert_bad_input(
        run("data", "check", path, "--tz", "Mars/Base"), r"unknown time zone 'Mars/Base'"
    )


def test_import_takes_the_date_format(tmp_path: Path) -> None:
    path = daily_csv(tmp_path / "ddmm.csv", [f"{d:02d}/03/2024" for d in range(1, 13)])
    outcome = run(
        "data", "import", path, "--instrument", "EURUSD", "--calendar", "none",
        "--date-format", "%d/%m/%Y", "--catalog", tmp_path / "catalog",
    )  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    assert "12 added" in outcome.stdout


def test_a_damaged_catalog_file_is_named_and_left_alone(tmp_path: Path) -> None:
    """A truncated year file was a polars ComputeError: exit 1, 'internal error'."""
    path = daily_csv(tmp_path / "ok.csv", [f"2024-01-{d:02d}" for d in range(1, 10)])
    catalog = tmp_path / "catalog"
    imported = ("data", "import", path, "--instrument", "EURUSD", "--calendar", "none")
    assert run(*imported, "--catalog", catalog).code == 0
    year = catalog / "EURUSD" / "1d" / "2024.parquet"
    damaged = year.read_bytes()[:100]
    year.write_bytes(damaged)
    for args in (("data", "list"), imported):
        assert_bad_input(
            run(*args, "--catalog", catalog), r"catalog file .*2024\.parquet cannot be read"
        )
    assert year.read_bytes() == damaged  # the import refused rather than overwrite it


# --- PostgreSQL ingestion's client side (parsing and row checks; no database needed) ----------


def ingest_rows(path: Path) -> int:
    from live.marketdata.parsing import parse, read_table
    from live.marketdata.validate import check_bar_rows

    table = read_table(path)
    return len(
        check_bar_rows(parse(table, ("open", "high", "low", "close", "volume"), "f")).unix_us
    )


def test_ingest_refuses_a_csv_with_a_header_and_no_rows(tmp_path: Path) -> None:
    """_parse_floats raised TypeError (ufunc 'invert' on an object array): exit 1."""
    from live.marketdata import IngestRejectedError

    path = tmp_path / "header.csv"
    path.write_text(HEADER)
    with pytest.raises(IngestRejectedError, match=r"header\.csv: has a header but no data rows"):
        ingest_rows(path)


def test_ingest_refuses_a_parquet_column_of_lists(tmp_path: Path) -> None:
    from live.marketdata import IngestRejectedError

    frame = generate_bars(5).reset_index()[["timestamp", "open", "high", "low"]]
    frame["close"] = [[1.0]] * 5
    path = tmp_path / "typed.parquet"
    frame.to_parquet(path)
    with pytest.raises(IngestRejectedError, match=r"column 'close' holds List"):
        ingest_rows(path)


def test_ingest_refuses_columns_differing_only_in_case(tmp_path: Path) -> None:
    """The last of `Close` and `close` silently won."""
    from live.marketdata import IngestRejectedError

    path = tmp_path / "dup.csv"
    path.write_text("timestamp,open,high,low,Close,close\n2024-01-01,1.1,1.2,1.0,1.1,1.15\n")
    with pytest.raises(IngestRejectedError, match=r"'Close' and 'close'"):
        ingest_rows(path)


def test_ingest_lists_a_wide_header_short(tmp_path: Path) -> None:
    from live.marketdata import IngestRejectedError

    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"column_{i}" for i in range(3000)) + "\n" + "1," * 2999 + "1\n")
    with pytest.raises(IngestRejectedError, match=r"3000 columns") as caught:
        ingest_rows(path)
    assert len(str(caught.value)) < 500


@pytest.mark.parametrize("seed", ["-1", "-" + "9" * 30])
def test_synth_refuses_a_seed_numpy_cannot_take(tmp_path: Path, seed: str) -> None:
    outcome = run("data", "synth", "--bars", "10", "--seed", seed, "--out", tmp_path / "s.csv")
    assert_bad_input(outcome, "--seed")
    assert not (tmp_path / "s.csv").exists()
