"""How results look: metric labels and formats, the equity/drawdown figure, tables.

Shared by `BacktestResult` (notebook repr, `summary()`), `research.report` and
`research.tearsheet`.
plotly and rich are imported inside the functions that need them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from research.engine.config import BacktestConfig
from research.metrics import Metrics, drawdown

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from rich.table import Table


class ResultView(Protocol):
    """What this module reads of a result (`BacktestResult` is one). A Protocol, not the
    class: `BacktestResult` presents itself with these functions, so importing it here
    would make the two modules import each other."""

    @property
    def strategy(self) -> dict[str, Any]: ...
    @property
    def engine(self) -> str: ...
    @property
    def config(self) -> BacktestConfig: ...
    @property
    def equity(self) -> pd.Series: ...
    @property
    def trades(self) -> pd.DataFrame: ...
    @property
    def metrics(self) -> Metrics: ...


# The one diverging colourscale of heatmaps (sweeps, monthly returns), HTML and PNG alike.
DIVERGING_COLORSCALE = "RdYlGn"
MAX_CHART_POINTS = 5_000  # beyond this the chart shows every k-th bar (browsers choke otherwise)

# (field of Metrics, label, format): the order in which every table lists the metrics.
METRIC_ROWS: tuple[tuple[str, str, str], ...] = (
    ("trades", "Trades", "{:,.0f}"),
    ("final_equity", "Final equity", "{:,.2f}"),
    ("total_return", "Total return", "{:.2%}"),
    ("cagr", "CAGR", "{:.2%}"),
    ("volatility", "Annualized volatility", "{:.2%}"),
    ("sharpe", "Sharpe", "{:.3f}"),
    ("sortino", "Sortino", "{:.3f}"),
    ("max_drawdown", "Max drawdown", "{:.2%}"),
    ("calmar", "Calmar", "{:.3f}"),
    ("win_rate", "Win rate", "{:.2%}"),
    ("profit_factor", "Profit factor", "{:.3f}"),
    ("expectancy", "Expectancy (per trade)", "{:,.2f}"),
    ("exposure", "Exposure", "{:.2%}"),
    ("turnover", "Turnover (× equity / year)", "{:,.2f}"),
    ("periods_per_year", "Periods per year", "{:,.0f}"),
)


# Rows shown only when some result has a non-zero count (ADR 0002 §12): noise otherwise.
MARGIN_ROWS: tuple[tuple[str, str, str], ...] = (
    ("margin_calls", "Margin calls", "{:,.0f}"),
    ("stop_outs", "Stop-outs", "{:,.0f}"),
)


def metric_rows(results: Sequence[ResultView]) -> tuple[tuple[str, str, str], ...]:
    """METRIC_ROWS, then the margin counts that any of `results` has."""
    shown = [row for row in MARGIN_ROWS if any(getattr(r.metrics, row[0]) for r in results)]
    return METRIC_ROWS + tuple(shown)


def format_metric(value: float, fmt: str) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return fmt.format(value)


def label(result: ResultView) -> str:
    """`sma_cross(fast=10, slow=30)`: names a result in tables and legends."""
    params = ", ".join(f"{k}={v}" for k, v in result.strategy.get("params", {}).items())
    return f"{result.strategy.get('strategy', '?')}({params})"


def settings_line(config: BacktestConfig) -> str:
    """`costs: …; account: margin (call 100%, stop-out 50%), rebalance: off`."""
    return f"{config.costs.describe()}; {config.describe_account()}"


def costs_line(results: Sequence[ResultView]) -> str:
    """The costs, account and rebalancing the results were simulated with: one line, per
    result when they differ."""
    lines = {settings_line(result.config) for result in results}
    if len(lines) <= 1:
        return next(iter(lines), "")
    return "; ".join(f"{label(r)}: {settings_line(r.config)}" for r in results)


def metric_cells(
    metrics: Metrics, rows: tuple[tuple[str, str, str], ...] = METRIC_ROWS
) -> list[str]:
    return [format_metric(getattr(metrics, field), fmt) for field, _, fmt in rows]


def rich_table(results: Sequence[ResultView], title: str = "Backtest") -> Table:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, caption=escape(costs_line(results)))
    table.add_column("metric", style="bold")
    for result in results:
        table.add_column(escape(f"{label(result)} [{result.engine}]"), justify="right")
    rows = metric_rows(results)
    columns = [metric_cells(result.metrics, rows) for result in results]
    for i, (_, name, _) in enumerate(rows):
        table.add_row(name, *(cells[i] for cells in columns))
    return table


def metrics_table_html(results: Sequence[ResultView]) -> str:
    head = "".join(f"<th>{html.escape(label(r))} [{r.engine}]</th>" for r in results)
    rows = metric_rows(results)
    columns = [metric_cells(result.metrics, rows) for result in results]
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{html.escape(cells[i])}</td>" for cells in columns)
        + "</tr>"
        for i, (_, name, _) in enumerate(rows)
    )
    return (
        '<table class="gauntlet-metrics">'
        f'<caption class="gauntlet-costs">{html.escape(costs_line(results))}</caption>'
        f"<thead><tr><th>metric</th>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def trades_table_html(result: ResultView, rows: int = 20) -> str:
    """The first `rows` trades as an HTML table (all when there are fewer)."""
    head = result.trades.head(rows)
    return str(head.to_html(index=False, float_format=lambda x: f"{x:,.6g}", na_rep="", border=0))


def equity_drawdown_figure(results: Sequence[ResultView]) -> go.Figure:
    """Equity (top) and drawdown from the running peak, which starts at the starting cash
    (bottom), one trace per result."""
    import plotly.graph_objects as go
    from plotly.colors import DEFAULT_PLOTLY_COLORS
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.7, 0.3],
        vertical_spacing=0.04,
        subplot_titles=("Equity", "Drawdown"),
    )
    palette = DEFAULT_PLOTLY_COLORS
    for i, result in enumerate(results):
        name, color = label(result), palette[i % len(palette)]
        # research.metrics' drawdown: the running peak starts at the starting cash.
        under = drawdown(result.equity.to_numpy(dtype=np.float64), result.config.cash)
        drawdown_ = thin(pd.Series(under, index=result.equity.index))
        equity = thin(result.equity)
        line = {"color": color, "width": 1.2}
        fig.add_trace(
            go.Scatter(x=equity.index, y=equity, name=name, legendgroup=name, line=line), 1, 1
        )
        fig.add_trace(
            go.Scatter(
                x=drawdown_.index,
                y=drawdown_,
                name=name,
                legendgroup=name,
                showlegend=False,
                fill="tozeroy",
                line=line,
            ),
            2,
            1,
        )
    fig.update_yaxes(title_text="account value", row=1, col=1)
    fig.update_yaxes(title_text="drawdown", tickformat=".1%", row=2, col=1)
    fig.update_layout(
        height=560,
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        hovermode="x",
        legend={"orientation": "h", "y": -0.12},
    )
    return fig


def thin(series: pd.Series, max_points: int = MAX_CHART_POINTS) -> pd.Series:
    """Every k-th point (and the last) so a million-bar curve stays a light chart (and a
    light HTML file)."""
    if len(series) <= max_points:
        return series
    step = -(-len(series) // max_points)
    keep = np.zeros(len(series), dtype=bool)
    keep[::step] = True
    keep[-1] = True
    return series[keep]


def json_safe(value: Any) -> Any:
    """NaN and ±inf → None, recursively: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def notebook_figure_html(fig: go.Figure) -> str:
    """The figure as a self-contained HTML fragment: plotly.js inlined every time.

    Inlining keeps notebooks working offline. It was inlined in the first output of a process
    only, so every later result saved or shown on its own (an exported cell, a fresh page)
    drew no chart; plotly.js guards its own re-definition, so repeats on one page are safe.
    """
    return str(fig.to_html(full_html=False, include_plotlyjs=True))
