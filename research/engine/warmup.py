"""A strategy's warm-up against the data it runs on.

A strategy has no opinion (NaN target) for its first `warmup` bars. When that covers every bar
the run has nothing to trade: 0 trades, Sharpe null, and no hint why. That is refused as bad
input, naming both lengths, instead of passing as a result.
"""

from __future__ import annotations

from typing import Any

from strategies.base import Strategy


def warmup_problem(strategy: Strategy[Any], n_bars: int) -> str | None:
    """Why `strategy` cannot run on `n_bars` bars (its warm-up covers them all), or None."""
    warmup = strategy.warmup
    if warmup < n_bars:
        return None
    return (
        f"{strategy.name} needs a warm-up of {warmup:,} bars but the data has "
        f"{n_bars:,} bar{'s' if n_bars != 1 else ''}: no bar would have a position "
        f"(give more data or a shorter warm-up: {_params(strategy)})"
    )


def _params(strategy: Strategy[Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in strategy.params.model_dump().items())
