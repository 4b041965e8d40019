"""`backtest(...)`: the one entry point to both engines.

>>> from research import backtest
>>> result = backtest("sma_cross", bars, params={"fast": 10, "slow": 30}, commission=1e-4)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from research.engine.config import BacktestConfig, Costs
from research.engine.warmup import warmup_problem
from research.errors import ResearchInputError

if TYPE_CHECKING:
    import pandas as pd

    from research.engine.result import BacktestResult
    from strategies.base import Strategy

Engine = Literal["vectorized", "event"]
ENGINES: tuple[str, ...] = ("vectorized", "event")


def backtest(
    strategy: Strategy[Any] | str,
    bars: pd.DataFrame,
    config: BacktestConfig | None = None,
    *,
    params: dict[str, Any] | None = None,
    engine: Engine = "vectorized",
    instrument: str | None = None,
    volume_limit: float | None = None,
    **config_overrides: Any,
) -> BacktestResult:
    """Backtest a strategy (object, or registered name + `params`) on bars.

    `config_overrides` replace fields of `config` (or of the default config); cost fields
    (commission, commission_per_unit, spread, slippage, financing_long, financing_short)
    may be given flat. `instrument` names a single-instrument series in trades and results.
    `volume_limit` (engine="event" only): the fraction of a bar's volume one order may take
    (research.engine.event).
    """
    built = _build_strategy(strategy, params)
    resolved = resolve_config(config, config_overrides)
    problem = warmup_problem(built, len(bars))
    if problem is not None:
        raise ResearchInputError(problem)
    if engine == "vectorized":
        if volume_limit is not None:
            raise ResearchInputError(
                "volume_limit applies to engine='event' only: the vectorized engine has no "
                "volume model"
            )
        from research.engine.vectorized import run_vectorized

        return run_vectorized(built, bars, resolved, instrument=instrument)
    if engine == "event":
        return _run_event(built, bars, resolved, instrument, volume_limit)
    raise ResearchInputError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")


def resolve_config(config: BacktestConfig | None, overrides: dict[str, Any]) -> BacktestConfig:
    """`config` (or the default) with `overrides` applied and validated."""
    if not overrides:
        return config or BacktestConfig()  # a BacktestConfig is frozen and already valid
    base = (config or BacktestConfig()).model_dump()
    cost_fields = set(Costs.model_fields)
    for key, value in overrides.items():
        if key in cost_fields:
            base["costs"][key] = value
        elif key in BacktestConfig.model_fields:
            base[key] = value
        else:
            known = ", ".join(sorted({*BacktestConfig.model_fields, *cost_fields} - {"costs"}))
            raise ResearchInputError(f"unknown backtest setting {key!r} (known: {known})")
    try:
        return BacktestConfig.model_validate(base)
    except ValidationError as err:
        raise ResearchInputError(_describe(err)) from None


def _describe(err: ValidationError) -> str:
    parts = [
        f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']} (got {e.get('input')!r})"
        if e["loc"]
        else str(e["msg"]).removeprefix("Value error, ")  # a rule across fields: no one input
        for e in err.errors()
    ]
    return "invalid backtest config: " + "; ".join(parts)


def _build_strategy(strategy: Strategy[Any] | str, params: dict[str, Any] | None) -> Strategy[Any]:
    from strategies import plugins
    from strategies.base import Strategy

    if isinstance(strategy, str):
        return plugins.create(strategy, **(params or {}))
    if not isinstance(strategy, Strategy):
        raise ResearchInputError(
            f"strategy must be a Strategy or a registered name, got {type(strategy).__name__}"
        )
    if params:
        raise ResearchInputError("params= only applies when the strategy is given by name")
    return strategy


def _run_event(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    config: BacktestConfig,
    instrument: str | None,
    volume_limit: float | None = None,
) -> BacktestResult:
    try:
        module = importlib.import_module("research.engine.event")
    except ModuleNotFoundError as err:
        if err.name != "research.engine.event":
            raise  # the event engine exists but one of its own imports is missing
        raise ResearchInputError("event engine not available") from None
    result: BacktestResult = module.run_event(
        strategy, bars, config, instrument=instrument, volume_limit=volume_limit
    )
    return result
