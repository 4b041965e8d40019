"""The Parquet catalog: round trip, partitioning, idempotent re-import, listing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from marketdata import Catalog, DataError, default_root
from tests.fixtures.bars import make_bars


def test_round_trip_is_exact(tmp_path: Path) -> None:
    bars = make_bars(500, seed=1)
    catalog = Catalog(tmp_path)
    result = catalog.write("EURUSD", "1h", bars)
    assert (result.rows_added, result.rows_replaced, result.rows_total) == (500, 0, 500)
    back = catalog.read("EURUSD", "H1")  # MetaTrader spelling of the same timeframe
    pd.testing.assert_frame_equal(back, bars, check_freq=False)
    assert back.attrs["instrument"] == "EURUSD"


def test_layout_is_instrument_timeframe_year(tmp_path: Path) -> None:
    bars = make_bars(24 * 10, seed=1, start="2023-12-27")
    Catalog(tmp_path).write("EURUSD", "60min", bars)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet"))
    assert files == ["EURUSD/1h/2023.parquet", "EURUSD/1h/2024.parquet"]


def test_reimport_is_idempotent_and_leaves_files_untouched(tmp_path: Path) -> None:
    bars = make_bars(300, seed=2)
    catalog = Catalog(tmp_path)
    catalog.write("EURUSD", "1h", bars)
    file = tmp_path / "EURUSD" / "1h" / "2024.parquet"
    before = file.stat().st_mtime_ns
    again = catalog.write("EURUSD", "1h", bars)
    assert (again.rows_added, again.rows_replaced, again.rows_total) == (0, 0, 300)
    assert file.stat().st_mtime_ns == before
    assert len(catalog.read("EURUSD", "1h")) == 300


def test_overlapping_import_adds_new_and_replaces_changed(tmp_path: Path) -> None:
    bars = make_bars(300, seed=2)
    catalog = Catalog(tmp_path)
    catalog.write("EURUSD", "1h", bars.iloc[:200])
    update = bars.iloc[150:].copy()
    update.iloc[0, update.columns.get_loc("volume")] += 1  # a corrected bar
    result = catalog.write("EURUSD", "1h", update)
    assert (result.rows_added, result.rows_replaced, result.rows_total) == (100, 1, 300)
    back = catalog.read("EURUSD", "1h")
    assert back["volume"].iloc[150] == bars["volume"].iloc[150] + 1
    assert back.index.is_unique
    assert back.index.is_monotonic_increasing


def test_read_a_time_range(tmp_path: Path) -> None:
    bars = make_bars(24 * 400, seed=4, start="2023-06-01")
    catalog = Catalog(tmp_path)
    catalog.write("GBPUSD", "1h", bars)
    window = catalog.read("GBPUSD", "1h", start="2024-01-01", end="2024-01-02 12:00")
    assert window.index[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert window.index[-1] == pd.Timestamp("2024-01-02 11:00", tz="UTC")  # end is exclusive
    assert len(window) == 36


def test_list_reports_rows_and_ranges(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    assert catalog.list() == []
    catalog.write("EURUSD", "1h", make_bars(100, seed=1))
    catalog.write("EURUSD", "1d", make_bars(20, seed=1, freq="1D"))
    catalog.write("AUDUSD", "1h", make_bars(10, seed=1))
    entries = [(e.instrument, e.timeframe, e.rows) for e in catalog.list()]
    assert entries == [("AUDUSD", "1h", 10), ("EURUSD", "1d", 20), ("EURUSD", "1h", 100)]
    first = catalog.list()[0]
    assert first.start == pd.Timestamp("2024-01-01", tz="UTC")
    assert first.end == pd.Timestamp("2024-01-01 09:00", tz="UTC")


def test_missing_entry_says_what_the_catalog_has(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    catalog.write("EURUSD", "1h", make_bars(10))
    with pytest.raises(DataError, match=r"has no GBPUSD 1h bars \(it has: EURUSD 1h\)"):
        catalog.read("GBPUSD", "1h")


def test_bad_instrument_name_and_bad_bars_are_refused(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    with pytest.raises(DataError, match=r"instrument 'EUR/USD' must be .* \(e.g. EURUSD\)"):
        catalog.write("EUR/USD", "1h", make_bars(10))
    bad = make_bars(10)
    bad.iloc[3, 0] = float("nan")
    with pytest.raises(DataError, match="row 4"):
        catalog.write("EURUSD", "1h", bad)
    assert catalog.list() == []


def test_default_root_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAUNTLET_CATALOG", str(tmp_path / "elsewhere"))
    assert default_root() == tmp_path / "elsewhere"
    assert Catalog().root == tmp_path / "elsewhere"
    monkeypatch.delenv("GAUNTLET_CATALOG")
    assert default_root() == Path("~/.gauntlet/catalog").expanduser()
