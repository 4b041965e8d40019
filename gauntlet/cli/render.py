"""Terminal rendering shared by commands: metrics side by side, tables of frames."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rich.table import Table

if TYPE_CHECKING:
    from research.engine.config import BacktestConfig

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


# The columns that fit an 80-column terminal.
COMPACT_COLUMNS: tuple[str, ...] = (
    "trades", "total_return", "sharpe", "max_drawdown", "win_rate", "exposure",
)  # fmt: skip


def metrics_table(
    results: Mapping[str, Any],
    title: str = "Backtest metrics",
    columns: tuple[str, ...] | None = None,
) -> Table:
    """One row per named result (anything with a `.metrics` pydantic model); `columns`
    picks fields of METRIC_COLUMNS (default: all of them)."""
    shown = [c for c in METRIC_COLUMNS if columns is None or c[0] in columns]
    table = Table(title=title, caption=costs_caption(results.values()))
    table.add_column("strategy", style="bold cyan", no_wrap=True)
    for _, header, _ in shown:
        table.add_column(header, justify="right")
    for name, result in results.items():
        metrics = result.metrics
        table.add_row(name, *(fmt(getattr(metrics, f), p) for f, _, p in shown))
    return table


def costs_caption(results: Iterable[Any]) -> str | None:
    """The costs and account settings the results were simulated with, once per distinct
    set (Costs.describe, BacktestConfig.describe_account)."""
    from rich.markup import escape

    lines = dict.fromkeys(
        f"{r.config.costs.describe()}; {r.config.describe_account()}"
        for r in results
        if hasattr(r, "config")
    )
    return escape(" | ".join(lines)) if lines else None


def settings_caption(config: BacktestConfig) -> str:
    """The caption of every table of simulated results: the costs line (saying which costs came
    from the instrument's definition) and the account and rebalance settings, rich-escaped."""
    from rich.markup import escape

    from gauntlet.cli.costs import labelled

    return escape(f"{labelled(config.costs)}; {config.describe_account()}")


def cell(value: Any) -> str:
    """A table cell: floats to 4 significant digits, timestamps to the minute."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M"))
    return str(value)


def frame_table(frame: Any, title: str) -> Table:
    """Every column of a pandas DataFrame (sweep rows, walk-forward folds), right-aligned."""
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for row in frame.itertuples(index=False):
        table.add_row(*(cell(v) for v in row))
    return table
