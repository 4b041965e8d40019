"""Walk-forward validation: optimize in-sample, evaluate the winner out-of-sample, roll on.

Splits (n bars, F folds, ratio R = in-sample length / out-of-sample length, B = n // (F + R)):
- rolling:  fold i trains on bars [i·B, (i+R)·B) and tests on [(i+R)·B, (i+R+1)·B);
- anchored: fold i trains on bars [0, (i+R)·B) and tests on the same out-of-sample block.
The last test block extends to the end of the data. Out-of-sample targets are computed with the
in-sample window as history (a strategy needs its warm-up; it has seen those bars anyway),
and each fold's out-of-sample simulation starts flat with the initial cash; the stitched
curve chains the folds' out-of-sample returns, each fold's measured from that cash (its first
return is E_0 / cash - 1, ADR 0002 §9), so the stitched curve is measured from the cash too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from research import metrics as rm
from research.engine.common import bars_periods_per_year
from research.engine.config import BacktestConfig, Costs
from research.engine.vectorized import data_fingerprint
from research.errors import INPUT_ERRORS, ResearchInputError
from research.overfit import deflated_sharpe
from research.sweep import space as sp
from research.sweep.data import SweepData, prepare
from research.sweep.evaluate import simulate_series
from research.sweep.metrics import finalize
from research.sweep.result import SweepResult
from research.sweep.runner import sweep_with_data
from research.sweep.settings import SweepSettings
from strategies import plugins

MIN_TEST_BARS = 10


@dataclass(frozen=True)
class Fold:
    number: int
    train: slice
    test: slice


def make_folds(n_bars: int, n_folds: int, mode: str = "rolling", ratio: int = 3) -> list[Fold]:
    """The fold boundaries above; too little data for the request is a ResearchInputError."""
    if mode not in ("rolling", "anchored"):
        raise ResearchInputError(f"walk-forward mode must be rolling or anchored, got {mode!r}")
    if n_folds < 1 or ratio < 1:
        raise ResearchInputError(f"need folds >= 1 and ratio >= 1 (got {n_folds}, {ratio})")
    block = n_bars // (n_folds + ratio)
    if block < MIN_TEST_BARS:
        need = MIN_TEST_BARS * (n_folds + ratio)
        raise ResearchInputError(
            f"too little data for {n_folds} folds at in/out ratio {ratio}: {n_bars} bars, "
            f"need at least {need} ({MIN_TEST_BARS} per out-of-sample block)"
        )
    folds = []
    for i in range(n_folds):
        start = 0 if mode == "anchored" else i * block
        split = (i + ratio) * block
        end = n_bars if i == n_folds - 1 else split + block
        folds.append(Fold(i, slice(start, split), slice(split, end)))
    return folds


@dataclass
class WalkForwardResult:
    strategy: str
    metric: str
    mode: str
    folds: pd.DataFrame  # one row per fold: bounds, chosen params, in- and out-of-sample metrics
    oos_equity: pd.Series  # stitched out-of-sample equity
    oos_metrics: dict[str, float]
    extras: dict[str, Any] = field(default_factory=dict)
    costs: Costs = field(default_factory=Costs)  # what every simulation was charged
    param_names: list[str] = field(default_factory=list)  # the swept parameters
    account: str = ""  # the account and rebalance line (BacktestConfig.describe_account)

    def to_dict(self) -> dict[str, Any]:
        rows = self.folds.drop(columns=["params"]).to_dict(orient="records")
        return {
            "strategy": self.strategy,
            "metric": self.metric,
            "mode": self.mode,
            "folds": [{k: _plain(v) for k, v in row.items()} for row in rows],
            "oos": {k: _plain(v) for k, v in self.oos_metrics.items()},
            "costs": self.costs.model_dump(),
            **self.extras,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _oos_run(
    strategy: str, params: dict[str, Any], bars: pd.DataFrame, fold: Fold, config: BacktestConfig
) -> tuple[np.ndarray, pd.Series]:
    history = bars.iloc[fold.train.start : fold.test.stop]
    target = plugins.create(strategy, **params).target(history)
    test_target = target.iloc[fold.test.start - fold.train.start :]
    data = prepare(bars.iloc[fold.test], config)
    acc, equity = simulate_series(test_target, data)
    return acc, pd.Series(equity, index=data.bars.index)


def _summary(equity: pd.Series, ppy: float, cash: float) -> dict[str, float]:
    """research.metrics on the stitched curve, measured from the starting cash."""
    values = equity.to_numpy(dtype=np.float64)
    returns = rm.simple_returns(values, cash)
    years = rm.years_elapsed(pd.DatetimeIndex(equity.index))
    growth = rm.cagr(values, years, cash)
    drawdown = rm.max_drawdown(values, cash)
    return {
        "total_return": rm.total_return(values, cash),
        "cagr": growth,
        "volatility": rm.volatility(returns, ppy),
        "sharpe": rm.sharpe(returns, ppy),
        "sortino": rm.sortino(returns, ppy),
        "max_drawdown": drawdown,
        "calmar": rm.calmar(growth, drawdown),
    }


def walk_forward(
    strategy: str,
    bars: pd.DataFrame,
    space_: sp.Space,
    settings: SweepSettings | None = None,
    *,
    n_folds: int = 5,
    mode: str = "rolling",
    ratio: int = 3,
    **overrides: Any,
) -> WalkForwardResult:
    """Per fold: sweep in-sample, pick the best `metric`, run it out-of-sample; stitch.

    `settings` (with `overrides` applied, as in `sweep()`) drive every fold's in-sample
    search; their `metric` picks each fold's winner."""
    settings = SweepSettings.build(settings, overrides)
    metric = settings.metric
    folds = make_folds(len(bars), n_folds, mode, ratio)
    config = settings.config or BacktestConfig()
    ppy = bars_periods_per_year(bars, config.periods_per_year)  # as every engine annualises
    config = config.model_copy(update={"periods_per_year": ppy})  # one ppy across folds
    in_sample = settings.model_copy(update={"config": config})
    rows, pieces = [], []
    for fold in folds:
        result, train = sweep_with_data(strategy, bars.iloc[fold.train], space_, in_sample)
        if result.interrupted:  # a fold's winner from part of its grid would be a wrong result
            raise KeyboardInterrupt
        best = result.best(metric)
        in_row = result.sorted(metric).iloc[0]
        acc, equity = _oos_run(strategy, best, bars, fold, config)
        oos = finalize(acc[None, :], ppy, rm.years_elapsed(pd.DatetimeIndex(equity.index)))
        rows.append(_fold_row(fold, bars, best, in_row, oos.iloc[0], metric, result, train))
        # Growth relative to the fold's starting cash, not to its first bar's equity: a
        # bar-0 close fill's costs stay in the piece (and in the fold's own metrics).
        pieces.append(equity.to_numpy() / config.cash)
    stitched = _stitch(pieces, bars, folds, config.cash)
    table = pd.DataFrame(rows)
    return WalkForwardResult(
        strategy,
        metric,
        mode,
        table,
        stitched,
        _summary(stitched, ppy, config.cash),
        {
            "n_folds": n_folds,
            "ratio": ratio,
            "method": settings.method,
            "data_fingerprint": data_fingerprint(bars),
        },
        config.costs,
        list(space_),
        config.describe_account(),
    )


