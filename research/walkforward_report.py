"""How a walk-forward reads: the per-fold table (chosen parameters, in-sample metric and its
deflated Sharpe, out-of-sample metrics) as a terminal table that fits 100 columns, and as a
self-contained HTML report with the stitched out-of-sample equity.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research.engine.display import thin
from research.errors import ResearchInputError

if TYPE_CHECKING:
    from rich.table import Table

    from research.walkforward import WalkForwardResult

# Metrics read as percentages (2 decimals); the other ratios get 2 decimals.
PERCENT_METRICS = frozenset(
    {"total_return", "cagr", "volatility", "max_drawdown", "win_rate", "exposure"}
)
COUNT_METRICS = frozenset({"trades", "trials"})
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
.meta { color: #666; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
"""


def format_value(name: str, value: Any) -> str:
    """A metric as a quant reads it: 1.87%, 0.53, 1,204; n/a for a missing one."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    bare = name.removeprefix("is_").removeprefix("oos_")
    if bare in COUNT_METRICS:
        return f"{value:,.0f}"
    if bare in PERCENT_METRICS:
        return f"{value:.2%}"
    if bare == "final_equity":
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _params(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row["params"].items())


def _period(start: Any, end: Any) -> str:
    return f"{start:%Y-%m-%d}→{end:%Y-%m-%d}"


def terminal_columns(
    metric: str, swept: list[str]
) -> list[tuple[str, Callable[[dict[str, Any]], str]]]:
    """(header, cell of a fold row): the compact table's columns. Headers take two lines and
    only the swept parameters are shown, so the numbers leave the parameters room."""

    def chosen(row: dict[str, Any]) -> str:
        shown = {k: v for k, v in row["params"].items() if not swept or k in swept}
        return ", ".join(f"{k}={v}" for k, v in shown.items())

    return [
        ("fold", lambda r: str(r["fold"])),
        ("test\nperiod", lambda r: _period(r["test_start"], r["test_end"])),
        ("chosen\nparameters", chosen),
        (f"IS\n{metric}", lambda r: format_value(metric, r[f"is_{metric}"])),
        ("IS\nDSR", lambda r: format_value("dsr", r["is_dsr"])),
        ("OOS\nSharpe", lambda r: format_value("sharpe", r["oos_sharpe"])),
        ("OOS\nreturn", lambda r: format_value("total_return", r["oos_total_return"])),
        ("OOS\nmax DD", lambda r: format_value("max_drawdown", r["oos_max_drawdown"])),
        ("OOS\ntrades", lambda r: format_value("trades", r["oos_trades"])),
    ]


def _rows(result: WalkForwardResult) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in result.folds.to_dict(orient="records")]


def settings_line(result: WalkForwardResult) -> str:
    """The costs line, and the account and rebalance settings when the result records them."""
    return "; ".join(part for part in (result.costs.describe(), result.account) if part)


def walkforward_table(result: WalkForwardResult, title: str) -> Table:
    """The per-fold table for the terminal: dates to the day, numbers formatted, costs in the
    caption; fits a 100-column terminal (the parameters wrap when there are many)."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=escape(title), caption=escape(result.costs.describe()), box=box.SIMPLE_HEAD,
        padding=(0, 1), collapse_padding=True,
    )  # fmt: skip
    columns = terminal_columns(result.metric, result.param_names)
    for header, _ in columns:
        wraps = header == "chosen\nparameters"
        table.add_column(escape(header), justify="left" if wraps else "right",
                         no_wrap=not wraps)  # fmt: skip
    for row in _rows(result):
        table.add_row(*(escape(cell(row)) for _, cell in columns))
    return table


def stitched_summary(result: WalkForwardResult) -> str:
    """`stitched out-of-sample: total_return 3.21%, sharpe 0.84, ...`."""
    parts = (f"{k} {format_value(k, v)}" for k, v in result.oos_metrics.items())
    return "stitched out-of-sample: " + ", ".join(parts)


def _html_table(result: WalkForwardResult) -> str:
    frame = result.folds.drop(columns=["params"])
    heads = ["fold", "train period", "test period", "parameters", "trials"]
    heads += [c for c in frame.columns if c.startswith("is_")]
    heads += [c for c in frame.columns if c.startswith("oos_") and c != "oos_periods_per_year"]
    head = "".join(f"<th>{html.escape(_heading(h, result.metric))}</th>" for h in heads)
    body = []
    for row in _rows(result):
        cells = [
            str(row["fold"]),
            _period(row["train_start"], row["train_end"]),
            _period(row["test_start"], row["test_end"]),
            _params(row),
            format_value("trials", row["trials"]),
            *(format_value(h, row[h]) for h in heads[5:]),
        ]
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return (
        f'<table class="gauntlet-folds"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _heading(column: str, metric: str) -> str:
    if column == "is_dsr":
        return "IS deflated Sharpe"
    if column.startswith("is_"):
        return f"IS {column.removeprefix('is_')}"
    if column.startswith("oos_"):
        return f"OOS {column.removeprefix('oos_')}"
    return column


def _equity_chart(result: WalkForwardResult) -> str:
    import plotly.graph_objects as go

    equity = thin(result.oos_equity)
    fig = go.Figure(go.Scatter(x=equity.index, y=equity, name="stitched OOS equity"))
    fig.update_layout(height=360, margin={"l": 60, "r": 20, "t": 30, "b": 40},
                      yaxis_title="account value")  # fmt: skip
    return str(fig.to_html(full_html=False, include_plotlyjs=False))


def render_walkforward_report(result: WalkForwardResult, title: str) -> str:
    """One self-contained HTML page (plotly.js inlined): settings and costs, the per-fold
    table with each fold's deflated Sharpe, the stitched metrics and equity."""
    from plotly.offline import get_plotlyjs

    extras = result.extras
    settings = (
        f"{result.mode}, {extras.get('n_folds', len(result.folds))} folds, in-sample/"
        f"out-of-sample ratio {extras.get('ratio', '?')}, {extras.get('method', '?')} search "
        f"selecting by {result.metric}; data fingerprint "
        f"{str(extras.get('data_fingerprint', ''))[:16]}"
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='meta'>{html.escape(settings)}; generated "
        f"{generated}</p><p class='costs'>{html.escape(settings_line(result))}</p>"
        f"<h2>Folds</h2>{_html_table(result)}"
        f"<h2>Stitched out-of-sample</h2><p>{html.escape(stitched_summary(result))}</p>"
        f"{_equity_chart(result)}</body></html>"
    )


def write_walkforward_report(result: WalkForwardResult, path: str | Path, title: str) -> Path:
    target = Path(path)
    try:
        target.write_text(render_walkforward_report(result, title), encoding="utf-8")
    except OSError as exc:
        raise ResearchInputError(
            f"cannot write walk-forward report {target}: {exc.strerror or exc}"
        ) from None
    return target
