"""Timeframe spellings and session calendars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketdata import DataError, parse_timeframe
from marketdata.calendars import get_calendar
from marketdata.timeframes import infer_timeframe


@pytest.mark.parametrize(
    ("text", "label"),
    [("1m", "1m"), ("M1", "1m"), ("5min", "5m"), ("60m", "1h"), ("H1", "1h"), ("4h", "4h"),
     ("D1", "1d"), ("1 day", "1d"), ("24h", "1d"), ("W1", "1w"), ("30s", "30s")],
)  # fmt: skip
def test_timeframe_spellings(text: str, label: str) -> None:
    assert parse_timeframe(text).label == label


@pytest.mark.parametrize("text", ["", "h", "0m", "1 fortnight", "MN1"])
def test_bad_timeframes(text: str) -> None:
    with pytest.raises(DataError, match="is not understood"):
        parse_timeframe(text)


def test_infer_timeframe_uses_the_most_common_spacing() -> None:
    index = pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 00:05", "2024-01-01 00:10",
                              "2024-01-01 01:00", "2024-01-01 01:05"], tz="UTC")  # fmt: skip
    found = infer_timeframe(index)
    assert found is not None
    assert found.label == "5m"
    assert infer_timeframe(index[:1]) is None


def stamps(*texts: str) -> np.ndarray:
    return pd.DatetimeIndex(list(texts), tz="UTC").asi8


def test_fx_calendar_opening_hours() -> None:
    fx = get_calendar("fx")
    is_open = fx.is_open(stamps("2024-01-05 21:59", "2024-01-05 22:00", "2024-01-07 21:59",
                                "2024-01-07 22:00", "2024-01-03 12:00"))  # fmt: skip
    assert is_open.tolist() == [True, False, False, True, True]


def test_fx_open_elapsed_skips_the_weekend_with_dst_slack() -> None:
    fx = get_calendar("fx")
    friday_21, sunday_22, monday_00 = fx.open_elapsed(
        stamps("2024-01-05 21:00", "2024-01-07 22:00", "2024-01-08 00:00")
    )
    assert sunday_22 - friday_21 == 0
    assert monday_00 - sunday_22 == 2 * 3_600_000_000_000
    always = get_calendar("24x7")
    assert always.open_elapsed(stamps("2024-01-06 00:00"))[0] == stamps("2024-01-06 00:00")[0]


def test_unknown_calendar() -> None:
    with pytest.raises(DataError, match="unknown calendar 'nyse'; choose one of fx, 24x7, none"):
        get_calendar("nyse")