def _fold_row(
    fold: Fold,
    bars: pd.DataFrame,
    best: dict[str, Any],
    in_row: pd.Series,
    oos: pd.Series,
    metric: str,
    result: SweepResult,
    train: SweepData,
) -> dict[str, Any]:
    idx = bars.index
    row: dict[str, Any] = {
        "fold": fold.number,
        "train_start": idx[fold.train.start],
        "train_end": idx[fold.train.stop - 1],
        "test_start": idx[fold.test.start],
        "test_end": idx[fold.test.stop - 1],
        "trials": result.completed,
        "params": best,
        f"is_{metric}": float(in_row[metric]),
        "is_dsr": _fold_dsr(result, best, train),
    }
    row.update({k: _plain(v) for k, v in best.items()})
    row.update({f"oos_{k}": float(v) for k, v in oos.items() if k != "periods_per_year"})
    return row


def _fold_dsr(result: SweepResult, best: dict[str, Any], train: SweepData) -> float:
    """Deflated Sharpe of the in-sample winner given every trial of the fold's search (the
    sweep keeps sums, not series: the winner is simulated again on the sweep's own data)."""
    target = plugins.create(result.strategy, **best).target(train.bars)
    _, equity = simulate_series(target, train)
    returns = rm.simple_returns(equity, train.cash)
    ppy = train.periods_per_year
    trial_sharpes = result.table["sharpe"].to_numpy() / np.sqrt(ppy)  # per-bar Sharpes
    try:
        return deflated_sharpe(returns, max(result.completed, 1), trial_sharpes).dsr
    except INPUT_ERRORS:
        return float("nan")  # a flat in-sample winner has no Sharpe to deflate


def _stitch(
    pieces: list[np.ndarray], bars: pd.DataFrame, folds: list[Fold], cash: float
) -> pd.Series:
    """Chain the folds' growth curves (equity / cash): each fold's out-of-sample run starts
    from `cash`, so piece i scaled by the level fold i-1 ended at continues the curve. The
    stitched curve starts at `cash` before its first bar and its returns, measured from
    `cash`, are exactly the folds' own returns one after another (each fold's first return
    being its E_0 / cash - 1); its metrics are therefore measured from `cash` as well."""
    level = cash
    chunks = []
    for piece in pieces:
        chunks.append(level * piece)
        level = chunks[-1][-1]
    index = bars.index[folds[0].test.start : folds[-1].test.stop]
    return pd.Series(np.concatenate(chunks), index=index, name="oos_equity")


__all__ = ["Fold", "WalkForwardResult", "make_folds", "walk_forward"]
