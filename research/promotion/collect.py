"""The three evidence groups, each computed by one run and cached as one unit:

- walkforward (candidate gates): walk-forward over the spec's search grid; OOS Sharpe and max
  drawdown of the stitched OOS equity, trades of the OOS folds; deflated Sharpe of the OOS
  returns given every grid candidate; PBO (CSCV) over the grid's full-sample return matrix.
- checks (paper gates): look-ahead check and vectorized/event parity of the traded params.
- paper (live gates): the paper record and its drift from the backtest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from research import metrics as rm
from research.errors import INPUT_ERRORS
from research.lookahead import check_lookahead
from research.overfit import deflated_sharpe, pbo_cscv, sharpe_columns
from research.promotion.drift import drift_report
from research.promotion.errors import PromotionInputError
from research.promotion.paper_record import PaperRecord, read_paper_record
from research.promotion.policy import GateName
from research.promotion.spec import StrategySpec
from research.sweep import space as sp
from research.sweep.data import prepare
from research.sweep.evaluate import simulate_series
from research.walkforward import walk_forward
from strategies import plugins

Values = dict[GateName, float | bool | None]
PBO_GROUPS = 10  # C(10, 5) = 252 CSCV splits: stable enough, and milliseconds per candidate
PARITY_BARS = 3_000  # the event engine is ~100x slower; the most recent bars suffice
LOOKAHEAD_CUTS = 20


def search_space(spec: StrategySpec) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """(space, fixed). Without a grid the space is the traded params alone: one candidate."""
    params = spec.full_params
    if spec.search:
        return dict(spec.search), {k: v for k, v in params.items() if k not in spec.search}
    if not params:
        raise PromotionInputError(f"spec {spec.name}: {spec.strategy} has no parameters to test")
    first = next(iter(params))
    return {first: [params[first]]}, {k: v for k, v in params.items() if k != first}


def candidate_returns(
    spec: StrategySpec, bars: pd.DataFrame, space: dict[str, list[Any]], fixed: dict[str, Any]
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Per-bar returns (T × N) of every grid candidate over the spec's whole data."""
    candidates = sp.grid(spec.strategy, space, fixed).params
    data = prepare(bars, spec.backtest_config())
    columns = []
    for params in candidates:
        _, equity = simulate_series(plugins.create(spec.strategy, **params).target(bars), data)
        columns.append(rm.simple_returns(equity, data.cash))  # from cash (ADR 0002 §9)
    return candidates, np.column_stack(columns)


def _dsr(oos: np.ndarray, matrix: np.ndarray) -> tuple[float | None, dict[str, Any]]:
    n_trials = matrix.shape[1]
    try:
        res = deflated_sharpe(oos, n_trials, sharpe_columns(matrix))
    except INPUT_ERRORS as err:
        return None, {"reason": str(err), "n_trials": n_trials}
    note = "one candidate: no selection to deflate, the benchmark is Sharpe 0 (the PSR)"
    return res.dsr, {
        "n_trials": n_trials,
        "sharpe_per_bar": res.sharpe,
        "benchmark_per_bar": res.sharpe_benchmark,
        "n_returns": res.n_returns,
        **({"note": note} if n_trials == 1 else {}),
    }


def _pbo(matrix: np.ndarray) -> tuple[float | None, dict[str, Any]]:
    if matrix.shape[1] < 2:
        return None, {"reason": "not applicable: one candidate (the spec has no search grid)"}
    try:
        res = pbo_cscv(matrix, PBO_GROUPS)
    except INPUT_ERRORS as err:
        return None, {"reason": str(err)}
    return res.pbo, {
        "n_groups": PBO_GROUPS,
        "n_splits": res.n_splits,
        "n_strategies": res.n_strategies,
    }


def walkforward_group(spec: StrategySpec, bars: pd.DataFrame) -> tuple[Values, dict[str, Any]]:
    space, fixed = search_space(spec)
    try:
        wf = walk_forward(
            spec.strategy,
            bars,
            space,
            n_folds=spec.folds,
            fixed=fixed,
            config=spec.backtest_config(),
        )
    except INPUT_ERRORS as err:
        raise PromotionInputError(f"spec {spec.name}: walk-forward failed: {err}") from None
    candidates, matrix = candidate_returns(spec, bars, space, fixed)
    oos_returns = rm.simple_returns(
        wf.oos_equity.to_numpy(dtype=np.float64), spec.backtest_config().cash
    )
    dsr, dsr_detail = _dsr(oos_returns, matrix)
    pbo, pbo_detail = _pbo(matrix)
    trades = int(wf.folds["oos_trades"].sum())
    values: Values = {
        GateName.OOS_SHARPE: _finite(wf.oos_metrics["sharpe"]),
        GateName.MAX_DRAWDOWN: _finite(wf.oos_metrics["max_drawdown"]),
        GateName.MIN_TRADES: float(trades),
        GateName.DEFLATED_SHARPE: dsr,
        GateName.PBO: pbo,
    }
    details = {
        "walk_forward": wf.to_dict(),
        "oos_start": wf.oos_equity.index[0].isoformat(),
        "oos_end": wf.oos_equity.index[-1].isoformat(),
        "candidates": len(candidates),
        "deflated_sharpe": dsr_detail,
        "pbo": pbo_detail,
    }
    return values, details


