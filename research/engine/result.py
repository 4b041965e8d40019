"""The result of a backtest, identical in shape for the vectorized and event-driven engines.

Reports, `--json`, sweeps, promotion gates and the dashboard all read this one schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from research.engine.config import BacktestConfig

# Columns of `BacktestResult.trades`, one row per closed (or still open, at the end) trade.
TRADE_COLUMNS: tuple[str, ...] = (
    "instrument",
    "side",  # "long" | "short"
    "size",  # units, positive
    "entry_time",
    "entry_price",
    "exit_time",  # NaT while open
    "exit_price",  # last close while open
    "pnl",  # account currency, after costs
    "return",  # pnl / entry notional
    "fees",  # account currency
    "status",  # "closed" | "open"
)


class Metrics(BaseModel):
    """Performance metrics; formulas and annualization are documented in research.metrics."""

    model_config = ConfigDict(frozen=True)

    trades: int
    final_equity: float
    total_return: float
    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    calmar: float
    win_rate: float
    profit_factor: float
    expectancy: float
    exposure: float
    turnover: float
    periods_per_year: float


@dataclass
class BacktestResult:
    """What a backtest produced. Series are indexed by bar time (UTC)."""

    strategy: dict[str, Any]  # {"strategy": name, "params": {...}}: reproduces the run
    config: BacktestConfig
    engine: str  # "vectorized" | "event"
    equity: pd.Series  # account value at each bar close
    returns: pd.Series  # simple returns of `equity`
    target: pd.Series | pd.DataFrame  # the strategy's output
    position: pd.Series | pd.DataFrame  # units held at each bar close (signed)
    trades: pd.DataFrame  # TRADE_COLUMNS
    metrics: Metrics
    data_fingerprint: str = ""  # content hash of the bars
    extras: dict[str, Any] = field(default_factory=dict)
