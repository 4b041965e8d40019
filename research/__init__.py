"""Research: market data, the vectorized engine, metrics, reports.

>>> from research import backtest
>>> result = backtest("sma_cross", bars, params={"fast": 10, "slow": 30})

Names are resolved lazily so `import research` stays fast; the engine imports vectorbt
only when a backtest runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from research.engine.config import BacktestConfig, Costs
    from research.engine.result import BacktestResult
    from research.engine.run import backtest
    from research.metrics import Metrics
    from research.report import write_report

__all__ = ["BacktestConfig", "BacktestResult", "Costs", "Metrics", "backtest", "write_report"]

_EXPORTS: dict[str, str] = {
    "BacktestConfig": "research.engine.config",
    "Costs": "research.engine.config",
    "BacktestResult": "research.engine.result",
    "Metrics": "research.metrics",
    "backtest": "research.engine.run",
    "write_report": "research.report",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'research' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # resolve once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
