"""research.metrics agrees with empyrical-reloaded and quantstats to 1e-9 on the same returns.

Like is compared with like; where a reference defines a metric differently, the test states
the difference and passes the parameter that makes the two the same formula:
- CAGR: ours uses calendar time (elapsed / 365.25 days); empyrical's `annual_return` and
  quantstats' `cagr` use bar counts (len(returns) / annualization). Passing
  annualization = len(returns) / years makes their year count equal ours.
- Calmar: CAGR / |max drawdown| in all three, so the same annualization applies.
- Max drawdown: empyrical and quantstats start the wealth curve at 1 before the first return;
  ours starts at the starting cash before bar 0, and r_0 = E_0 / cash - 1 (ADR 0002 §9), so
  the curves coincide. Both sides get the same series: our functions the equity curve and its
  starting cash, the references the returns series that curve implies (r_0 included).
- Total return and CAGR: likewise from the starting cash, i.e. from prod(1 + r).
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

from research import BacktestResult, backtest
from research import metrics as m
from research.engine.config import BacktestConfig, Costs, FillAt
from strategies import SmaCross
from tests.fixtures.bars import make_bars
from tests.unit.engine.fixed import FixedTarget

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # quantstats imports deprecated pandas/matplotlib names
    import quantstats.stats

# quantstats' annotations say `periods: int`; it computes with any number, and the CAGR
# comparison needs a fractional one.
qs: Any = quantstats.stats

TOL: dict[str, Any] = {"rel": 1e-9, "abs": 1e-12}


CASH = 100_000.0


def _synthetic_equity(seed: int, n: int) -> pd.Series:
    """Equity from CASH; r[0] != 0 stands for bar-0 costs (a close fill on the first bar)."""
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0004, 0.012, n)
    index = pd.date_range("2020-01-01", periods=n, freq="1D", tz="UTC")
    return pd.Series(CASH * np.cumprod(1 + r), index=index)


def _bar0_close_fill(bars: pd.DataFrame) -> BacktestResult:
    """SMA 10/30 with its warm-up replaced by a long target, filled at the close with costs:
    bar 0 trades and pays, so E_0 < cash and r_0 < 0."""
    target = SmaCross(fast=10, slow=30).target(bars).fillna(1.0)
    strategy = FixedTarget(values=tuple(target.to_numpy(dtype=float)))
    config = BacktestConfig(fill=FillAt.CLOSE, costs=Costs(commission=1e-4, spread=1e-4))
    return backtest(strategy, bars, config)


def _backtest_equity() -> tuple[pd.Series, float]:
    result = backtest(SmaCross(fast=10, slow=30), make_bars(3_000, seed=11), commission=1e-4)
    return result.equity, result.config.cash


def _bar0_backtest_equity() -> tuple[pd.Series, float]:
    result = _bar0_close_fill(make_bars(3_000, seed=11))
    assert result.equity.iloc[0] < result.config.cash
    return result.equity, result.config.cash


CASES = {
    "daily-random": lambda: (_synthetic_equity(1, 1_000), CASH),
    "daily-losing": lambda: (_synthetic_equity(4, 600) * np.linspace(1, 0.5, 600), CASH),
    "hourly-backtest": _backtest_equity,
    "hourly-backtest-bar0-costs": _bar0_backtest_equity,
}

Curve = tuple[np.ndarray, float, np.ndarray, pd.Series, float, float]


@pytest.fixture(params=list(CASES), scope="module")
def curve(request: pytest.FixtureRequest) -> Curve:
    """(equity, starting cash, returns measured from the cash, as a series, ppy, years)."""
    equity, cash = CASES[request.param]()
    eq = equity.to_numpy()
    returns = m.simple_returns(eq, cash)
    ppy = m.periods_per_year(pd.DatetimeIndex(equity.index))
    years = m.years_elapsed(pd.DatetimeIndex(equity.index))
    return eq, cash, returns, pd.Series(returns, index=equity.index), ppy, years


def test_against_empyrical(curve: Curve) -> None:
    eq, cash, r, series, ppy, years = curve
    calendar = len(r) / years  # annualization making empyrical's years = calendar years
    assert m.sharpe(r, ppy) == pytest.approx(empyrical.sharpe_ratio(r, annualization=ppy), **TOL)
    assert m.sortino(r, ppy) == pytest.approx(empyrical.sortino_ratio(r, annualization=ppy), **TOL)
    assert m.volatility(r, ppy) == pytest.approx(
        empyrical.annual_volatility(r, annualization=ppy), **TOL
    )
    dd = m.max_drawdown(eq, cash)
    assert dd == pytest.approx(empyrical.max_drawdown(r), **TOL)
    growth = m.cagr(eq, years, cash)
    assert growth == pytest.approx(empyrical.cagr(r, annualization=calendar), **TOL)
    ours_calmar = m.calmar(growth, dd)
    assert ours_calmar == pytest.approx(empyrical.calmar_ratio(r, annualization=calendar), **TOL)
    assert m.total_return(eq, cash) == pytest.approx(empyrical.cum_returns_final(series), **TOL)


def test_against_quantstats(curve: Curve) -> None:
    eq, cash, r, series, ppy, years = curve
    calendar = len(r) / years
    naive = series.tz_localize(None)  # quantstats works on naive timestamps
    assert m.sharpe(r, ppy) == pytest.approx(qs.sharpe(naive, periods=ppy), **TOL)
    assert m.sortino(r, ppy) == pytest.approx(qs.sortino(naive, periods=ppy), **TOL)
    assert m.volatility(r, ppy) == pytest.approx(qs.volatility(naive, periods=ppy), **TOL)
    assert m.max_drawdown(eq, cash) == pytest.approx(qs.max_drawdown(naive), **TOL)
    assert m.cagr(eq, years, cash) == pytest.approx(qs.cagr(naive, periods=calendar), **TOL)
    ours_calmar = m.calmar(m.cagr(eq, years, cash), m.max_drawdown(eq, cash))
    assert ours_calmar == pytest.approx(qs.calmar(naive, periods=calendar), **TOL)


@pytest.mark.parametrize("bar0_costs", [False, True])
def test_engine_metrics_are_these_formulas(bar0_costs: bool) -> None:
    """The Metrics of a backtest are the functions above applied to its equity curve and
    its starting cash; `result.returns` is the series the references are given."""
    bars = make_bars(2_000, seed=3)
    if bar0_costs:
        result = _bar0_close_fill(bars)
    else:
        result = backtest(SmaCross(fast=10, slow=30), bars, spread=1e-4)
    eq, index = result.equity.to_numpy(), pd.DatetimeIndex(result.equity.index)
    cash = result.config.cash
    ppy = m.periods_per_year(index)
    r = result.returns.to_numpy()
    np.testing.assert_array_equal(r, m.simple_returns(eq, cash))
    assert (r[0] < 0) == bar0_costs
    assert result.metrics.sharpe == pytest.approx(
        empyrical.sharpe_ratio(r, annualization=ppy), **TOL
    )
    assert result.metrics.max_drawdown == pytest.approx(empyrical.max_drawdown(r), **TOL)
    assert result.metrics.total_return == pytest.approx(empyrical.cum_returns_final(r), **TOL)
    assert result.metrics.cagr == pytest.approx(m.cagr(eq, m.years_elapsed(index), cash), **TOL)
    assert not math.isnan(result.metrics.sortino)
