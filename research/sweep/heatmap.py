"""The sweep heatmap a quant can read: every cell shows its metric and its trade count, cells
with too few trades to rank are grey and marked, and the title names data, costs and metric."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research.engine.display import DIVERGING_COLORSCALE

if TYPE_CHECKING:
    from research.sweep.result import SweepResult

EXCLUDED_COLOUR = "#d9d9d9"  # cells of combinations with fewer trades than --min-trades


def best_cells(result: SweepResult, x: str, y: str, metric: str) -> pd.DataFrame:
    """One row per (x, y) cell: the combination with the best `metric` there (more than two
    swept parameters put several in a cell; NaN metrics never win)."""
    ranked = result.table.sort_values(metric, ascending=False, na_position="last", kind="stable")
    return ranked.drop_duplicates([y, x], keep="first")


def cell_text(value: float, trades: float, excluded: bool) -> str:
    """`1.23<br>45 tr` (`✕ excluded` added below the cells that are not ranked)."""
    shown = "n/a" if not math.isfinite(value) else f"{value:.2f}"
    count = "?" if not math.isfinite(trades) else f"{int(trades):,}"
    return f"{shown}<br>{count} tr" + ("<br>✕ excluded" if excluded else "")


def heatmap_figure(
    result: SweepResult, x: str, y: str, metric: str, *, min_trades: int = 0,
    data: str | None = None,
) -> Any:  # fmt: skip
    import plotly.graph_objects as go

    cells = best_cells(result, x, y, metric).copy()
    cells["_excluded"] = ~result.eligible(min_trades).loc[cells.index]
    if "trades" not in cells.columns:
        cells["trades"] = np.nan
    cells["_text"] = [
        cell_text(float(v), float(t), bool(e))
        for v, t, e in zip(cells[metric], cells["trades"], cells["_excluded"], strict=True)
    ]

    def grid(values: str) -> pd.DataFrame:
        return cells.pivot(index=y, columns=x, values=values)

    z, text, excluded = grid(metric), grid("_text"), grid("_excluded").fillna(False).astype(bool)
    xs, ys = z.columns.astype(str), z.index.astype(str)
    ranked = z.to_numpy(dtype=np.float64).copy()
    ranked[excluded.to_numpy()] = np.nan
    words = text.fillna("").to_numpy()
    fig = go.Figure([
        go.Heatmap(
            z=ranked, x=xs, y=ys, colorscale=DIVERGING_COLORSCALE, colorbar={"title": metric},
            text=np.where(excluded.to_numpy(), "", words), texttemplate="%{text}",
            hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{metric}=%{{z:.4g}}<extra></extra>",
        ),
        go.Heatmap(
            z=np.where(excluded.to_numpy(), 0.0, np.nan), x=xs, y=ys, showscale=False,
            colorscale=[[0, EXCLUDED_COLOUR], [1, EXCLUDED_COLOUR]], hoverinfo="skip",
            text=np.where(excluded.to_numpy(), words, ""), texttemplate="%{text}",
            name="excluded",
        ),
    ])  # fmt: skip
    fig.update_layout(title=heatmap_title(result, metric, min_trades, data),
                      xaxis_title=x, yaxis_title=y)  # fmt: skip
    return fig


def heatmap_title(result: SweepResult, metric: str, min_trades: int, data: str | None) -> str:
    """`sma_cross: sharpe on eurusd.csv (costs: spread 0.0001), min 10 trades`."""
    source = data or (f"data {result.data_fingerprint[:12]}" if result.data_fingerprint else "")
    title = f"{result.strategy}: {metric}" + (f" on {source}" if source else "")
    title += f" ({result.costs.describe()})"
    if min_trades:
        title += f", min {min_trades} trades (grey: excluded)"
    return title
