"""Performance metrics: pure functions over numpy arrays, one formula each.

Notation: C is the starting cash (the capital before bar 0), E_0..E_T the equity at each bar
close (T+1 bars), r_t the simple bar returns measured from C (ADR 0002 §9):
r_0 = E_0 / C - 1 (0 unless bar 0 traded: a bar-0 close fill's costs land here),
r_t = E_t / E_{t-1} - 1 (T+1 returns); W = (C, E_0, ..., E_T) is the wealth curve. ppy is
the periods per year and `years` the calendar time spanned by the bars:
(time_T - time_0) / 365.25 days.

| metric | formula | annualization |
|---|---|---|
| total_return | E_T / C - 1 | none |
| cagr | (E_T / C) ** (1 / years) - 1; -1 if E_T <= 0 | calendar time (365.25-day years) |
| volatility | std(r, ddof=1) · √ppy | √ppy |
| sharpe | mean(r) / std(r, ddof=1) · √ppy (risk-free rate 0) | √ppy |
| sortino | mean(r) · ppy / (√mean(min(r, 0)²) · √ppy) (empyrical's downside deviation) | √ppy |
| max_drawdown | min_t (E_t / max(C, max_{s≤t} E_s) - 1): W's deepest fall, ≤ 0 | none |
| calmar | cagr / abs(max_drawdown); NaN when max_drawdown = 0 | via cagr |
| win_rate | #(closed trades with pnl > 0) / #closed trades | none |
| profit_factor | Σ positive closed pnl / abs(Σ negative closed pnl); inf if no loss | none |
| expectancy | mean pnl of closed trades (account currency) | none |
| exposure | fraction of bars whose close position is non-zero (any instrument) | none |
| turnover | Σ abs(traded notional) / mean(E) / years | per calendar year |
| trades | number of trades, closed and still open (vectorbt's "Total Trades") | none |
| margin_calls | bars whose margin level was below margin_call (ADR 0002 §12) | none |
| stop_outs | stop-out liquidations executed (ADR 0002 §12) | none |

The curve-based functions take the starting cash as `start`. Without it (None) they measure
from E_0 (r_0 = 0): only for a curve whose starting capital is unknown, e.g. a paper record.

Undefined values are NaN (fewer than two returns, zero dispersion, no closed trade, zero
elapsed time); `sortino` is +inf when returns are never negative and their mean is positive,
like empyrical. The sweep kernel re-implements these formulas in numba and must match
them to 1e-9, so each function is the plain formula above and nothing more.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict

FloatArray = npt.NDArray[np.float64]

DAYS_PER_YEAR = 365.25
TRADING_DAYS_PER_YEAR = 252.0
_NS_PER_DAY = 86_400 * 10**9


class Metrics(BaseModel):
    """The metrics of one backtest; each field is the formula of the same name above."""

    model_config = ConfigDict(frozen=True)

    trades: int
    final_equity: float
    total_return: float
    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    calmar: float
    win_rate: float
    profit_factor: float
    expectancy: float
    exposure: float
    turnover: float
    periods_per_year: float
    margin_calls: int = 0
    stop_outs: int = 0


def periods_per_year(index: pd.DatetimeIndex, calendar: str | None = None) -> float:
    """Bars per year inferred from the index (ADR 0002 §11).

    With `calendar` (the traded instrument's, see `calendar_of`): that calendar's sessions
    per year × bars per session for the index's bar length (XNYS daily ≈ 252.5, hourly FX
    ≈ 6,228 with its holidays). Without: median bar spacing of at least one day → 252 (daily
    bars and coarser are counted in trading days); otherwise 252 × the median number of bars
    per UTC calendar day that has bars (e.g. 24 for hourly bars traded around the clock).
    """
    if len(index) < 2:
        return TRADING_DAYS_PER_YEAR
    if calendar is not None:
        from marketdata.calendars import get_calendar
        from marketdata.timeframes import infer_timeframe

        sessions = get_calendar(calendar)
        bar = infer_timeframe(index)
        if bar is not None and sessions.checks_gaps:  # "none" has no sessions to count
            return sessions.bars_per_year(bar.nanos)
    ns = index.asi8
    if float(np.median(np.diff(ns))) >= _NS_PER_DAY:
        return TRADING_DAYS_PER_YEAR
    return TRADING_DAYS_PER_YEAR * float(
        np.median(_bars_per_day(ns, index.is_monotonic_increasing))
    )


def calendar_of(bars: pd.DataFrame) -> str | None:
    """The calendar of the instrument the bars are traded as (its definition in their attrs,
    marketdata.instruments.DEFINITION_ATTR); None when no definition came with them."""
    from marketdata.instruments import DEFINITION_ATTR

    definition = bars.attrs.get(DEFINITION_ATTR) or {}
    calendar = definition.get("calendar") if isinstance(definition, dict) else None
    return str(calendar) if calendar else None


def _bars_per_day(ns: npt.NDArray[np.int64], ordered: bool) -> npt.NDArray[np.intp]:
    """Bars in each UTC calendar day that has bars. Bars are ordered (the convention), so the
    days are runs and need no sort (np.unique's sort was most of this function's time)."""
    days = ns // _NS_PER_DAY
    if not ordered:
        return np.unique(days, return_counts=True)[1]
    starts = np.flatnonzero(np.concatenate(([True], days[1:] != days[:-1], [True])))
    return np.diff(starts)


def years_elapsed(index: pd.DatetimeIndex) -> float:
    """Calendar years between the first and the last bar (365.25-day years)."""
    if len(index) < 2:
        return 0.0
    return float(index.asi8[-1] - index.asi8[0]) / _NS_PER_DAY / DAYS_PER_YEAR


def wealth(equity: FloatArray, start: float | None = None) -> FloatArray:
    """W = (start, E_0, ..., E_T): the curve every metric is measured on (just E if None)."""
    if start is None:
        return equity
    return np.concatenate(([float(start)], equity))


def simple_returns(equity: FloatArray, start: float | None = None) -> FloatArray:
    """r_0 = E_0 / start - 1 (0 when start is None), r_t = E_t / E_{t-1} - 1."""
    if start is None:
        out = np.zeros(len(equity))
        out[1:] = equity[1:] / equity[:-1] - 1.0
        return out
    w = wealth(equity, start)
    return w[1:] / w[:-1] - 1.0


def total_return(equity: FloatArray, start: float | None = None) -> float:
    """E_T / start - 1 (start defaults to E_0)."""
    return float(equity[-1] / wealth(equity, start)[0] - 1.0)


def cagr(equity: FloatArray, years: float, start: float | None = None) -> float:
    """(E_T / start) ** (1 / years) - 1; -1 once equity is wiped out; NaN for zero time."""
    if years <= 0:
        return math.nan
    growth = equity[-1] / wealth(equity, start)[0]
    if growth <= 0:
        return -1.0
    return float(growth ** (1.0 / years) - 1.0)


def volatility(returns: FloatArray, ppy: float) -> float:
    """std(r, ddof=1) · √ppy."""
    if len(returns) < 2:
        return math.nan
    return float(np.std(returns, ddof=1) * math.sqrt(ppy))


def sharpe(returns: FloatArray, ppy: float) -> float:
    """mean(r) / std(r, ddof=1) · √ppy with a zero risk-free rate; NaN if std is 0."""
    if len(returns) < 2:
        return math.nan
    std = float(np.std(returns, ddof=1))
    if std == 0:
        return math.nan
    return float(np.mean(returns)) / std * math.sqrt(ppy)


def sortino(returns: FloatArray, ppy: float) -> float:
    """Annualized mean over annualized downside deviation √mean(min(r, 0)²) · √ppy."""
    if len(returns) < 2:
        return math.nan
    mean_annual = float(np.mean(returns)) * ppy
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2))) * math.sqrt(ppy)
    if downside == 0:
        return math.inf if mean_annual > 0 else math.nan
    return mean_annual / downside


def drawdown(equity: FloatArray, start: float | None = None) -> FloatArray:
    """E_t / max(start, max_{s≤t} E_s) - 1 per bar: the running peak starts at `start`."""
    w = wealth(equity, start)
    under = w / np.maximum.accumulate(w) - 1.0
    return under if start is None else under[1:]


def max_drawdown(equity: FloatArray, start: float | None = None) -> float:
    """The deepest fall of W from its running peak, ≤ 0 (0 if never under water)."""
    return float(np.min(drawdown(equity, start)))


def calmar(cagr_value: float, max_drawdown_value: float) -> float:
    """CAGR / abs(max drawdown); NaN without a drawdown (as empyrical)."""
    if max_drawdown_value >= 0 or math.isnan(cagr_value):
        return math.nan
    return cagr_value / abs(max_drawdown_value)


def win_rate(closed_pnl: FloatArray) -> float:
    if len(closed_pnl) == 0:
        return math.nan
    return float(np.count_nonzero(closed_pnl > 0)) / len(closed_pnl)


def profit_factor(closed_pnl: FloatArray) -> float:
    """Gross profit / gross loss of closed trades; inf without losses, NaN without either."""
    gains = float(closed_pnl[closed_pnl > 0].sum())
    losses = -float(closed_pnl[closed_pnl < 0].sum())
    if losses == 0:
        return math.inf if gains > 0 else math.nan
    return gains / losses


def expectancy(closed_pnl: FloatArray) -> float:
    if len(closed_pnl) == 0:
        return math.nan
    return float(np.mean(closed_pnl))


def exposure(position: FloatArray) -> float:
    """Fraction of bars holding a non-zero position; `position` is (bars, instruments)."""
    if len(position) == 0:
        return math.nan
    return float(np.mean(np.any(position != 0, axis=1)))


def turnover(traded_notional: float, equity: FloatArray, years: float) -> float:
    """Traded notional per year in multiples of mean equity."""
    if years <= 0:
        return math.nan
    return traded_notional / float(np.mean(equity)) / years


def compute_metrics(
    equity: FloatArray,
    index: pd.DatetimeIndex,
    position: FloatArray,
    traded_notional: float,
    closed_pnl: FloatArray,
    n_trades: int,
    ppy: float,
    cash: float,
    returns: FloatArray | None = None,
    margin_calls: int = 0,
    stop_outs: int = 0,
) -> Metrics:
    """All metrics of one backtest from its equity curve, positions and trades; returns,
    growth and drawdown are measured from the starting `cash` (ADR 0002 §9). `returns`, if
    the caller already has them, must be `simple_returns(equity, cash)`; the margin counts
    are the engine's (§12)."""
    if returns is None:
        returns = simple_returns(equity, cash)
    years = years_elapsed(index)
    growth_rate = cagr(equity, years, cash)
    deepest = max_drawdown(equity, cash)
    return Metrics(
        trades=n_trades,
        final_equity=float(equity[-1]),
        total_return=total_return(equity, cash),
        cagr=growth_rate,
        volatility=volatility(returns, ppy),
        sharpe=sharpe(returns, ppy),
        sortino=sortino(returns, ppy),
        max_drawdown=deepest,
        calmar=calmar(growth_rate, deepest),
        win_rate=win_rate(closed_pnl),
        profit_factor=profit_factor(closed_pnl),
        expectancy=expectancy(closed_pnl),
        exposure=exposure(position),
        turnover=turnover(traded_notional, equity, years),
        periods_per_year=ppy,
        margin_calls=margin_calls,
        stop_outs=stop_outs,
    )
