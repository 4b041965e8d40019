"""The synthetic generator: deterministic, labelled, clean, and shaped like its docstring says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketdata import QualityConfig, check_quality, generate_bars, generate_ticks
from marketdata.synthetic import REGIMES


@pytest.fixture(scope="module")
def hourly() -> pd.DataFrame:
    return generate_bars(60_000, seed=11, include_regime=True)


def test_same_seed_same_bars_other_seed_other_bars() -> None:
    first = generate_bars(2_000, seed=3)
    pd.testing.assert_frame_equal(first, generate_bars(2_000, seed=3))
    assert not first["close"].equals(generate_bars(2_000, seed=4)["close"])


def test_labelled_synthetic() -> None:
    bars = generate_bars(10, instrument="GBPUSD", timeframe="5m")
    assert bars.attrs["synthetic"] is True
    assert bars.attrs["instrument"] == "GBPUSD-SYNTHETIC"
    assert bars.attrs["timeframe"] == "5m"
    assert list(bars.columns) == ["open", "high", "low", "close", "volume", "spread"]


@pytest.mark.parametrize(
    ("timeframe", "n"), [("1m", 50_000), ("15m", 20_000), ("4h", 3_000), ("1d", 2_000)]
)
def test_passes_the_quality_checks(timeframe: str, n: int) -> None:
    for seed in range(3):
        report = check_quality(generate_bars(n, seed=seed, timeframe=timeframe))
        assert report.ok, report.issues[:3]
        assert report.warning_count == 0


def test_hourly_passes_checks_and_has_no_weekend_bars(hourly: pd.DataFrame) -> None:
    assert check_quality(hourly).ok
    week_hour = hourly.index.dayofweek * 24 + hourly.index.hour
    assert not ((week_hour >= 4 * 24 + 22) & (week_hour < 6 * 24 + 22)).any()
    assert (hourly.index.dayofweek == 5).sum() == 0  # no Saturday at all
    assert len(hourly) == 60_000


def test_every_regime_occurs_with_its_character(hourly: pd.DataFrame) -> None:
    log_close = np.log(hourly["close"])
    returns = log_close.diff()
    regime = hourly["regime"]
    assert set(regime.unique()) == {0, 1, 2}
    vol = returns.groupby(regime).std()
    volatile, trending, reverting = (
        REGIMES.index(n) for n in ("volatile", "trending", "mean_reverting")
    )
    assert vol[volatile] > 1.5 * max(vol[trending], vol[reverting])
    # Variance ratio over 24 bars inside one regime: > 1 trending, < 1 mean-reverting.
    ratio = {}
    for k in (trending, reverting):
        inside = (regime == k).rolling(25).sum() == 25
        moves = (log_close - log_close.shift(24))[inside]
        ratio[k] = moves.var() / (24 * returns[regime == k].var())
    assert ratio[trending] > 1.05
    assert ratio[reverting] < 0.95


def test_intraday_seasonality(hourly: pd.DataFrame) -> None:
    moves = np.log(hourly["close"]).diff().abs()
    by_hour = moves.groupby(hourly.index.hour).mean()
    assert by_hour.loc[13:15].mean() > 1.5 * by_hour.loc[1:4].mean()  # overlap vs Asia


def test_spread_is_positive_and_wider_at_rollover(hourly: pd.DataFrame) -> None:
    spread = hourly["spread"]
    assert (spread > 0).all()
    by_hour = spread.groupby(hourly.index.hour).mean()
    assert by_hour.loc[21] > 2 * by_hour.loc[14]


def test_weekend_gap_opens_away_from_the_last_close(hourly: pd.DataFrame) -> None:
    after_weekend = np.diff(hourly.index.asi8, prepend=hourly.index.asi8[0]) > 3_600_000_000_000
    jumps = (hourly["open"] / hourly["close"].shift(1))[after_weekend]
    assert (jumps != 1.0).mean() > 0.9
    inside = (hourly["open"] == hourly["close"].shift(1))[~after_weekend].iloc[1:]
    assert inside.all()


def test_ticks_are_ordered_quotes_in_session() -> None:
    ticks = generate_ticks(20_000, seed=2)
    assert ticks.index.is_monotonic_increasing
    assert (ticks["ask"] > ticks["bid"]).all()
    assert ticks.attrs["synthetic"] is True
    week_hour = ticks.index.dayofweek * 24 + ticks.index.hour
    assert not ((week_hour >= 4 * 24 + 22) & (week_hour < 6 * 24 + 22)).any()
    pd.testing.assert_frame_equal(ticks, generate_ticks(20_000, seed=2))


def test_quality_config_is_respected_by_generated_minutes() -> None:
    bars = generate_bars(5_000, timeframe="1m")
    assert check_quality(bars, config=QualityConfig(calendar="fx", gap_bars=0)).warning_count == 0


def test_rejects_nonpositive_length() -> None:
    with pytest.raises(ValueError, match="n must be positive"):
        generate_bars(0)
