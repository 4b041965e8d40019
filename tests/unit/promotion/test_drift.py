"""Drift: the realized Sharpe against the backtest's block-bootstrap interval; slippage ratio."""

import math

import numpy as np
import pytest

from research.promotion.drift import (
    annualized_sharpe,
    bootstrap_sharpes,
    drift_report,
    inside_at,
    slippage_ratio,
)
from research.promotion.errors import PromotionInputError

PPY = 252.0


def _returns(n: int, mean: float, std: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, std, n)


def test_realized_drawn_from_the_same_process_is_inside():
    backtest = _returns(5000, 0.0005, 0.01, seed=1)  # Sharpe ≈ 0.79 annualized
    realized = _returns(500, 0.0005, 0.01, seed=2)
    rep = drift_report(backtest, realized, assumed_slippage=1e-4, realized_slippage=1e-4,
                       periods_per_year=PPY, seed=0)  # fmt: skip
    assert rep.inside
    lo, hi = rep.interval
    assert lo < rep.backtest_sharpe < hi
    assert 0.025 <= rep.percentile <= 0.975
    assert rep.window == 500
    assert rep.block == math.ceil(5000 ** (1 / 3))  # 18
    assert rep.slippage_ratio == pytest.approx(1.0)


def test_strongly_negative_realized_series_is_outside():
    backtest = _returns(5000, 0.0005, 0.01, seed=1)
    realized = _returns(500, -0.004, 0.01, seed=3)  # Sharpe ≈ -6
    rep = drift_report(backtest, realized, assumed_slippage=0.0, realized_slippage=None,
                       periods_per_year=PPY)  # fmt: skip
    assert not rep.inside
    assert rep.realized_sharpe < rep.interval[0]
    assert rep.percentile == 0.0
    assert not inside_at(rep.percentile, 0.95)
    assert rep.slippage_ratio is None


def test_interval_width_matches_the_sampling_error_of_a_sharpe():
    # i.i.d. returns: the annualized Sharpe over m bars has std ≈ √(ppy / m).
    backtest = _returns(20000, 0.0, 0.01, seed=4)
    rep = drift_report(backtest, backtest[:400], assumed_slippage=0, realized_slippage=0,
                       periods_per_year=PPY, n_boot=4000, block=1)  # fmt: skip
    half_width = (rep.interval[1] - rep.interval[0]) / 2
    assert half_width == pytest.approx(1.96 * math.sqrt(PPY / 400), rel=0.1)


def test_seeded_and_deterministic():
    backtest = _returns(3000, 0.0003, 0.01, seed=5)
    realized = _returns(300, 0.0, 0.01, seed=6)
    kwargs = {"assumed_slippage": 0.0, "realized_slippage": 0.0, "periods_per_year": PPY}
    a = drift_report(backtest, realized, seed=7, **kwargs)
    b = drift_report(backtest, realized, seed=7, **kwargs)
    c = drift_report(backtest, realized, seed=8, **kwargs)
    assert a == b
    assert a.interval != c.interval


def test_block_sums_equal_a_direct_resample():
    # The prefix-sum shortcut against the resample built element by element (same starts).
    r = np.arange(1.0, 11.0) / 100  # 10 returns
    window, block, seed = 7, 3, 11
    fast = bootstrap_sharpes(r, window, PPY, n_boot=5, block=block, seed=seed)
    starts = np.random.default_rng(seed).integers(0, len(r), size=(5, 3))
    for b in range(5):
        sample = np.concatenate([np.take(r, range(s, s + block), mode="wrap") for s in starts[b]])
        assert fast[b] == pytest.approx(annualized_sharpe(sample[:window], PPY))


def test_flat_series_has_sharpe_zero():
    assert annualized_sharpe(np.zeros(10), PPY) == 0.0
    boot = bootstrap_sharpes(np.zeros(50), 10, PPY, n_boot=100, block=2, seed=0)
    assert np.all(boot == 0.0)


def test_slippage_ratio():
    assert slippage_ratio(2e-4, 1e-4) == pytest.approx(2.0)
    assert slippage_ratio(-1e-4, 1e-4) == pytest.approx(-1.0)  # better fills than assumed
    assert slippage_ratio(0.0, 0.0) == 0.0
    assert slippage_ratio(1e-5, 0.0) == math.inf
    assert slippage_ratio(None, 1e-4) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"realized_returns": [0.01]}, "at least 2 realized"),
        ({"backtest_returns": [np.nan, 0.01]}, "at least 2 backtest"),
        ({"confidence": 1.0}, "confidence"),
        ({"n_boot": 10}, "n_boot"),
    ],
)
def test_bad_input(kwargs, message):
    args = {"backtest_returns": [0.01, -0.01, 0.02], "realized_returns": [0.0, 0.01],
            "assumed_slippage": 0.0, "realized_slippage": 0.0, "periods_per_year": PPY}  # fmt: skip
    args.update(kwargs)
    with pytest.raises(PromotionInputError, match=message):
        drift_report(**args)
