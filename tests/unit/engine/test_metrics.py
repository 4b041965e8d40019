"""research.metrics: each formula on numbers small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from research import metrics as m


def test_periods_per_year_inference() -> None:
    daily = pd.date_range("2024-01-01", periods=30, freq="1D", tz="UTC")
    hourly = pd.date_range("2024-01-01", periods=24 * 5, freq="1h", tz="UTC")
    weekdays = pd.bdate_range("2024-01-01", periods=30, tz="UTC")
    # FX hours: 24 bars a day on weekdays, none on weekends.
    fx = pd.DatetimeIndex(
        [
            t
            for t in pd.date_range("2024-01-01", periods=24 * 14, freq="1h", tz="UTC")
            if t.weekday() < 5
        ]
    )
    assert m.periods_per_year(daily) == 252
    assert m.periods_per_year(weekdays) == 252
    assert m.periods_per_year(hourly) == 252 * 24
    assert m.periods_per_year(fx) == 252 * 24
    assert m.periods_per_year(pd.date_range("2024-01-01", periods=1, tz="UTC")) == 252


def test_periods_per_year_does_not_depend_on_bar_order() -> None:
    """Ordered bars (the convention) take a sort-free path; any order gives the same answer."""
    fx = pd.DatetimeIndex(
        [t for t in pd.date_range("2024-01-01", periods=24 * 9, freq="1h", tz="UTC") if t.hour > 2]
    )
    shuffled = fx[np.random.default_rng(0).permutation(len(fx))]
    assert not shuffled.is_monotonic_increasing
    assert m.periods_per_year(fx) == m.periods_per_year(shuffled) == 252 * 21


def test_return_and_growth() -> None:
    equity = np.array([100.0, 110.0, 99.0, 121.0])
    assert m.total_return(equity) == pytest.approx(0.21)
    np.testing.assert_allclose(m.simple_returns(equity), [0, 0.1, -0.1, 121 / 99 - 1])
    assert m.cagr(equity, 2.0) == pytest.approx(0.1)  # 1.21 over two years
    assert m.cagr(np.array([100.0, -5.0]), 1.0) == -1.0
    assert math.isnan(m.cagr(equity, 0.0))
    index = pd.DatetimeIndex(["2024-01-01", "2025-01-01"], tz="UTC")
    assert m.years_elapsed(index) == pytest.approx(366 / 365.25)


def test_measured_from_the_starting_cash() -> None:
    """ADR 0002 §9: with the starting cash given, the curve is (cash, E_0, ..., E_T)."""
    equity = np.array([99.0, 110.0, 99.0, 121.0])  # bar 0 paid 1 of costs out of 100
    np.testing.assert_allclose(m.simple_returns(equity, 100.0), [-0.01, 11 / 99, -0.1, 22 / 99])
    assert m.total_return(equity, 100.0) == pytest.approx(0.21)
    assert m.cagr(equity, 2.0, 100.0) == pytest.approx(0.1)
    np.testing.assert_allclose(m.drawdown(equity, 100.0), [-0.01, 0.0, -0.1, 0.0])
    assert m.max_drawdown(equity, 100.0) == pytest.approx(-0.1)
    # The running peak starts at the cash: a curve that never gets back to it is under water.
    assert m.max_drawdown(np.array([98.0, 99.0]), 100.0) == pytest.approx(-0.02)
    assert m.max_drawdown(np.array([98.0, 99.0])) == pytest.approx(0.0)  # from E_0: hidden
    assert m.max_drawdown(np.array([100.0, 101.0]), 100.0) == 0.0
    # Without a start (a curve whose capital is unknown) E_0 is the start and r_0 = 0.
    assert m.simple_returns(equity)[0] == 0.0
    assert m.total_return(equity) == pytest.approx(121 / 99 - 1)


def test_risk_ratios() -> None:
    r = np.array([0.0, 0.01, -0.02, 0.03])
    std = np.std(r, ddof=1)
    assert m.volatility(r, 252) == pytest.approx(std * math.sqrt(252))
    assert m.sharpe(r, 252) == pytest.approx(0.005 / std * math.sqrt(252))
    downside = math.sqrt(0.0004 / 4)  # only -0.02 is below zero, averaged over all 4 returns
    assert m.sortino(r, 252) == pytest.approx(0.005 / downside * math.sqrt(252))
    assert m.sortino(np.array([0.0, 0.01, 0.02]), 252) == math.inf
    assert math.isnan(m.sharpe(np.zeros(5), 252))
    assert math.isnan(m.volatility(np.array([0.1]), 252))


def test_drawdown_and_calmar() -> None:
    equity = np.array([100.0, 120.0, 90.0, 130.0, 117.0])
    assert m.max_drawdown(equity) == pytest.approx(-0.25)
    assert m.max_drawdown(np.array([1.0, 2.0, 3.0])) == 0.0
    assert m.calmar(0.5, -0.25) == pytest.approx(2.0)
    assert math.isnan(m.calmar(0.5, 0.0))


def test_trade_statistics() -> None:
    pnl = np.array([10.0, -5.0, 20.0, -15.0, 0.0])
    assert m.win_rate(pnl) == pytest.approx(0.4)
    assert m.profit_factor(pnl) == pytest.approx(30 / 20)
    assert m.expectancy(pnl) == pytest.approx(2.0)
    assert m.profit_factor(np.array([1.0])) == math.inf
    empty = np.array([])
    assert math.isnan(m.win_rate(empty))
    assert math.isnan(m.profit_factor(empty))
    assert math.isnan(m.expectancy(empty))


def test_exposure_and_turnover() -> None:
    position = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, -2.0], [0.0, 0.0]])
    assert m.exposure(position) == 0.5
    equity = np.array([100.0, 100.0, 100.0, 100.0])
    assert m.turnover(400.0, equity, 2.0) == pytest.approx(2.0)
    assert math.isnan(m.turnover(400.0, equity, 0.0))
