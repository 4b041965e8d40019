"""Result presentation: --json dict, rich summary, notebook HTML, plotly figure, HTML report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from rich.table import Table

from research import BacktestResult, backtest, write_report
from research.engine import display
from research.errors import ResearchInputError
from strategies import EmaCross, SmaCross, Strategy, StrategyParams
from tests.fixtures.bars import make_bars

JSON_KEYS = {
    "trades", "final_equity", "total_return", "cagr", "sharpe", "sortino", "max_drawdown",
    "calmar", "win_rate", "profit_factor", "exposure", "volatility", "expectancy", "turnover",
    "periods_per_year", "strategy", "params", "engine", "config", "data_fingerprint",
}  # fmt: skip


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    return backtest(SmaCross(fast=5, slow=20), make_bars(300, seed=2), commission=1e-4)


def test_to_dict_is_the_json_contract(result: BacktestResult) -> None:
    out = result.to_dict()
    assert set(out) >= JSON_KEYS
    assert out["trades"] == result.metrics.trades
    assert out["final_equity"] == result.equity.iloc[-1]
    assert out["config"]["costs"]["commission"] == 1e-4
    assert out["bars"] == 300
    json.dumps(out, allow_nan=False)  # raises on NaN/inf


class Flat(Strategy[StrategyParams]):
    """Never holds a position (a warm-up longer than the data is refused, so flat is this)."""

    name = "flat"
    Params = StrategyParams

    @property
    def warmup(self) -> int:
        return 0

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        return pd.Series(0.0, index=bars.index)


def test_nan_and_inf_become_null() -> None:
    flat = backtest(Flat(), make_bars(100))  # never trades
    out = flat.to_dict()
    assert math.isnan(flat.metrics.sharpe)
    assert out["sharpe"] is None
    assert out["trades"] == 0
    assert json.loads(json.dumps(out, allow_nan=False))["win_rate"] is None


def test_summary_lists_every_metric(result: BacktestResult) -> None:
    table = result.summary()
    assert isinstance(table, Table)
    console = Console(record=True, width=120)
    console.print(table)
    text = console.export_text()
    for _, name, _ in display.METRIC_ROWS:
        assert name in text
    assert f"{result.metrics.sharpe:.3f}" in text


def test_notebook_html_has_table_and_chart(result: BacktestResult) -> None:
    html = result._repr_html_()
    assert '<table class="gauntlet-metrics">' in html
    assert "Max drawdown" in html
    assert "Plotly.newPlot" in html


def test_figure_has_equity_and_drawdown(result: BacktestResult) -> None:
    fig = result.figure()
    assert len(fig.data) == 2
    equity, drawdown = fig.data
    assert list(equity.y) == result.equity.tolist()
    assert max(drawdown.y) == 0.0
    assert min(drawdown.y) == pytest.approx(result.metrics.max_drawdown)


def test_long_curves_are_thinned_for_charts() -> None:
    long = backtest(SmaCross(fast=5, slow=20), make_bars(12_000, seed=1))
    equity_trace = long.figure().data[0]
    assert len(equity_trace.y) <= display.MAX_CHART_POINTS + 1
    assert equity_trace.y[-1] == long.equity.iloc[-1]


def test_report_is_self_contained(result: BacktestResult, tmp_path: Path) -> None:
    other = backtest(EmaCross(fast=5, slow=20), make_bars(300, seed=2))
    path = write_report([result, other], tmp_path / "sub" / "report.html")
    text = path.read_text(encoding="utf-8")
    assert path.exists()
    assert "sma_cross(fast=5, slow=20, allow_short=True, entry=state)" in text
    assert "ema_cross(fast=5, slow=20, allow_short=True, entry=state)" in text
    assert "<script src=" not in text  # no network: plotly.js is inlined
    assert len(text) > 3_000_000  # ... which is about 3.5 MB
    assert text.count('class="plotly-graph-div"') == 1  # one chart for all results
    assert f"Trades (first {min(20, len(result.trades))} of {len(result.trades)})" in text


def test_report_needs_a_result(tmp_path: Path) -> None:
    with pytest.raises(ResearchInputError, match="at least one result"):
        write_report([], tmp_path / "r.html")
