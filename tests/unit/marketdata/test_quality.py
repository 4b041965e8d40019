"""Each quality rule, positive and negative, on small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketdata import DataError, QualityConfig, check_quality
from tests.fixtures.bars import make_bars


def rows_of(bars: pd.DataFrame, rule: str, **config: object) -> list[int]:
    report = check_quality(bars, source="t.csv", config=QualityConfig(**config))  # type: ignore[arg-type]
    return [issue.row for issue in report.issues if issue.rule == rule]


@pytest.fixture
def clean() -> pd.DataFrame:
    return make_bars(300, seed=3)


def test_clean_bars_have_no_issue(clean: pd.DataFrame) -> None:
    report = check_quality(clean, config=QualityConfig(calendar="24x7"))
    assert report.ok
    assert report.issues == []
    assert report.timeframe == "1h"
    assert sum(report.counts.values()) == 0


def test_duplicate_timestamp(clean: pd.DataFrame) -> None:
    bars = pd.concat([clean.iloc[:10], clean.iloc[[4]], clean.iloc[10:]])
    report = check_quality(bars)
    duplicates = [i for i in report.issues if i.rule == "duplicate"]
    assert [(i.row, i.detail) for i in duplicates] == [(11, "same timestamp as row 5")]
    assert [i.row for i in report.issues if i.rule == "non_monotonic"] == [11]


def test_non_monotonic_timestamp(clean: pd.DataFrame) -> None:
    order = list(range(300))
    order[20], order[21] = 21, 20
    assert rows_of(clean.iloc[order], "non_monotonic") == [22]
    assert rows_of(clean, "non_monotonic") == []


@pytest.mark.parametrize("column", ["open", "high", "low", "close", "volume"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_values(clean: pd.DataFrame, column: str, value: float) -> None:
    bars = clean.copy()
    bars.iloc[7, bars.columns.get_loc(column)] = value
    report = check_quality(bars)
    issue = next(i for i in report.issues if i.rule == "non_finite")
    assert issue.row == 8
    assert issue.detail == f"{column}={value:g}"
    assert report.counts["non_finite"] == 1


@pytest.mark.parametrize("value", [0.0, -1.0])
def test_zero_or_negative_price(clean: pd.DataFrame, value: float) -> None:
    bars = clean.copy()
    bars.iloc[9, bars.columns.get_loc("low")] = value
    assert rows_of(bars, "non_positive") == [10]
    assert rows_of(clean, "non_positive") == []


def test_negative_volume(clean: pd.DataFrame) -> None:
    bars = clean.copy()
    bars.iloc[3, bars.columns.get_loc("volume")] = -5
    assert rows_of(bars, "negative_volume") == [4]


def test_high_below_body(clean: pd.DataFrame) -> None:
    bars = clean.copy()
    row = bars.iloc[12]
    bars.iloc[12, bars.columns.get_loc("high")] = max(row["open"], row["close"]) - 1e-6
    assert rows_of(bars, "high_below_body") == [13]
    assert rows_of(bars, "low_above_body") == []


def test_low_above_body(clean: pd.DataFrame) -> None:
    bars = clean.copy()
    row = bars.iloc[30]
    bars.iloc[30, bars.columns.get_loc("low")] = min(row["open"], row["close"]) + 1e-6
    assert rows_of(bars, "low_above_body") == [31]
    assert rows_of(bars, "high_below_low") == []


def test_high_below_low(clean: pd.DataFrame) -> None:
    bars = clean.copy()
    high, low = bars.iloc[40]["high"], bars.iloc[40]["low"]
    bars.iloc[40, bars.columns.get_loc("high")] = low
    bars.iloc[40, bars.columns.get_loc("low")] = high
    assert rows_of(bars, "high_below_low") == [41]


def test_bars_touching_their_range_are_fine() -> None:
    index = pd.date_range("2024-01-01", periods=3, freq="1h", tz="UTC")
    bars = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0}, index=index)
    assert check_quality(bars).ok


def weekday_bars(start: str, periods: int, freq: str = "1h") -> pd.DataFrame:
    index = pd.date_range(start, periods=periods, freq=freq, tz="UTC")
    bars = make_bars(periods, seed=1, freq=freq, start=start)
    bars.index = index
    return bars


def test_fx_weekend_is_not_a_gap() -> None:
    bars = weekday_bars("2024-01-01", 24 * 14)
    fx = fx_session(bars)
    assert rows_of(fx, "gap") == []
    assert rows_of(fx, "gap", calendar="24x7") == [119, 239]  # each Fri 22:00 → Sun 22:00 is 48 h


def fx_session(bars: pd.DataFrame) -> pd.DataFrame:
    """Keep only bars inside the FX week (Friday 22:00 → Sunday 22:00 UTC closed)."""
    hours = (bars.index.dayofweek * 24 + bars.index.hour).to_numpy()
    closed = (hours >= 4 * 24 + 22) & (hours < 6 * 24 + 22)
    return bars[~closed]


def test_summer_fx_weekend_starting_an_hour_early_is_not_a_gap() -> None:
    bars = fx_session(weekday_bars("2024-07-01", 24 * 7))
    summer = bars.drop(pd.Timestamp("2024-07-05 21:00", tz="UTC"))  # NY closes 21:00 UTC in DST
    assert rows_of(summer, "gap") == []


def test_gap_inside_the_session() -> None:
    bars = fx_session(weekday_bars("2024-01-01", 24 * 7))
    holed = bars.drop(bars.index[50:55])
    report = check_quality(holed, source="t.csv")
    gaps = [i for i in report.issues if i.rule == "gap"]
    assert [(i.row, i.detail) for i in gaps] == [
        (51, "5 1h bars missing after 2024-01-03 01:00:00+00:00")
    ]
    assert report.ok  # a gap is a warning, never an error
    assert gaps[0].severity == "warning"


def test_gap_tolerance_and_disabled_calendar() -> None:
    bars = fx_session(weekday_bars("2024-01-01", 24 * 7))
    one_missing = bars.drop(bars.index[50])
    assert rows_of(one_missing, "gap") == []  # gap_bars=1: one missing bar is tolerated
    assert rows_of(one_missing, "gap", gap_bars=0) == [51]
    assert rows_of(bars.drop(bars.index[50:60]), "gap", calendar="none") == []


def test_gap_uses_the_given_timeframe() -> None:
    bars = fx_session(weekday_bars("2024-01-01", 24 * 7))
    assert len(rows_of(bars, "gap", timeframe="15m")) > 0  # every hour misses three 15m bars


def test_spike_that_reverts_is_flagged(clean: pd.DataFrame) -> None:
    bars = clean.copy()
    bars.iloc[100, bars.columns.get_loc("close")] *= 1.05
    bars.iloc[100, bars.columns.get_loc("high")] = bars.iloc[100]["close"]
    report = check_quality(bars)
    spikes = [i for i in report.issues if i.rule == "spike"]
    assert [i.row for i in spikes] == [101]
    assert "robust sigmas, then reverts" in spikes[0].detail


def test_a_big_move_that_stays_is_not_a_spike(clean: pd.DataFrame) -> None:
    bars = clean.copy()
    bars.iloc[100:, :4] *= 1.05  # a level shift: a real move, not a bad tick
    assert rows_of(bars, "spike") == []


def test_spike_threshold_is_configurable(clean: pd.DataFrame) -> None:
    bars = clean.copy()
    bars.iloc[100, bars.columns.get_loc("close")] *= 1.012
    bars.iloc[100, bars.columns.get_loc("high")] = bars.iloc[100]["close"]
    assert rows_of(bars, "spike", spike_k=5.0) == [101]
    assert rows_of(bars, "spike", spike_k=50.0) == []


def test_flat_prices_do_not_divide_by_zero() -> None:
    index = pd.date_range("2024-01-01", periods=50, freq="1h", tz="UTC")
    bars = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0}, index=index)
    assert check_quality(bars).ok


def test_report_error_names_source_row_rule_and_counts_the_rest(clean: pd.DataFrame) -> None:
    bars = clean.copy()
    bars.iloc[[5, 8], bars.columns.get_loc("close")] = np.nan
    report = check_quality(bars, source="data/x.csv")
    assert not report.ok
    assert report.error_count == 2
    message = str(report.error())
    assert message == (
        "data/x.csv: row 6 (2024-01-01 05:00:00+00:00): NaN or inf value (close=nan) "
        "[+1 more error]"
    )
    with pytest.raises(DataError):
        report.raise_for_errors()


def test_report_to_dict_and_issue_cap(clean: pd.DataFrame) -> None:
    bars = clean.copy()
    bars.iloc[:50, bars.columns.get_loc("volume")] = -1.0
    report = check_quality(bars, config=QualityConfig(max_issues_per_rule=3))
    payload = report.to_dict()
    assert payload["counts"]["negative_volume"] == 50  # counts stay exact
    assert [issue["row"] for issue in payload["issues"]] == [1, 2, 3]
    assert payload["issues"][0] == {
        "rule": "negative_volume",
        "severity": "error",
        "row": 1,
        "timestamp": "2024-01-01 00:00:00+00:00",
        "detail": "volume=-1",
    }


def test_frames_without_required_columns_are_refused(clean: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="missing columns: close"):
        check_quality(clean.drop(columns="close"))


def test_a_wick_far_beyond_the_body_is_a_wick_spike(clean: pd.DataFrame) -> None:
    bars = clean.copy()
    body_top = max(bars["open"].iloc[99], bars["close"].iloc[99])
    bars.loc[bars.index[99], "high"] = body_top * 1.5  # row 100
    bars.loc[bars.index[199], "low"] = min(bars["open"].iloc[199], bars["close"].iloc[199]) / 1.5
    report = check_quality(bars, config=QualityConfig(calendar="none"))
    wicks = [issue for issue in report.issues if issue.rule == "wick_spike"]
    assert [issue.row for issue in wicks] == [100, 200]
    assert wicks[0].detail.startswith(f"high={body_top * 1.5:g} is ")
    assert wicks[1].detail.startswith("low=")
    assert rows_of(bars, "wick_spike", spike_k=1e6) == []


def test_wicks_like_everyone_elses_are_not_spikes(clean: pd.DataFrame) -> None:
    assert rows_of(clean, "wick_spike", spike_k=5.0) == []


def test_prices_outside_the_plausible_range_are_errors(clean: pd.DataFrame) -> None:
    bars = clean.copy()
    bars.loc[bars.index[4], ["open", "high", "low", "close"]] *= 1e15  # row 5
    bars.loc[bars.index[9], "low"] = 1e-13  # row 10
    assert rows_of(bars, "price_range") == [5, 10]
    assert rows_of(bars, "non_positive") == []


@pytest.mark.parametrize(
    "config", [{"spike_k": 0.0}, {"spike_k": -1.0}, {"spike_k": float("nan")}, {"gap_bars": -1}]
)
def test_thresholds_that_flag_everything_are_refused(config: dict[str, float]) -> None:
    with pytest.raises(DataError, match="must be"):
        QualityConfig(**config)  # type: ignore[arg-type]
