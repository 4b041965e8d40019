"""Terminal rendering shared by commands: metrics of one or several results side by side."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rich.table import Table

# (field of Metrics, column title, format)
METRIC_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("trades", "trades", "{:,.0f}"),
    ("final_equity", "final equity", "{:,.2f}"),
    ("total_return", "total return", "{:+.2%}"),
    ("cagr", "CAGR", "{:+.2%}"),
    ("volatility", "ann. vol", "{:.2%}"),
    ("sharpe", "Sharpe", "{:.2f}"),
    ("sortino", "Sortino", "{:.2f}"),
    ("max_drawdown", "max DD", "{:.2%}"),
    ("calmar", "Calmar", "{:.2f}"),
    ("win_rate", "win rate", "{:.1%}"),
    ("profit_factor", "profit factor", "{:.2f}"),
    ("exposure", "exposure", "{:.1%}"),
    ("turnover", "turnover/yr", "{:.1f}"),
)


def fmt(value: Any, pattern: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return pattern.format(value)


def metrics_table(results: Mapping[str, Any], title: str = "Backtest metrics") -> Table:
    """One row per named result (anything with a `.metrics` pydantic model)."""
    table = Table(title=title)
    table.add_column("strategy", style="bold cyan", no_wrap=True)
    for _, header, _ in METRIC_COLUMNS:
        table.add_column(header, justify="right")
    for name, result in results.items():
        metrics = result.metrics
        table.add_row(name, *(fmt(getattr(metrics, f), p) for f, _, p in METRIC_COLUMNS))
    return table
