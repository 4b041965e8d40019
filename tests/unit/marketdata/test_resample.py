"""Resampling checked against bars computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from marketdata import DataError, resample_bars, ticks_to_bars


def frame(rows: list[tuple[str, ...]], columns: list[str]) -> pd.DataFrame:
    index = pd.DatetimeIndex([r[0] for r in rows], name="timestamp").tz_localize("UTC")
    return pd.DataFrame([r[1:] for r in rows], index=index, columns=columns, dtype=float)


def test_one_minute_to_five_minutes_by_hand() -> None:
    ohlcv = ["open", "high", "low", "close", "volume"]
    minutes = frame(
        [
            ("2024-01-02 10:00", 1.0, 1.5, 0.9, 1.2, 10),
            ("2024-01-02 10:01", 1.2, 1.3, 1.1, 1.1, 20),
            ("2024-01-02 10:04", 1.1, 2.0, 1.0, 1.9, 5),
            ("2024-01-02 10:05", 1.9, 1.9, 1.7, 1.8, 1),
            ("2024-01-02 10:20", 1.8, 1.8, 0.5, 0.6, 2),  # 10:10 and 10:15 bins are empty
        ],
        ohlcv,
    )
    five = resample_bars(minutes, "5m")
    expected = frame(
        [
            ("2024-01-02 10:00", 1.0, 2.0, 0.9, 1.9, 35),
            ("2024-01-02 10:05", 1.9, 1.9, 1.7, 1.8, 1),
            ("2024-01-02 10:20", 1.8, 1.8, 0.5, 0.6, 2),
        ],
        ohlcv,
    )
    pd.testing.assert_frame_equal(five, expected, check_freq=False)


def test_daily_bars_at_the_new_york_close() -> None:
    hours = frame(
        [
            ("2024-01-02 21:00", 1.0, 1.1, 0.9, 1.0),
            ("2024-01-02 22:00", 2.0, 2.1, 1.9, 2.0),
            ("2024-01-03 21:00", 3.0, 3.1, 2.9, 3.0),
            ("2024-01-03 22:00", 4.0, 4.1, 3.9, 4.0),
        ],
        ["open", "high", "low", "close"],
    )
    utc_days = resample_bars(hours, "1d")
    assert utc_days.index.tolist() == [
        pd.Timestamp("2024-01-02", tz="UTC"),
        pd.Timestamp("2024-01-03", tz="UTC"),
    ]
    ny_days = resample_bars(hours, "1d", day_start="22:00")
    assert ny_days.index.tolist() == [
        pd.Timestamp("2024-01-01 22:00", tz="UTC"),
        pd.Timestamp("2024-01-02 22:00", tz="UTC"),
        pd.Timestamp("2024-01-03 22:00", tz="UTC"),
    ]
    assert ny_days["open"].tolist() == [1.0, 2.0, 4.0]
    assert ny_days["close"].tolist() == [1.0, 3.0, 4.0]


def test_spread_is_averaged() -> None:
    minutes = frame(
        [("2024-01-02 10:00", 1, 1, 1, 1, 0.0001), ("2024-01-02 10:01", 1, 1, 1, 1, 0.0003)],
        ["open", "high", "low", "close", "spread"],
    )
    assert resample_bars(minutes, "1h")["spread"].tolist() == [pytest.approx(0.0002)]


def test_ticks_to_bars_by_hand() -> None:
    ticks = frame(
        [
            ("2024-01-02 10:00:01", 1.00, 1.02, 3),
            ("2024-01-02 10:00:30", 1.04, 1.06, 1),
            ("2024-01-02 10:00:59", 0.98, 1.00, 2),
            ("2024-01-02 10:02:00", 1.10, 1.12, 4),
        ],
        ["bid", "ask", "volume"],
    )
    bars = ticks_to_bars(ticks, "1m")
    assert bars.index.tolist() == [
        pd.Timestamp("2024-01-02 10:00", tz="UTC"),
        pd.Timestamp("2024-01-02 10:02", tz="UTC"),
    ]
    first = bars.iloc[0]
    assert first[["open", "high", "low", "close"]].tolist() == pytest.approx(
        [1.01, 1.05, 0.99, 0.99]
    )
    assert first["volume"] == 6
    assert first["spread"] == pytest.approx(0.02)
    by_bid = ticks_to_bars(ticks, "1m", price="bid", spread=False)
    assert by_bid.iloc[0][["open", "high", "low", "close"]].tolist() == [1.00, 1.04, 0.98, 0.98]
    assert "spread" not in by_bid.columns


def test_ticks_without_volume_count_ticks() -> None:
    ticks = frame(
        [("2024-01-02 10:00:01", 1.0, 1.1), ("2024-01-02 10:00:02", 1.0, 1.1)], ["bid", "ask"]
    )
    assert ticks_to_bars(ticks, "1m")["volume"].tolist() == [2.0]


def test_refuses_timeframes_that_do_not_fit() -> None:
    minutes = frame(
        [("2024-01-02 10:00", 1, 1, 1, 1), ("2024-01-02 10:07", 1, 1, 1, 1)],
        ["open", "high", "low", "close"],
    )
    with pytest.raises(DataError, match="not a whole multiple of 7m"):
        resample_bars(minutes, "15m")
    with pytest.raises(DataError, match="divide a day"):
        resample_bars(minutes, "1w")
    with pytest.raises(DataError, match="HH:MM"):
        resample_bars(minutes.iloc[:1], "1h", day_start="10pm")


def test_resampled_bars_keep_the_source_attrs_and_resolution() -> None:
    minutes = frame(
        [("2024-01-02 10:00", 1, 2, 1, 2), ("2024-01-02 10:01", 2, 3, 1, 2)],
        ["open", "high", "low", "close"],
    )
    minutes.index = minutes.index.as_unit("us")
    minutes.attrs = {"instrument": "EURUSD", "timeframe": "1m"}
    five = resample_bars(minutes, "5m")
    assert five.attrs["instrument"] == "EURUSD"
    assert five.index.unit == "us"
    assert five.iloc[0].tolist() == [1.0, 3.0, 1.0, 2.0]
