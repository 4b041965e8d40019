"""The result of a backtest, identical in shape for the vectorized and event-driven engines.

Reports, `--json`, sweeps, promotion gates and the dashboard all read this one schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from research.engine.config import BacktestConfig
from research.metrics import Metrics

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from rich.table import Table

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
    "exit_reason",  # why the exit order was placed: "target" | "rebalance" | "stop_out"; "" if open
)


@dataclass
class BacktestResult:
    """What a backtest produced. Series are indexed by bar time (UTC)."""

    strategy: dict[str, Any]  # {"strategy": name, "params": {...}}: reproduces the run
    config: BacktestConfig
    engine: str  # "vectorized" | "event"
    equity: pd.Series  # account value at each bar close
    returns: pd.Series  # simple returns of `equity` from config.cash: r_0 = E_0 / cash - 1
    target: pd.Series | pd.DataFrame  # the strategy's output
    position: pd.Series | pd.DataFrame  # units held at each bar close (signed)
    trades: pd.DataFrame  # TRADE_COLUMNS
    metrics: Metrics
    data_fingerprint: str = ""  # content hash of the bars
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The `gauntlet backtest --json` object: metrics at the top level, then provenance.

        NaN and infinities become None (JSON null).
        """
        from research.engine.display import json_safe

        index = self.equity.index
        out: dict[str, Any] = {
            **self.metrics.model_dump(),
            "strategy": self.strategy.get("strategy"),
            "params": self.strategy.get("params", {}),
            "engine": self.engine,
            "config": self.config.model_dump(mode="json"),
            "data_fingerprint": self.data_fingerprint,
            "bars": len(index),
            "start": index[0].isoformat() if len(index) else None,
            "end": index[-1].isoformat() if len(index) else None,
        }
        return dict(json_safe(out))

    def summary(self, title: str = "Backtest") -> Table:
        """The metrics as a rich table (print it with `rich.print`)."""
        from research.engine.display import rich_table

        return rich_table([self], title=title)

    def figure(self) -> go.Figure:
        """Plotly figure: equity on top, drawdown below."""
        from research.engine.display import equity_drawdown_figure

        return equity_drawdown_figure([self])

    def _repr_html_(self) -> str:
        """Notebook view: the metrics table and the equity/drawdown chart.

        Self-contained: plotly.js is inlined in every one (no network, and a result shown or
        saved on its own still draws its chart).
        """
        from research.engine.display import metrics_table_html, notebook_figure_html

        return metrics_table_html([self]) + notebook_figure_html(self.figure())
