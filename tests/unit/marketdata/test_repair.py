"""Repair: what it changes, what it reports, and that its output passes the checks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from marketdata import QualityConfig, check_quality, repair_bars
from tests.fixtures.bars import make_bars


def damaged() -> pd.DataFrame:
    bars = make_bars(400, seed=5)
    bars.iloc[10, bars.columns.get_loc("close")] = np.nan  # row 11
    bars.iloc[20, bars.columns.get_loc("open")] = -1.0  # row 21
    bars.iloc[30, bars.columns.get_loc("high")] = bars.iloc[30]["low"] / 1.001  # row 31
    bars.iloc[200, bars.columns.get_loc("close")] *= 1.08  # row 201: a spike
    duplicate = bars.iloc[[50]].assign(close=bars.iloc[50]["close"] * 1.0001)
    swapped = [bars.iloc[[61]], bars.iloc[[60]]]
    return pd.concat([bars.iloc[:60], *swapped, bars.iloc[62:], duplicate])


def test_repair_output_passes_the_checks() -> None:
    repaired, _ = repair_bars(damaged(), source="d.csv")
    assert check_quality(repaired).ok
    assert repaired.index.is_monotonic_increasing
    assert repaired.index.is_unique


def test_repair_report_lists_each_rule_with_counts_and_original_rows() -> None:
    _, report = repair_bars(damaged(), source="d.csv")
    actions = {action.rule: action for action in report.actions}
    assert report.rows_in == 401
    assert report.rows_out == 397  # one duplicate, one NaN, one negative and one spike dropped
    assert actions["duplicate"].count == 1
    assert actions["duplicate"].first_rows[0][0] == 51  # the first of the two is dropped
    assert actions["non_monotonic"].count == 2  # the swapped pair and the appended duplicate
    assert [row for row, _ in actions["non_finite"].first_rows] == [11]
    assert [row for row, _ in actions["non_positive"].first_rows] == [21]
    assert actions["high_below_low"].count == 1
    assert [row for row, _ in actions["spike"].first_rows] == [201]
    assert report.changed
    assert report.lines()[0] == "d.csv: repaired 401 → 397 rows"


def test_repair_keeps_the_last_duplicate_and_widens_high_low() -> None:
    repaired, _ = repair_bars(damaged())
    original = make_bars(400, seed=5)
    assert repaired.loc[original.index[50], "close"] == original.iloc[50]["close"] * 1.0001
    row = repaired.loc[original.index[30]]
    assert row["high"] >= max(row["open"], row["close"])
    assert row["low"] <= min(row["open"], row["close"])


def test_clean_bars_come_back_unchanged() -> None:
    bars = make_bars(200, seed=9)
    repaired, report = repair_bars(bars, config=QualityConfig(calendar="24x7"))
    pd.testing.assert_frame_equal(repaired, bars)
    assert report.actions == []
    assert not report.changed


def test_gaps_are_reported_and_left_alone() -> None:
    bars = make_bars(200, seed=9).drop(make_bars(200).index[100:110])
    repaired, report = repair_bars(bars, config=QualityConfig(calendar="24x7"))
    assert len(repaired) == 190
    gap = next(action for action in report.actions if action.rule == "gap")
    assert gap.count == 1
    assert gap.first_rows[0][0] == 101
    assert gap.to_dict()["action"] == "left as is (reported only)"
    assert not report.changed


def test_repair_cuts_wick_spikes_back_to_the_body_and_drops_implausible_prices() -> None:
    bars = make_bars(400, seed=5)
    bars.loc[bars.index[100], "high"] = max(bars["open"].iloc[100], bars["close"].iloc[100]) * 2
    bars.loc[bars.index[300], ["open", "high", "low", "close"]] *= 1e15
    repaired, report = repair_bars(bars, source="w.csv", config=QualityConfig(calendar="none"))
    actions = {(a.rule, a.action): a for a in report.actions}
    cut = actions[("wick_spike", "cut the high back to max(open, close)")]
    assert [row for row, _ in cut.first_rows] == [101]
    assert [row for row, _ in actions[("price_range", "dropped")].first_rows] == [301]
    assert repaired.loc[bars.index[100], "high"] == max(
        bars["open"].iloc[100], bars["close"].iloc[100]
    )
    assert check_quality(repaired, config=QualityConfig(calendar="none")).ok
