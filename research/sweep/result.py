"""The outcome of a sweep: one row per evaluated parameter set, plus what was skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from research.engine.config import Costs
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
    costs: Costs = field(default_factory=Costs)  # what every combination was charged

    @property
    def completed(self) -> int:
        return len(self.table)

    def _check_metric(self, metric: str) -> None:
        if metric not in self.table.columns:
            raise ResearchInputError(
                f"unknown metric {metric!r} (one of: {', '.join(METRIC_COLUMNS)})"
            )

    def sorted(
        self, metric: str = "sharpe", ascending: bool = False, min_trades: int = 0
    ) -> pd.DataFrame:
        """The rows ranked by `metric`; with `min_trades`, only those with at least that many
        trades (a Sharpe of two trades is noise, and tops an unfiltered ranking)."""
        self._check_metric(metric)
        ranked = self.table.sort_values(
            metric, ascending=ascending, na_position="last", kind="stable"
        )
        return ranked[self.eligible(min_trades).loc[ranked.index]] if min_trades else ranked

    def eligible(self, min_trades: int = 0) -> pd.Series:
        """Per row: whether it has at least `min_trades` trades (may be ranked)."""
        if not min_trades or "trades" not in self.table.columns:
            return pd.Series(True, index=self.table.index)
        return self.table["trades"] >= min_trades

    def best(self, metric: str = "sharpe", maximize: bool = True) -> dict[str, Any]:
        """Full parameter set of the best row (NaN metrics never win)."""
        ranked = self.sorted(metric, ascending=not maximize)
        if ranked.empty or not np.isfinite(ranked[metric].iloc[0]):
            raise ResearchInputError(f"no parameter set has a finite {metric}")
        params: dict[str, Any] = ranked["params"].iloc[0]
        return dict(params)

    def heatmap(
        self, x: str, y: str, metric: str = "sharpe", *, min_trades: int = 0,
        data: str | None = None,
    ) -> Any:  # fmt: skip
        """Plotly heatmap of `metric` over a two-parameter grid (other parameters: the best
        cell). Each cell shows its value and trade count; cells with fewer than `min_trades`
        trades are grey and marked "excluded"; the title names the data, costs and metric."""
        from research.sweep.heatmap import heatmap_figure

        self._check_metric(metric)
        for name in (x, y):
            if name not in self.table.columns:
                raise ResearchInputError(
                    f"{name!r} is not a swept parameter ({', '.join(self.param_names)})"
                )
        return heatmap_figure(self, x, y, metric, min_trades=min_trades, data=data)

    def to_dict(self, metric: str = "sharpe", top: int = 10, min_trades: int = 0) -> dict[str, Any]:
        ranked = self.sorted(metric, min_trades=min_trades) if self.completed else self.table
        rows = ranked.drop(columns=["params"]).head(top)
        extra: dict[str, Any] = {}
        if min_trades:
            extra = {"min_trades": min_trades, "excluded": int((~self.eligible(min_trades)).sum())}
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
            "costs": self.costs.model_dump(),
            **extra,
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
