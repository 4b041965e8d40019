"""Deflated Sharpe and PBO against hand-computed cases."""

import math

import numpy as np
import pytest

from research.errors import ResearchInputError
from research.overfit import (
    EULER_GAMMA,
    deflated_sharpe,
    expected_max_sharpe,
    pbo_cscv,
    probabilistic_sharpe,
)


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def test_psr_normal_returns_by_hand():
    # SR=0.1, SR*=0, T=101, γ3=0, γ4=3: z = 0.1·10 / √(1 + 0.5·0.01) = 1/√1.005
    assert probabilistic_sharpe(0.1, 0.0, 101, 0.0, 3.0) == pytest.approx(
        _phi(1 / math.sqrt(1.005)), abs=1e-12
    )


def test_psr_penalizes_negative_skew_and_fat_tails():
    base = probabilistic_sharpe(0.1, 0.0, 101, 0.0, 3.0)
    assert probabilistic_sharpe(0.1, 0.0, 101, -2.0, 10.0) < base


def test_expected_max_sharpe_by_hand():
    # N=10, V=1: (1-γ)·Φ⁻¹(0.9) + γ·Φ⁻¹(1 - 1/(10e)); Φ⁻¹(0.9) = 1.2815515655446004
    z2 = 1.7892417645816283  # Φ⁻¹(1 - 1/(10e)) = Φ⁻¹(0.963212055882...)
    want = (1 - EULER_GAMMA) * 1.2815515655446004 + EULER_GAMMA * z2
    assert expected_max_sharpe(1.0, 10) == pytest.approx(want, abs=1e-9)
    assert expected_max_sharpe(4.0, 10) == pytest.approx(2 * want, abs=1e-9)  # scales with √V
    assert expected_max_sharpe(1.0, 1) == 0.0


def test_deflated_sharpe_paper_example():
    """Bailey & López de Prado (2014), numerical example: annualized SR 2.5 over T=1250 daily
    returns, skew −3, kurtosis 10, N=100 trials with variance 0.5 of annualized SRs →
    SR₀ ≈ 0.1132 (daily) and DSR ≈ 0.9004."""
    sr, var = 2.5 / math.sqrt(250), 0.5 / 250
    sr0 = expected_max_sharpe(var, 100)
    assert sr0 == pytest.approx(0.1132, abs=5e-4)
    assert probabilistic_sharpe(sr, sr0, 1250, -3.0, 10.0) == pytest.approx(0.9004, abs=5e-4)


def test_deflated_sharpe_from_returns_consistent_with_psr():
    rng = np.random.default_rng(1)
    r = rng.normal(0.001, 0.01, 500)
    trials = rng.normal(0.0, 0.05, 50)
    out = deflated_sharpe(r, 50, trials)
    sr = r.mean() / r.std(ddof=1)
    assert out.sharpe == pytest.approx(sr)
    assert out.sharpe_benchmark == pytest.approx(expected_max_sharpe(np.var(trials, ddof=1), 50))
    # More trials → a higher bar → a lower deflated Sharpe.
    assert deflated_sharpe(r, 1000, trials).dsr < out.dsr


def test_deflated_sharpe_rejects_flat_returns():
    with pytest.raises(ResearchInputError, match="zero variance"):
        deflated_sharpe(np.zeros(10), 5, sr_variance=0.1)


def _two_regimes(first_good: bool) -> np.ndarray:
    """Two strategies over 2 halves (4 bars each): column 0 wins the first half only."""
    good, bad = [0.02, 0.01, 0.03, 0.02], [-0.01, 0.0, -0.02, -0.01]
    a = good + (bad if first_good else good)
    b = bad + (good if first_good else bad)
    return np.column_stack([a, b])


def test_pbo_is_one_when_the_in_sample_winner_always_loses_out_of_sample():
    out = pbo_cscv(_two_regimes(first_good=True), n_groups=2)
    # Split 1: IS = half 1 → A wins; OOS rank of A = 1 of 2 → ω = 1/3 → λ = ln(1/2).
    assert out.n_splits == 2
    assert out.pbo == 1.0
    np.testing.assert_allclose(out.logits, [math.log(0.5)] * 2)


def test_pbo_is_zero_when_one_strategy_dominates():
    out = pbo_cscv(_two_regimes(first_good=False), n_groups=2)
    assert out.pbo == 0.0
    np.testing.assert_allclose(out.logits, [math.log(2.0)] * 2)


def test_pbo_split_count_and_noise_level():
    rng = np.random.default_rng(3)
    out = pbo_cscv(rng.normal(0, 0.01, (800, 20)), n_groups=8)
    assert out.n_splits == math.comb(8, 4)
    assert 0.2 < out.pbo < 0.8  # pure noise: the IS winner is a coin flip OOS


@pytest.mark.parametrize(("shape", "groups", "match"), [
    ((10, 1), 2, "at least 2 strategies"), ((10, 3), 3, "even number"), ((6, 3), 4, "too few"),
])  # fmt: skip
def test_pbo_bad_input(shape, groups, match):
    with pytest.raises(ResearchInputError, match=match):
        pbo_cscv(np.ones(shape), n_groups=groups)
