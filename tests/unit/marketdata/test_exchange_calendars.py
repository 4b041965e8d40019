"""Exchange calendars (exchange-calendars, by MIC) in the gap check and annualisation, on real
2024 NYSE dates: a missing session is a gap; a holiday (MLK day, Good Friday, July 4th) or a
weekend is not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import gauntlet.cli.data_cmd  # noqa: F401  # registers the `data` commands on `app`
from gauntlet.cli.app import app
from marketdata import DataError, QualityConfig, check_quality
from marketdata.calendars import CALENDARS, ExchangeCalendar, get_calendar

DAY = 86_400 * 10**9
# NYSE closures of 2024 up to July, written out by hand (the fixture must not come from the
# library under test).
NYSE_2024_HOLIDAYS = {
    "2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19",
    "2024-07-04",
}  # fmt: skip
MISSING_SESSIONS = ["2024-02-07", "2024-06-03"]  # a Wednesday and a Monday the file lacks


def nyse_daily(missing: list[str]) -> pd.DataFrame:
    days = [
        d for d in pd.bdate_range("2024-01-02", "2024-07-31", tz="UTC")
        if d.strftime("%Y-%m-%d") not in NYSE_2024_HOLIDAYS | set(missing)
    ]  # fmt: skip
    n = len(days)
    return pd.DataFrame(
        {"open": [140.0] * n, "high": [141.5] * n, "low": [139.25] * n, "close": [140.75] * n,
         "volume": [1000.0] * n},
        index=pd.DatetimeIndex(days, name="timestamp"),
    )  # fmt: skip


def gaps(bars: pd.DataFrame, calendar: str, gap_bars: int = 0) -> list[str]:
    config = QualityConfig(calendar=calendar, timeframe="1d", gap_bars=gap_bars)
    report = check_quality(bars, config=config)
    return [issue.detail for issue in report.issues if issue.rule == "gap"]


def test_holidays_and_weekends_are_no_gaps_on_xnys() -> None:
    assert gaps(nyse_daily([]), "XNYS") == []


def test_each_missing_session_is_one_gap_of_one_bar() -> None:
    found = gaps(nyse_daily(MISSING_SESSIONS), "XNYS")
    assert len(found) == 2
    assert all(message.startswith("1 1d bars missing") for message in found)
    assert "after 2024-02-06" in found[0]
    assert "after 2024-05-31" in found[1]  # Friday → Tuesday: the weekend is not counted


def test_the_fx_calendar_mistook_nyse_holidays_for_gaps() -> None:
    # What `data check` reported for equities before it took the instrument's calendar.
    assert len(gaps(nyse_daily([]), "fx")) > 0


def test_intraday_bars_follow_the_session_and_its_early_close() -> None:
    calendar = get_calendar("XNYS")
    # 2024-07-03 closes early, 13:00 New York (17:00 UTC): hourly opens 13:30 to 16:30 only.
    opens = pd.date_range("2024-07-03 13:30", "2024-07-03 16:30", freq="1h", tz="UTC")
    july5 = pd.date_range("2024-07-05 13:30", "2024-07-05 19:30", freq="1h", tz="UTC")
    stamps = opens.append(july5).asi8
    missing = calendar.missing_bars(stamps, 3_600 * 10**9)
    assert missing.tolist() == [0] * (len(stamps) - 1)  # July 4th closed: no gap
    assert calendar.missing_bars(np.delete(stamps, 5), 3_600 * 10**9).max() == 1


def test_bars_per_year_follow_the_calendar() -> None:
    assert get_calendar("XNYS").bars_per_year(DAY) == pytest.approx(252, abs=1)
    assert get_calendar("XNYS").bars_per_year(3_600 * 10**9) == pytest.approx(252 * 7, rel=0.01)
    assert get_calendar("24x7").bars_per_year(3_600 * 10**9) == pytest.approx(8766)


def test_an_unknown_calendar_names_the_exchange_option() -> None:
    assert isinstance(get_calendar("xlon"), ExchangeCalendar)
    with pytest.raises(DataError, match="or an exchange code such as XNYS"):
        get_calendar("XXXX")


def test_data_check_takes_the_instruments_calendar(tmp_path: Path) -> None:
    path = tmp_path / "GOOG.csv"
    nyse_daily(MISSING_SESSIONS).to_csv(path)
    result = CliRunner().invoke(app, ["data", "check", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["calendar"], report["counts"]["gap"]) == ("XNYS", 2)


def hourly_fx(start: str, end: str, closed: list[tuple[str, str]]) -> pd.DataFrame:
    stamps = pd.date_range(start, end, freq="1h", tz="UTC")
    keep = CALENDARS["fx"].is_open(stamps.asi8)
    for first, last in closed:
        keep &= ~(
            (stamps >= pd.Timestamp(first, tz="UTC")) & (stamps < pd.Timestamp(last, tz="UTC"))
        )
    index = stamps[keep]
    n = len(index)
    return pd.DataFrame(
        {"open": [1.1] * n, "high": [1.1] * n, "low": [1.1] * n, "close": [1.1] * n,
         "volume": [1.0] * n},
        index=index,
    )  # fmt: skip


def test_fx_christmas_and_new_year_closures_are_no_gaps() -> None:
    # Christmas 2023 and New Year 2024 fell on Mondays: closed from Sunday 22:00 UTC (17:00
    # New York) to Monday 22:00 UTC, on top of the weekend.
    holidays = [("2023-12-24 22:00", "2023-12-25 22:00"), ("2023-12-31 22:00", "2024-01-01 22:00")]
    bars = hourly_fx("2023-12-18", "2024-01-06", holidays)
    config = QualityConfig(calendar="fx", timeframe="1h", gap_bars=0)
    assert check_quality(bars, config=config).counts["gap"] == 0
    # A closed weekday that is no holiday is still a gap, of its 24 hourly bars.
    bars = hourly_fx(
        "2023-12-18", "2024-01-06", [*holidays, ("2024-01-02 22:00", "2024-01-03 22:00")]
    )
    report = check_quality(bars, config=config)
    assert report.counts["gap"] == 1
    [gap] = [i.detail for i in report.issues if i.rule == "gap"]
    assert gap.startswith("24 1h bars missing")


def test_hourly_fx_bars_per_year_count_the_holidays_out() -> None:
    per_year = get_calendar("fx").bars_per_year(3_600 * 10**9)
    assert per_year < 120 * 365.25 / 7  # fewer than the weekly hours alone (6,261)
    assert per_year == pytest.approx(6_228, abs=2)


def test_hourly_bars_off_the_session_grid_are_no_gaps() -> None:
    # NYSE opens at 14:30 UTC in winter; a vendor stamping its hours 15:00, 16:00, ... is fine.
    calendar = get_calendar("XNYS")
    days = [pd.Timestamp(d, tz="UTC") for d in ("2024-01-12", "2024-01-16")]  # MLK day between
    stamps = np.concatenate([(day + pd.to_timedelta(np.arange(15, 21), "h")).asi8 for day in days])
    hour = 3_600 * 10**9
    assert calendar.missing_bars(stamps, hour).tolist() == [0] * (len(stamps) - 1)
    assert calendar.missing_bars(np.delete(stamps, [2, 3]), hour).max() == 2