def checks_group(spec: StrategySpec, bars: pd.DataFrame) -> tuple[Values, dict[str, Any]]:
    from research.parity import check_parity  # imports NautilusTrader: only when needed

    strategy = plugins.create(spec.strategy, **spec.full_params)
    try:
        look = check_lookahead(strategy, bars, n_cuts=LOOKAHEAD_CUTS)
        recent = bars.iloc[-PARITY_BARS:]
        parity = check_parity(
            strategy, recent, spec.backtest_config(), instrument=spec.instruments[0]
        )
    except INPUT_ERRORS as err:
        raise PromotionInputError(f"spec {spec.name}: checks failed to run: {err}") from None
    cash = spec.backtest_config().cash
    values: Values = {
        GateName.LOOKAHEAD_CLEAN: look.clean,
        GateName.PARITY: abs(parity.equity_difference) / cash,
    }
    parity_detail = {k: v for k, v in parity.to_dict().items() if k != "differences"}
    parity_detail["differences"] = parity.to_dict()["differences"][:10]
    details = {
        "lookahead": look.to_dict(),
        "parity": {**parity_detail, "bars": len(recent), "cash": cash},
    }
    return values, details


def assumed_slippage(spec: StrategySpec, bars: pd.DataFrame) -> float:
    """The backtest's cost of a fill away from the decision price, as a fraction of it:
    slippage plus half the spread (a price difference) over the median close."""
    costs = spec.backtest_config().costs
    close = float(np.median(bars["close"].to_numpy(dtype=np.float64)))
    return costs.slippage + (costs.spread / 2 / close if close > 0 else 0.0)


def paper_group(
    spec: StrategySpec, bars: pd.DataFrame, paper_run: Path
) -> tuple[Values, dict[str, Any]]:
    record = read_paper_record(paper_run)
    _check_same_strategy(spec, record, paper_run)
    data = prepare(bars, spec.backtest_config())
    target = plugins.create(spec.strategy, **spec.full_params).target(bars)
    _, equity = simulate_series(target, data)
    # One annualization for both series, the backtest's: Sharpes must be comparable.
    report = drift_report(
        rm.simple_returns(equity, data.cash),
        record.returns,
        assumed_slippage=assumed_slippage(spec, bars),
        realized_slippage=record.realized_slippage,
        periods_per_year=data.periods_per_year,
    )
    values: Values = {
        GateName.PAPER_DURATION_DAYS: record.duration_days,
        GateName.PAPER_TRADES: float(record.fills),
        GateName.DRIFT: report.percentile,
        GateName.SLIPPAGE: report.slippage_ratio,
    }
    return values, {"paper_record": record.to_dict(), "drift": report.to_dict()}


def _check_same_strategy(spec: StrategySpec, record: PaperRecord, paper_run: Path) -> None:
    """A paper run is evidence only for what it traded: same strategy, same parameters, same
    instrument (a run of other parameters must not carry a spec to live)."""
    traded = f"{record.strategy}({record.params})"
    if record.strategy != spec.strategy or record.params is None:
        raise PromotionInputError(
            f"paper run {paper_run} traded {traded}; the spec is {spec.strategy}"
            + ("" if record.params is not None else " (the run does not record its parameters)")
        )
    wanted = plugins.create(spec.strategy, **spec.full_params).params.model_dump(mode="json")
    if json.loads(json.dumps(record.params)) != wanted:
        raise PromotionInputError(
            f"paper run {paper_run} traded {spec.strategy} with {record.params}; "
            f"the spec's parameters are {wanted}"
        )
    pairs = {name.split(".")[0] for name in record.instruments}
    if record.instruments and not pairs & set(spec.instruments):
        raise PromotionInputError(
            f"paper run {paper_run} traded {', '.join(sorted(pairs))}; "
            f"the spec trades {', '.join(spec.instruments)}"
        )


def paper_record_hash(paper_run: Path) -> str:
    return read_paper_record(paper_run).content_hash


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
