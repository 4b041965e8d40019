"""research.metrics agrees with empyrical-reloaded and quantstats to 1e-9 on the same returns.

Like is compared with like; where a reference defines a metric differently, the test states
the difference and passes the parameter that makes the two the same formula:
- CAGR: ours uses calendar time (elapsed / 365.25 days); empyrical's `annual_return` and
  quantstats' `cagr` use bar counts (len(returns) / annualization). Passing
  annualization = len(returns) / years makes their year count equal ours.
- Calmar: CAGR / |max drawdown| in all three, so the same annualization applies.
- Max drawdown: empyrical and quantstats start the wealth curve at 1 before the first return;
  our equity curve starts at E_0 and r_0 = 0, so the curves coincide.
- Sharpe/Sortino: risk-free rate 0, ddof=1, √ppy; quantstats' `smart` penalty is off.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import empyrical
import numpy as np
import pandas as pd
import pytest

from research import backtest
from research import metrics as m
from strategies import SmaCross
from tests.fixtures.bars import make_bars

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # quantstats imports deprecated pandas/matplotlib names
    import quantstats.stats

# quantstats' annotations say `periods: int`; it computes with any number, and the CAGR
# comparison needs a fractional one.
qs: Any = quantstats.stats

TOL: dict[str, Any] = {"rel": 1e-9, "abs": 1e-12}


def _synthetic_equity(seed: int, n: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0004, 0.012, n)
    r[0] = 0.0  # ADR 0002 §9: the first bar's return is 0
    index = pd.date_range("2020-01-01", periods=n, freq="1D", tz="UTC")
    return pd.Series(100_000 * np.cumprod(1 + r), index=index)


def _backtest_equity() -> pd.Series:
    result = backtest(SmaCross(fast=10, slow=30), make_bars(3_000, seed=11), commission=1e-4)
    return result.equity


CASES = {
    "daily-random": lambda: _synthetic_equity(1, 1_000),
    "daily-losing": lambda: _synthetic_equity(4, 600) * np.linspace(1, 0.5, 600),
    "hourly-backtest": _backtest_equity,
}


@pytest.fixture(params=list(CASES), scope="module")
def curve(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray, pd.Series, float, float]:
    equity = CASES[request.param]()
    eq = equity.to_numpy()
    returns = m.simple_returns(eq)
    ppy = m.periods_per_year(pd.DatetimeIndex(equity.index))
    years = m.years_elapsed(pd.DatetimeIndex(equity.index))
    return eq, returns, pd.Series(returns, index=equity.index), ppy, years


def test_against_empyrical(curve: tuple[np.ndarray, np.ndarray, pd.Series, float, float]) -> None:
    eq, r, series, ppy, years = curve
    calendar = len(r) / years  # annualization making empyrical's years = calendar years
    assert m.sharpe(r, ppy) == pytest.approx(empyrical.sharpe_ratio(r, annualization=ppy), **TOL)
    assert m.sortino(r, ppy) == pytest.approx(empyrical.sortino_ratio(r, annualization=ppy), **TOL)
    assert m.volatility(r, ppy) == pytest.approx(
        empyrical.annual_volatility(r, annualization=ppy), **TOL
    )
    assert m.max_drawdown(eq) == pytest.approx(empyrical.max_drawdown(r), **TOL)
    assert m.cagr(eq, years) == pytest.approx(empyrical.cagr(r, annualization=calendar), **TOL)
    ours_calmar = m.calmar(m.cagr(eq, years), m.max_drawdown(eq))
    assert ours_calmar == pytest.approx(empyrical.calmar_ratio(r, annualization=calendar), **TOL)
    assert m.total_return(eq) == pytest.approx(empyrical.cum_returns_final(series), **TOL)


def test_against_quantstats(curve: tuple[np.ndarray, np.ndarray, pd.Series, float, float]) -> None:
    eq, r, series, ppy, years = curve
    calendar = len(r) / years
    naive = series.tz_localize(None)  # quantstats works on naive timestamps
    assert m.sharpe(r, ppy) == pytest.approx(qs.sharpe(naive, periods=ppy), **TOL)
    assert m.sortino(r, ppy) == pytest.approx(qs.sortino(naive, periods=ppy), **TOL)
    assert m.volatility(r, ppy) == pytest.approx(qs.volatility(naive, periods=ppy), **TOL)
    assert m.max_drawdown(eq) == pytest.approx(qs.max_drawdown(naive), **TOL)
    assert m.cagr(eq, years) == pytest.approx(qs.cagr(naive, periods=calendar), **TOL)
    ours_calmar = m.calmar(m.cagr(eq, years), m.max_drawdown(eq))
    assert ours_calmar == pytest.approx(qs.calmar(naive, periods=calendar), **TOL)


def test_engine_metrics_are_these_formulas() -> None:
    """The Metrics of a backtest are the functions above applied to its equity curve."""
    result = backtest(SmaCross(fast=10, slow=30), make_bars(2_000, seed=3), spread=1e-4)
    eq, index = result.equity.to_numpy(), pd.DatetimeIndex(result.equity.index)
    ppy = m.periods_per_year(index)
    r = result.returns.to_numpy()
    assert result.metrics.sharpe == pytest.approx(
        empyrical.sharpe_ratio(r, annualization=ppy), **TOL
    )
    assert result.metrics.max_drawdown == pytest.approx(empyrical.max_drawdown(r), **TOL)
    assert result.metrics.cagr == pytest.approx(m.cagr(eq, m.years_elapsed(index)), **TOL)
    assert not math.isnan(result.metrics.sortino)
