"""Each loader format, from small fixture files written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketdata import DataError, load_bars, load_bars_with_report, load_panel, load_ticks
from tests.fixtures.bars import make_bars

UTC = "UTC"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GENERIC = """Date,Open,High,Low,Close,Volume
2024-01-02 10:00:00,1.1000,1.1010,1.0990,1.1005,120
2024-01-02 11:00:00,1.1005,1.1020,1.1000,1.1015,80
2024-01-02 12:00:00,1.1015,1.1016,1.0995,1.1000,95
"""


def test_generic_csv_follows_the_bar_convention(tmp_path: Path) -> None:
    bars = load_bars(write(tmp_path, "eurusd.csv", GENERIC))
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert bars.index.name == "timestamp"
    assert str(bars.index.tz) == UTC
    assert bars.index[0] == pd.Timestamp("2024-01-02 10:00", tz=UTC)
    assert bars["close"].tolist() == [1.1005, 1.1015, 1.1000]
    assert bars["volume"].tolist() == [120.0, 80.0, 95.0]
    assert all(dtype == np.float64 for dtype in bars.dtypes)
    assert bars.attrs["format"] == "csv"
    assert bars.attrs["timeframe"] == "1h"


def test_column_names_match_case_insensitively_and_by_alias(tmp_path: Path) -> None:
    text = "Gmt time;OPEN;high;Low;CLOSE;Tick_Volume\n"
    text += (
        "02.01.2024 10:00:00.000;1.1;1.2;1.0;1.15;5\n02.01.2024 10:01:00.000;1.15;1.2;1.1;1.12;6\n"
    )
    bars = load_bars(write(tmp_path, "dukascopy.csv", text))
    assert bars.index[1] == pd.Timestamp("2024-01-02 10:01", tz=UTC)
    assert bars["volume"].tolist() == [5.0, 6.0]


def test_first_unnamed_column_is_the_index_pandas_wrote(tmp_path: Path) -> None:
    original = make_bars(50)
    original.index.name = None
    path = tmp_path / "pandas.csv"
    original.to_csv(path)
    assert path.read_text().startswith(",open,high")
    bars = load_bars(path)
    pd.testing.assert_index_equal(bars.index, original.index.rename("timestamp"))
    np.testing.assert_allclose(bars["close"].to_numpy(), original["close"].to_numpy())


def test_separate_date_and_time_columns_and_no_volume(tmp_path: Path) -> None:
    text = "date,time,open,high,low,close\n2024-01-02,10:00,1,2,0.5,1.5\n2024-01-02,10:05,1.5,2,1,1.2\n"
    bars = load_bars(write(tmp_path, "dt.csv", text))
    assert bars.index.tolist() == [
        pd.Timestamp("2024-01-02 10:00", tz=UTC),
        pd.Timestamp("2024-01-02 10:05", tz=UTC),
    ]
    assert bars["volume"].tolist() == [0.0, 0.0]  # no volume in the file: zeros, documented


def test_offsets_in_timestamps_are_converted_to_utc(tmp_path: Path) -> None:
    text = "timestamp,open,high,low,close\n2024-07-01 12:00:00+02:00,1,1,1,1\n2024-07-01T11:00:00Z,1,1,1,1\n"
    bars = load_bars(write(tmp_path, "tz.csv", text), check=False)
    assert bars.index.tolist() == [
        pd.Timestamp("2024-07-01 10:00", tz=UTC),
        pd.Timestamp("2024-07-01 11:00", tz=UTC),
    ]


def test_naive_timestamps_are_read_in_the_given_zone(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close\n2024-07-01 12:00,1,1,1,1\n2024-07-01 13:00,1,1,1,1\n"
    bars = load_bars(write(tmp_path, "berlin.csv", text), tz="Europe/Berlin")
    assert bars.index[0] == pd.Timestamp("2024-07-01 10:00", tz=UTC)  # CEST = UTC+2


def test_epoch_timestamps_in_milliseconds(tmp_path: Path) -> None:
    stamp = int(pd.Timestamp("2024-01-02 10:00", tz=UTC).value // 1_000_000)
    text = f"time,open,high,low,close\n{stamp},1,1,1,1\n{stamp + 3_600_000},1,1,1,1\n"
    bars = load_bars(write(tmp_path, "epoch.csv", text))
    assert bars.index[1] == pd.Timestamp("2024-01-02 11:00", tz=UTC)


def test_parquet_written_by_pandas_keeps_its_index(tmp_path: Path) -> None:
    original = make_bars(30)
    path = tmp_path / "bars.parquet"
    original.to_parquet(path)
    bars = load_bars(path)
    assert bars.attrs["format"] == "parquet"
    pd.testing.assert_frame_equal(bars, original, check_freq=False)


MT5 = (
    "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
    "2024.01.02\t00:00:00\t1.10427\t1.10429\t1.10410\t1.10420\t59\t0\t12\n"
    "2024.01.02\t00:01:00\t1.10420\t1.10440\t1.10418\t1.10435\t41\t0\t11\n"
)


def test_metatrader5_export(tmp_path: Path) -> None:
    loaded = load_bars_with_report(write(tmp_path, "EURUSD_M1.csv", MT5))
    assert loaded.format == "mt5"
    bars = loaded.bars
    assert bars.index[1] == pd.Timestamp("2024-01-02 00:01", tz=UTC)
    assert bars["volume"].tolist() == [59.0, 41.0]  # tick volume, not the zero real volume
    assert "spread" not in bars.columns  # points of unknown size: dropped, see formats.py


def test_metatrader5_export_in_utf16(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes(MT5.encode("utf-16"))
    assert load_bars(path)["close"].tolist() == [1.10420, 1.10435]


def test_histdata_ascii_m1_is_est_without_dst(tmp_path: Path) -> None:
    text = "20240702 170000;1.104270;1.104290;1.104250;1.104280;0\n20240702 170100;1.104280;1.104300;1.104270;1.104290;0\n"
    loaded = load_bars_with_report(write(tmp_path, "DAT_ASCII_EURUSD_M1_2024.csv", text))
    assert loaded.format == "histdata_m1"
    # July, yet +5 h, not +4: HistData stamps are EST all year.
    assert loaded.bars.index[0] == pd.Timestamp("2024-07-02 22:00", tz=UTC)


def test_histdata_metatrader_format(tmp_path: Path) -> None:
    text = "2024.01.02,17:00,1.1,1.2,1.0,1.15,0\n2024.01.02,17:01,1.15,1.2,1.1,1.12,0\n"
    loaded = load_bars_with_report(write(tmp_path, "DAT_MT_EURUSD_M1_2024.csv", text))
    assert loaded.format == "histdata_mt"
    assert loaded.bars.index[0] == pd.Timestamp("2024-01-02 22:00", tz=UTC)


HISTDATA_TICKS = (
    "20240102 170000123,1.10420,1.10430,0\n"
    "20240102 170000456,1.10424,1.10432,0\n"
    "20240102 170105000,1.10410,1.10425,0\n"
)


def test_histdata_ticks(tmp_path: Path) -> None:
    ticks = load_ticks(write(tmp_path, "DAT_ASCII_EURUSD_T_2024.csv", HISTDATA_TICKS))
    assert list(ticks.columns) == ["bid", "ask", "volume"]
    assert ticks.index[0] == pd.Timestamp("2024-01-02 22:00:00.123", tz=UTC)
    assert ticks["ask"].iloc[1] == 1.10432


def test_tick_file_becomes_bars_given_a_timeframe(tmp_path: Path) -> None:
    path = write(tmp_path, "ticks.csv", HISTDATA_TICKS)
    with pytest.raises(DataError, match="tick file"):
        load_bars(path)
    bars = load_bars(path, timeframe="1m")
    assert len(bars) == 2
    assert bars["open"].iloc[0] == pytest.approx((1.10420 + 1.10430) / 2)
    assert bars["close"].iloc[0] == pytest.approx((1.10424 + 1.10432) / 2)


def test_generic_tick_csv_with_header(tmp_path: Path) -> None:
    text = "timestamp,bid,ask\n2024-01-02 10:00:00.5,1.0,1.1\n2024-01-02 10:00:01,1.0,0.9\n"
    with pytest.raises(DataError, match=r"row 2 \(2024-01-02 10:00:01\+00:00\): ask < bid"):
        load_ticks(write(tmp_path, "crossed.csv", text))


def test_loading_ticks_from_a_bar_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="use load_bars"):
        load_ticks(write(tmp_path, "bars.csv", GENERIC))


def test_forced_format(tmp_path: Path) -> None:
    path = write(tmp_path, "noext", GENERIC.replace(",", "|"))
    assert len(load_bars(path, fmt="csv")) == 3
    with pytest.raises(DataError, match="unknown format 'xls'"):
        load_bars(path, fmt="xls")


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "wrong.csv", "Date,Price,Size\n2024-01-02,1,2\n")
    with pytest.raises(DataError) as caught:
        load_bars(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: missing column(s) open, high, low, close")
    assert "'Price'" in message


def test_no_timestamp_column(tmp_path: Path) -> None:
    path = write(tmp_path, "nodate.csv", "Open,High,Low,Close\n1,1,1,1\n")
    with pytest.raises(DataError, match="no timestamp column"):
        load_bars(path)


def test_text_in_a_price_column_names_row_and_value(tmp_path: Path) -> None:
    text = GENERIC.replace("1.1015,80", "abc,80")
    with pytest.raises(DataError, match=r"bad.csv: row 2: column 'Close': 'abc' is not a number"):
        load_bars(write(tmp_path, "bad.csv", text))


def test_decimal_commas_get_a_hint(tmp_path: Path) -> None:
    text = "Date;Open;High;Low;Close\n2024-01-02 10:00:00;1,1;1,2;0,9;1,1\n"
    with pytest.raises(
        DataError, match=r"row 1: column 'Open': '1,1' is not a number \(decimal comma"
    ):
        load_bars(write(tmp_path, "eu.csv", text))


def test_unparseable_timestamp_names_the_row(tmp_path: Path) -> None:
    text = GENERIC.replace("2024-01-02 12:00:00", "2024-13-45 12:00:00")
    with pytest.raises(DataError, match=r"row 3: cannot parse timestamp '2024-13-45 12:00:00'"):
        load_bars(write(tmp_path, "ts.csv", text))


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file is empty"):
        load_bars(write(tmp_path, "empty.csv", ""))
    with pytest.raises(DataError, match="has a header but no data rows"):
        load_bars(write(tmp_path, "header.csv", "Date,Open,High,Low,Close\n"))
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        load_bars(tmp_path / "nope.csv")


def test_a_bad_row_rejects_the_load_with_file_row_and_rule(tmp_path: Path) -> None:
    text = GENERIC.replace("1.1005,1.1020,1.1000,1.1015", "1.1005,1.1010,1.1000,1.1015")
    path = write(tmp_path, "ohlc.csv", text)
    with pytest.raises(DataError) as caught:
        load_bars(path)
    assert str(caught.value).startswith(
        f"{path}: row 2 (2024-01-02 11:00:00+00:00): high < max(open, close)"
    )
    assert caught.value.rule == "high_below_body"
    assert caught.value.report is not None


def test_repair_on_load_reports_what_changed(tmp_path: Path) -> None:
    text = GENERIC + "2024-01-02 11:00:00,1.1005,1.1030,1.1000,1.1025,70\n"
    loaded = load_bars_with_report(write(tmp_path, "dup.csv", text), repair=True)
    assert loaded.bars.index.is_monotonic_increasing
    assert loaded.bars.loc["2024-01-02 11:00", "close"].item() == 1.1025  # the last one kept
    assert loaded.repair is not None
    assert [(a.rule, a.count) for a in loaded.repair.actions] == [
        ("duplicate", 1),
        ("non_monotonic", 1),
    ]
    assert loaded.bars.attrs["repair"]["rows_out"] == 3


def test_expected_timeframe_must_match_the_spacing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="bars are 1h apart, not 5m"):
        load_bars(write(tmp_path, "h1.csv", GENERIC), timeframe="5m")


def test_panel_aligns_on_shared_timestamps(tmp_path: Path) -> None:
    a, b = make_bars(40, seed=1), make_bars(40, seed=2).drop(make_bars(40).index[[5, 6]])
    a.to_parquet(tmp_path / "a.parquet")
    b.to_parquet(tmp_path / "b.parquet")
    panel = load_panel({"EURUSD": tmp_path / "a.parquet", "GBPUSD": tmp_path / "b.parquet"})
    assert panel.columns.names == ["instrument", "field"]
    assert len(panel) == 38
    assert panel.attrs["alignment"] == {"EURUSD": 2, "GBPUSD": 0}
    assert not panel.isna().any().any()


def test_panel_with_repair_fills_missing_bars_flat(tmp_path: Path) -> None:
    a, b = make_bars(40, seed=1), make_bars(40, seed=2).drop(make_bars(40).index[[5]])
    a.to_parquet(tmp_path / "a.parquet")
    b.to_parquet(tmp_path / "b.parquet")
    panel = load_panel({"A": tmp_path / "a.parquet", "B": tmp_path / "b.parquet"}, repair=True)
    assert len(panel) == 40
    assert panel.attrs["alignment"] == {"A": 0, "B": 1}
    filled = panel["B"].iloc[5]
    previous_close = panel["B"]["close"].iloc[4]
    assert filled[["open", "high", "low", "close"]].tolist() == [previous_close] * 4
    assert filled["volume"] == 0.0
