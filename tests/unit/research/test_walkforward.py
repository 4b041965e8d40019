"""Walk-forward splits, per-fold optimization and the stitched out-of-sample curve."""

import numpy as np
import pandas as pd
import pytest

from research import backtest
from research import metrics as rm
from research.engine.config import BacktestConfig, Costs, FillAt
from research.errors import ResearchInputError
from research.walkforward import _oos_run, make_folds, walk_forward
from tests.fixtures.bars import make_bars


def test_rolling_folds():
    folds = make_folds(100, n_folds=3, mode="rolling", ratio=2)  # block = 20
    assert [(f.train.start, f.train.stop, f.test.start, f.test.stop) for f in folds] == [
        (0, 40, 40, 60), (20, 60, 60, 80), (40, 80, 80, 100),
    ]  # fmt: skip


def test_anchored_folds_and_last_fold_takes_the_remainder():
    folds = make_folds(107, n_folds=2, mode="anchored", ratio=3)  # block = 21
    assert [(f.train.start, f.train.stop, f.test.start, f.test.stop) for f in folds] == [
        (0, 63, 63, 84), (0, 84, 84, 107),
    ]  # fmt: skip


@pytest.mark.parametrize(("n", "folds", "mode", "match"), [
    (50, 5, "rolling", "too little data for 5 folds"),
    (1000, 0, "rolling", "folds >= 1"),
    (1000, 3, "sideways", "rolling or anchored"),
])  # fmt: skip
def test_bad_requests(n, folds, mode, match):
    with pytest.raises(ResearchInputError, match=match):
        make_folds(n, folds, mode)


@pytest.fixture(scope="module")
def wf():
    bars = make_bars(2400, seed=4)
    return bars, walk_forward(
        "sma_cross", bars, {"fast": [5, 10], "slow": [30, 60]}, n_folds=3, ratio=3, workers=1
    )


def test_fold_table(wf):
    _bars, result = wf
    assert list(result.folds["fold"]) == [0, 1, 2]
    assert (result.folds["trials"] == 4).all()
    assert result.folds["test_start"].is_monotonic_increasing
    assert (result.folds["train_end"] < result.folds["test_start"]).all()
    for col in ("is_sharpe", "is_dsr", "oos_sharpe", "oos_total_return", "fast", "slow"):
        assert col in result.folds.columns
    assert result.folds["is_dsr"].between(0, 1).all()


def test_in_sample_choice_is_the_best_of_the_fold(wf):
    bars, result = wf
    fold = result.folds.iloc[1]
    train = bars.loc[fold["train_start"] : fold["train_end"]]
    sharpes = {
        (f, s): backtest("sma_cross", train, params={"fast": f, "slow": s}).metrics.sharpe
        for f in (5, 10) for s in (30, 60)
    }  # fmt: skip
    best = max(sharpes, key=lambda k: sharpes[k])
    assert (fold["fast"], fold["slow"]) == best
    assert fold["is_sharpe"] == pytest.approx(sharpes[best], rel=1e-9)


def test_stitched_equity_chains_the_folds(wf):
    bars, result = wf
    eq = result.oos_equity
    assert eq.index[0] == result.folds["test_start"].iloc[0]
    assert eq.index[-1] == bars.index[-1]
    assert eq.index.is_monotonic_increasing
    assert not eq.index.has_duplicates
    growth = np.prod(1.0 + result.folds["oos_total_return"].to_numpy())
    assert eq.iloc[-1] / 100_000.0 == pytest.approx(growth, rel=1e-12)
    assert result.oos_metrics["total_return"] == pytest.approx(growth - 1.0, rel=1e-12)


def test_close_fills_are_measured_from_the_cash_in_every_fold():
    """A close-filled out-of-sample run trades on its first bar (the target is warm from the
    in-sample history) and pays costs there: each fold is measured from the starting cash,
    and the stitched returns are the folds' returns one after another (ADR 0002 §9)."""
    bars = make_bars(1600, seed=5)
    config = BacktestConfig(fill=FillAt.CLOSE, costs=Costs(commission=1e-3, spread=1e-4))
    space = {"fast": [5, 10], "slow": [30]}
    result = walk_forward("sma_cross", bars, space, n_folds=2, config=config, workers=1)
    ppy = rm.periods_per_year(pd.DatetimeIndex(bars.index))
    fold_config = config.model_copy(update={"periods_per_year": ppy})  # as walk_forward does
    pieces = []
    for fold, (_, row) in zip(make_folds(len(bars), 2), result.folds.iterrows(), strict=True):
        _, equity = _oos_run("sma_cross", row["params"], bars, fold, fold_config)
        returns = rm.simple_returns(equity.to_numpy(), config.cash)
        assert returns[0] < 0  # the first out-of-sample bar's fill costs are counted
        assert row["oos_total_return"] == pytest.approx(equity.iloc[-1] / config.cash - 1)
        pieces.append(returns)
    stitched = rm.simple_returns(result.oos_equity.to_numpy(), config.cash)
    np.testing.assert_allclose(stitched, np.concatenate(pieces), rtol=1e-12, atol=1e-15)
    growth = np.prod(1.0 + result.folds["oos_total_return"].to_numpy())
    assert result.oos_metrics["total_return"] == pytest.approx(growth - 1.0, rel=1e-12)


def test_to_dict_is_json_ready(wf):
    import json

    _, result = wf
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert len(payload["folds"]) == 3
    assert "sharpe" in payload["oos"]


def test_anchored_walk_forward_runs():
    bars = make_bars(1200, seed=9)
    result = walk_forward("ema_cross", bars, {"fast": [5], "slow": [20, 40]}, n_folds=2,
                          mode="anchored", workers=1)  # fmt: skip
    assert (result.folds["train_start"] == bars.index[0]).all()
    assert isinstance(result.oos_equity, pd.Series)
