"""Overfitting diagnostics: the deflated Sharpe ratio and the probability of backtest overfitting.

Both answer "is the best of many tried strategies any good, or just the luckiest?".

Sharpe ratios here are *per bar* (not annualized): the formulas below are stated for the
non-annualized estimator, and T is the number of returns it was estimated from.

References
----------
- Bailey, D. H. and López de Prado, M. (2014), "The Deflated Sharpe Ratio: Correcting for
  Selection Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5).
- Bailey, D. H., Borwein, J., López de Prado, M. and Zhu, Q. J. (2015), "The Probability of
  Backtest Overfitting", Journal of Computational Finance 20(4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.stats import kurtosis, norm, skew

from research.errors import ResearchInputError

EULER_GAMMA = 0.5772156649015329


def probabilistic_sharpe(
    sr: float, sr_benchmark: float, n: int, skewness: float, kurt: float
) -> float:
    """Probabilistic Sharpe ratio (Bailey & López de Prado 2012, eq. used in the 2014 paper):

        PSR(SR*) = Φ( (SR̂ − SR*) · √(T − 1) / √(1 − γ₃·SR̂ + (γ₄ − 1)/4 · SR̂²) )

    with SR̂ the per-bar Sharpe estimate, γ₃ the skewness and γ₄ the (non-excess) kurtosis of
    the returns, T = n returns.
    """
    if n < 2:
        raise ResearchInputError(f"probabilistic Sharpe needs at least 2 returns, got {n}")
    denom_sq = 1.0 - skewness * sr + (kurt - 1.0) / 4.0 * sr * sr
    if denom_sq <= 0:
        raise ResearchInputError(
            "probabilistic Sharpe: non-positive variance term (degenerate returns)"
        )
    return float(norm.cdf((sr - sr_benchmark) * math.sqrt(n - 1) / math.sqrt(denom_sq)))


def expected_max_sharpe(sr_variance: float, n_trials: int) -> float:
    """Expected maximum of `n_trials` Sharpe estimates under the null of zero skill
    (Bailey & López de Prado 2014, eq. for SR₀):

        SR₀ = √V[SR_n] · ((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)))

    γ is the Euler–Mascheroni constant, N the number of independent trials, V[SR_n] the
    variance of the trials' (per-bar) Sharpe estimates.
    """
    if n_trials < 1:
        raise ResearchInputError(f"n_trials must be >= 1, got {n_trials}")
    if n_trials == 1:
        return 0.0  # one trial: no selection, the benchmark is zero skill
    z1 = norm.ppf(1.0 - 1.0 / n_trials)
    z2 = norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    return float(math.sqrt(sr_variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


@dataclass(frozen=True)
class DeflatedSharpe:
    sharpe: float  # per-bar Sharpe of the selected strategy
    sharpe_benchmark: float  # SR₀, the expected best Sharpe of n_trials zero-skill strategies
    dsr: float  # probability that the true Sharpe exceeds SR₀
    n_trials: int
    n_returns: int


def deflated_sharpe(
    returns: np.ndarray,
    n_trials: int,
    trial_sharpes: np.ndarray | None = None,
    sr_variance: float | None = None,
) -> DeflatedSharpe:
    """Deflated Sharpe ratio (Bailey & López de Prado 2014):

        DSR = PSR(SR₀) = Φ( (SR̂ − SR₀)·√(T − 1) / √(1 − γ₃·SR̂ + (γ₄ − 1)/4 · SR̂²) )

    where SR₀ = `expected_max_sharpe(V[SR_n], N)`. V[SR_n] is `sr_variance` if given, else the
    sample variance (ddof=1) of `trial_sharpes` (per-bar Sharpes of every trial in the search).
    """
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    if len(r) < 3:
        raise ResearchInputError(f"deflated Sharpe needs at least 3 returns, got {len(r)}")
    if sr_variance is None:
        if trial_sharpes is None:
            raise ResearchInputError("deflated Sharpe needs trial_sharpes or sr_variance")
        ts = np.asarray(trial_sharpes, dtype=np.float64)
        ts = ts[np.isfinite(ts)]
        sr_variance = float(np.var(ts, ddof=1)) if len(ts) > 1 else 0.0
    std = float(np.std(r, ddof=1))
    if std == 0:
        raise ResearchInputError("deflated Sharpe: the returns have zero variance")
    sr = float(np.mean(r)) / std
    sr0 = expected_max_sharpe(sr_variance, n_trials)
    g3 = float(skew(r, bias=True))
    g4 = float(kurtosis(r, fisher=False, bias=True))
    dsr = probabilistic_sharpe(sr, sr0, len(r), g3, g4)
    return DeflatedSharpe(sr, sr0, dsr, n_trials, len(r))


@dataclass(frozen=True)
class PBOResult:
    pbo: float  # fraction of splits whose in-sample winner ranks below the OOS median
    logits: np.ndarray  # λ_c per split
    n_splits: int
    n_strategies: int


def sharpe_columns(m: np.ndarray) -> np.ndarray:
    """Per-bar Sharpe of each column of a T×N return matrix; 0 for a column without variance."""
    std = m.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sr = m.mean(axis=0) / std
    return np.where(std > 0, sr, 0.0)


def pbo_cscv(returns: np.ndarray, n_groups: int = 16) -> PBOResult:
    """Probability of backtest overfitting by combinatorially symmetric cross-validation
    (Bailey, Borwein, López de Prado & Zhu 2015, §3):

    1. M is a T×N matrix of per-bar returns of N strategy variants; split its rows into S
       contiguous groups of equal size (trailing rows that don't fit are dropped).
    2. For every combination c of S/2 groups: J = those rows (in-sample), J̄ = the rest.
    3. n* = argmaxₙ SR(J)ₙ; ω̄_c = rank of SR(J̄)ₙ* among SR(J̄) (1 = worst) / (N + 1).
    4. λ_c = ln(ω̄_c / (1 − ω̄_c)).
    5. PBO = #{c : λ_c ≤ 0} / C(S, S/2).

    The performance statistic is the (per-bar) Sharpe ratio; ties rank by order of appearance.
    """
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2:
        raise ResearchInputError("PBO needs a T×N return matrix with at least 2 strategies")
    if n_groups < 2 or n_groups % 2:
        raise ResearchInputError(f"PBO needs an even number of groups >= 2, got {n_groups}")
    rows = m.shape[0] // n_groups
    if rows < 2:
        raise ResearchInputError(
            f"PBO: {m.shape[0]} bars are too few for {n_groups} groups (need >= 2 bars per group)"
        )
    groups = [m[g * rows : (g + 1) * rows] for g in range(n_groups)]
    n = m.shape[1]
    logits = []
    for chosen in combinations(range(n_groups), n_groups // 2):
        rest = [g for g in range(n_groups) if g not in chosen]
        sr_in = sharpe_columns(np.vstack([groups[g] for g in chosen]))
        sr_out = sharpe_columns(np.vstack([groups[g] for g in rest]))
        best = int(np.argmax(sr_in))
        # Rank 1..N from worst to best; stable so ties keep column order.
        rank = int(np.argsort(np.argsort(sr_out, kind="stable"), kind="stable")[best]) + 1
        omega = rank / (n + 1.0)
        logits.append(math.log(omega / (1.0 - omega)))
    lam = np.asarray(logits)
    return PBOResult(float(np.mean(lam <= 0)), lam, len(lam), n)
