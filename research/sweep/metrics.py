"""Metrics from the kernel's accumulator rows, vectorized over combinations.

The formulas are exactly those of research.metrics (see its docstring table), restated over
running sums instead of full series — which is what lets the sweep skip the series:
mean/std of returns from Σr and Σr² (r_0 = E_0 / cash - 1 included), growth from the
starting cash, max drawdown from a running peak that starts at the cash,
trade statistics from per-trade pnl sums. NaN/inf conventions follow research.metrics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research.errors import ResearchInputError
from research.sweep import kernel as kn

METRIC_COLUMNS: tuple[str, ...] = (
    "trades", "final_equity", "total_return", "cagr", "volatility", "sharpe", "sortino",
    "max_drawdown", "calmar", "win_rate", "profit_factor", "expectancy", "exposure", "turnover",
    "periods_per_year", "margin_calls", "stop_outs",
)  # fmt: skip

# Why the kernel refused a combination (kernel.A_REFUSED), in the engine's words
# (research.engine.targets): the single backtest of it refuses it too.
_REFUSALS = {
    kn.REFUSED_CASH_SHORT: "account=cash cannot sell short, but a combination's processed target "
    "goes below 0: use direction=long_only or account=margin",
    kn.REFUSED_FIRST_ORDER: "a combination's largest order cannot stand on its margin (its "
    "initial margin exceeds the equity, or it opens at or below stop_out): lower the leverage "
    "or margin_initial, or stop_out",
}


def check_refused(acc: np.ndarray) -> None:
    """Refuse, in one line, accumulator rows of combinations the engine would not run (§12)."""
    codes = np.atleast_2d(acc)[:, kn.A_REFUSED]
    refused = codes[codes != kn.REFUSED_NONE]
    if len(refused):
        raise ResearchInputError(_REFUSALS[float(refused[0])])


def check_metric(metric: str, also: tuple[str, ...] = ()) -> None:
    """`metric` names a metric (or one of `also`, e.g. the swept parameters a table can be
    sorted by): checked before anything is computed."""
    if metric not in METRIC_COLUMNS and metric not in also:
        raise ResearchInputError(f"unknown metric {metric!r} (one of: {', '.join(METRIC_COLUMNS)})")


def _ratio(num: np.ndarray, den: np.ndarray, when_zero: np.ndarray | float) -> np.ndarray:
    """num / den, `when_zero` where den == 0."""
    safe = np.where(den != 0, den, 1.0)
    return np.where(den != 0, num / safe, when_zero)


def _cagr(growth: np.ndarray, years: float) -> np.ndarray:
    if years <= 0:
        return np.full_like(growth, np.nan)
    positive = np.where(growth > 0, growth, 1.0)
    return np.where(growth > 0, positive ** (1.0 / years) - 1.0, -1.0)


def finalize(acc: np.ndarray, ppy: float, years: float) -> pd.DataFrame:
    """One row of metrics per accumulator row (see research.metrics for each formula)."""
    check_refused(acc)
    n = acc[:, kn.A_BARS]
    cash, final = acc[:, kn.A_CASH], acc[:, kn.A_FINAL_EQUITY]
    mean = acc[:, kn.A_RET_SUM] / n
    enough = n >= 2
    m2 = np.maximum(acc[:, kn.A_RET_SQ] - acc[:, kn.A_RET_SUM] * mean, 0.0)  # Σ(r − mean)²
    std = np.sqrt(_ratio(m2, n - 1, np.nan))
    growth = final / cash  # from the starting cash, as research.metrics
    cagr = _cagr(growth, years)
    downside = np.sqrt(acc[:, kn.A_DOWN_SQ] / n) * np.sqrt(ppy)
    mean_annual = mean * ppy
    no_downside = np.where(mean_annual > 0, np.inf, np.nan)
    mdd = acc[:, kn.A_MAX_DD]
    closed = acc[:, kn.A_CLOSED]
    gross_win, gross_loss = acc[:, kn.A_GROSS_WIN], acc[:, kn.A_GROSS_LOSS]
    no_loss = np.where(gross_win > 0, np.inf, np.nan)
    mean_equity = acc[:, kn.A_EQUITY_SUM] / n
    out = {
        "trades": (closed + acc[:, kn.A_OPEN]).astype(np.int64),
        "final_equity": final,
        "total_return": growth - 1.0,
        "cagr": cagr,
        "volatility": np.where(enough, std * np.sqrt(ppy), np.nan),
        "sharpe": np.where(enough, _ratio(mean, std, np.nan) * np.sqrt(ppy), np.nan),
        "sortino": np.where(enough, _ratio(mean_annual, downside, no_downside), np.nan),
        "max_drawdown": mdd,
        "calmar": np.where(
            (mdd < 0) & ~np.isnan(cagr), cagr / np.where(mdd < 0, -mdd, 1.0), np.nan
        ),
        "win_rate": _ratio(acc[:, kn.A_WINS], closed, np.nan),
        "profit_factor": _ratio(gross_win, gross_loss, no_loss),
        "expectancy": _ratio(acc[:, kn.A_PNL_SUM], closed, np.nan),
        "exposure": acc[:, kn.A_EXPOSED] / n,
        "turnover": acc[:, kn.A_NOTIONAL] / mean_equity / years if years > 0 else np.nan,
        "periods_per_year": np.full_like(final, ppy),
        "margin_calls": acc[:, kn.A_MARGIN_CALLS].astype(np.int64),
        "stop_outs": acc[:, kn.A_STOP_OUTS].astype(np.int64),
    }
    with np.errstate(all="ignore"):
        return pd.DataFrame(out)
