"""The outcome of a sweep: one row per evaluated parameter set, plus what was skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from research.errors import ResearchInputError
from research.sweep.metrics import METRIC_COLUMNS


@dataclass
class SweepResult:
    strategy: str
    param_names: list[str]  # the swept parameters (table columns before the metrics)
    table: pd.DataFrame  # parameters + METRIC_COLUMNS, in evaluation order
    rejected: list[tuple[dict[str, Any], str]]  # parameter sets the strategy refused, with why
    total: int  # parameter sets requested (valid ones)
    interrupted: bool = False  # Ctrl-C: `table` holds the finished chunks only
    data_fingerprint: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def completed(self) -> int:
        return len(self.table)

    def _check_metric(self, metric: str) -> None:
        if metric not in self.table.columns:
            raise ResearchInputError(
                f"unknown metric {metric!r} (one of: {', '.join(METRIC_COLUMNS)})"
            )

    def sorted(self, metric: str = "sharpe", ascending: bool = False) -> pd.DataFrame:
        self._check_metric(metric)
        return self.table.sort_values(
            metric, ascending=ascending, na_position="last", kind="stable"
        )

    def best(self, metric: str = "sharpe", maximize: bool = True) -> dict[str, Any]:
        """Full parameter set of the best row (NaN metrics never win)."""
        ranked = self.sorted(metric, ascending=not maximize)
        if ranked.empty or not np.isfinite(ranked[metric].iloc[0]):
            raise ResearchInputError(f"no parameter set has a finite {metric}")
        params: dict[str, Any] = ranked["params"].iloc[0]
        return dict(params)

    def heatmap(self, x: str, y: str, metric: str = "sharpe") -> Any:
        """Plotly heatmap of `metric` over a two-parameter grid (other parameters: best value)."""
        import plotly.graph_objects as go

        self._check_metric(metric)
        for name in (x, y):
            if name not in self.table.columns:
                raise ResearchInputError(
                    f"{name!r} is not a swept parameter ({', '.join(self.param_names)})"
                )
        grid = self.table.pivot_table(index=y, columns=x, values=metric, aggfunc="max")
        fig = go.Figure(
            go.Heatmap(
                z=grid.to_numpy(),
                x=grid.columns.astype(str),
                y=grid.index.astype(str),
                colorscale="RdYlGn",
                colorbar={"title": metric},
            )
        )
        fig.update_layout(title=f"{self.strategy}: {metric}", xaxis_title=x, yaxis_title=y)
        return fig

    def to_dict(self, metric: str = "sharpe", top: int = 10) -> dict[str, Any]:
        ranked = self.sorted(metric) if self.completed else self.table
        rows = ranked.drop(columns=["params"]).head(top)
        return {
            "strategy": self.strategy,
            "parameters": self.param_names,
            "combinations": self.total,
            "completed": self.completed,
            "rejected": len(self.rejected),
            "interrupted": self.interrupted,
            "sort_by": metric,
            "data_fingerprint": self.data_fingerprint,
            "top": _json_rows(rows),
            **self.extras,
        }


def _json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        out.append({str(k): _jsonable(v) for k, v in rec.items()})
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
