"""Self-contained HTML report for one or several backtests.

One file, no network: plotly.js is inlined once in the page head; then a metrics table
(one column per result), the equity and drawdown chart of all results, and the first trades
of each result.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from research.engine.display import (
    equity_drawdown_figure,
    label,
    metrics_table_html,
    trades_table_html,
)
from research.engine.result import BacktestResult
from research.errors import ResearchInputError

TRADES_SHOWN = 20

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
"""


def write_report(
    results: BacktestResult | Iterable[BacktestResult],
    path: str | Path,
    title: str = "Gauntlet backtest report",
) -> Path:
    """Write the report to `path` (parent folders are created); returns the path."""
    items = [results] if isinstance(results, BacktestResult) else list(results)
    if not items:
        raise ResearchInputError("write_report needs at least one result")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(items, title), encoding="utf-8")
    return target


def render_report(results: list[BacktestResult], title: str) -> str:
    from plotly.offline import get_plotlyjs

    chart = equity_drawdown_figure(results).to_html(full_html=False, include_plotlyjs=False)
    sections = "".join(_result_section(r) for r in results)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='meta'>generated {generated}</p>"
        f"<h2>Metrics</h2>{metrics_table_html(results)}"
        f"<h2>Equity and drawdown</h2>{chart}{sections}</body></html>"
    )


def _result_section(result: BacktestResult) -> str:
    index = result.equity.index
    shown = min(TRADES_SHOWN, len(result.trades))
    span = f"{index[0]:%Y-%m-%d %H:%M} → {index[-1]:%Y-%m-%d %H:%M} UTC, {len(index):,} bars"
    return (
        f"<h2>{html.escape(label(result))} — {result.engine} engine</h2>"
        f"<p class='meta'>{html.escape(span)}; {html.escape(result.config.costs.describe())}; "
        f"{html.escape(result.config.describe_account())}; "
        f"data fingerprint {result.data_fingerprint[:16]}…; "
        f"config {html.escape(result.config.model_dump_json())}</p>"
        f"<h3>Trades (first {shown} of {len(result.trades)})</h3>{trades_table_html(result, TRADES_SHOWN)}"
    )
