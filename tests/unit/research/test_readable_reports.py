"""Reports a quant can read: costs named everywhere, heatmap cells with values and trade
counts, a minimum-trades filter, a walk-forward report and a 100-column table, formatted
tearsheets, self-contained notebook output, and a look-ahead message that says what changed."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plotly.colors import get_colorscale, unlabel_rgb
from plotly.offline import get_plotlyjs
from rich.console import Console

import research.testing.leaky  # noqa: F401  # registers the leaking strategies
from research import backtest
from research.engine.config import BacktestConfig, Costs
from research.lookahead import check_lookahead
from research.sweep import SweepResult, SweepSettings, sweep
from research.sweep.heatmap import EXCLUDED_COLOUR
from research.tearsheet import plotly_cmap, write_tearsheet
from research.walkforward import WalkForwardResult, walk_forward
from research.walkforward_report import walkforward_table, write_walkforward_report
from strategies import plugins
from tests.fixtures.bars import make_bars


class Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts (header row included), plus the title."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.title = ""
        self._cell: list[str] | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_title:
            self.title += data


def parse(text: str) -> Tables:
    parser = Tables()
    parser.feed(text)
    return parser


COSTS = Costs(commission=5e-5, spread=0.00012, slippage=1e-4)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return make_bars(1_500, seed=11)


# --- costs ---------------------------------------------------------------------------------------


def test_costs_describe_in_bps_and_price_units_and_name_zero_costs() -> None:
    assert COSTS.describe() == "costs: commission 0.50 bps, spread 0.00012, slippage 1.00 bps"
    assert Costs().free
    assert Costs().describe() == "costs: none (all zero)"
    assert not Costs(financing_short=0.02).free
    assert "financing short 200.00 bps/yr" in Costs(financing_short=0.02).describe()


def test_backtest_tables_and_reports_name_their_costs(bars: pd.DataFrame, tmp_path: Path) -> None:
    from research.report import write_report

    result = backtest("sma_cross", bars, params={"fast": 10, "slow": 50}, costs=COSTS)
    console = Console(width=120, record=True)
    console.print(result.summary())
    assert COSTS.describe() in console.export_text()
    page = write_report(result, tmp_path / "r.html").read_text()
    assert COSTS.describe() in page
    sheet = write_tearsheet(result, bars, tmp_path / "t.html").read_text()
    assert COSTS.describe() in sheet


# --- sweeps --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def swept(bars: pd.DataFrame) -> SweepResult:
    settings = SweepSettings(workers=1, config=backtest_config())
    return sweep("sma_cross", bars, {"fast": [5, 10, 20], "slow": [40, 80, 160]}, settings)


def backtest_config() -> BacktestConfig:
    return BacktestConfig(costs=COSTS)


def test_min_trades_excludes_combinations_from_the_ranking(swept: SweepResult) -> None:
    trades = swept.table["trades"]
    cut = int(trades.median())
    ranked = swept.sorted("sharpe", min_trades=cut)
    assert len(ranked) == int((trades >= cut).sum()) < len(swept.table)
    assert (ranked["trades"] >= cut).all()
    payload = swept.to_dict("sharpe", top=100, min_trades=cut)
    assert payload["excluded"] == int((trades < cut).sum())
    assert all(row["trades"] >= cut for row in payload["top"])
    assert payload["costs"]["spread"] == pytest.approx(0.00012)


def test_heatmap_cells_show_value_and_trades_and_grey_the_excluded(
    swept: SweepResult, tmp_path: Path
) -> None:
    cut = int(swept.table["trades"].median())
    fig = swept.heatmap("fast", "slow", "sharpe", min_trades=cut, data="eurusd_h1.csv")
    path = tmp_path / "h.html"
    fig.write_html(path, include_plotlyjs="inline")
    # The figure as the page carries it: Plotly.newPlot(id, data, layout, ...).
    text = path.read_text()
    start = text.rindex("Plotly.newPlot(")  # the page's call, after plotly.js itself
    decoder = json.JSONDecoder()
    ranked_and_excluded, end = decoder.raw_decode(text, text.index("[", start))
    layout, _ = decoder.raw_decode(text, text.index("{", end))
    ranked, excluded = ranked_and_excluded
    title = layout["title"]["text"]
    for part in ("sma_cross", "sharpe", "eurusd_h1.csv", COSTS.describe(), f"min {cut} trades"):
        assert part in title, title
    row_of = {str(v): i for i, v in enumerate(ranked["y"])}
    col_of = {str(v): j for j, v in enumerate(ranked["x"])}
    for rec in swept.table.to_dict(orient="records"):
        i, j = row_of[str(rec["slow"])], col_of[str(rec["fast"])]
        shown = ranked["text"][i][j] or excluded["text"][i][j]
        assert f"{rec['sharpe']:.2f}" in shown
        assert f"{int(rec['trades']):,} tr" in shown
        is_out = rec["trades"] < cut
        assert ("excluded" in shown) == is_out
        assert (ranked["z"][i][j] is None) == is_out  # not coloured as if ranked
        assert (excluded["z"][i][j] is not None) == is_out  # drawn grey instead
    assert excluded["colorscale"][0][1] == EXCLUDED_COLOUR


# --- walk-forward --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walked(bars: pd.DataFrame) -> WalkForwardResult:
    settings = SweepSettings(workers=1, config=backtest_config())
    space = {"fast": [5, 10], "slow": [40, 80]}
    return walk_forward("sma_cross", bars, space, settings, n_folds=4, ratio=2)


def test_walkforward_terminal_table_fits_100_columns(walked: WalkForwardResult) -> None:
    console = Console(width=100, record=True)
    console.print(walkforward_table(walked, "sma_cross on eurusd_h1.csv: walk-forward"))
    text = console.export_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    rule = next(i for i, line in enumerate(lines) if set(line.strip()) == {"─"})
    body = [line for line in lines[rule + 1 :] if line.strip() and "costs:" not in line]
    assert len(body) == len(walked.folds)  # one line per fold: nothing wrapped
    for line, fold in zip(body, walked.folds.to_dict(orient="records"), strict=True):
        assert line.split()[0] == str(fold["fold"])
        assert f"fast={fold['fast']}, slow={fold['slow']}" in line
        assert f"{fold['oos_total_return']:.2%}" in line  # percentages with 2 decimals
    assert "DSR" in text
    assert COSTS.describe() in text


def test_walkforward_html_report_has_the_fold_table_with_deflated_sharpe(
    walked: WalkForwardResult, tmp_path: Path
) -> None:
    path = write_walkforward_report(walked, tmp_path / "wf.html", "sma_cross walk-forward")
    text = path.read_text()
    page = parse(text)
    assert page.title == "sma_cross walk-forward"
    header, *rows = page.tables[0]
    assert "IS deflated Sharpe" in header
    assert "OOS sharpe" in header
    assert len(rows) == len(walked.folds)
    dsr = header.index("IS deflated Sharpe")
    for row, expected in zip(rows, walked.folds["is_dsr"], strict=True):
        assert row[dsr] == ("n/a" if np.isnan(expected) else f"{expected:.2f}")
    assert COSTS.describe() in text
    assert get_plotlyjs()[:200] in text
    assert "<script src=" not in text


# --- tearsheets ----------------------------------------------------------------------------------


def test_tearsheet_titles_with_the_strategy_and_formats_numbers(
    bars: pd.DataFrame, tmp_path: Path
) -> None:
    result = backtest("sma_cross", bars, params={"fast": 10, "slow": 50})
    page = parse(write_tearsheet(result, bars, tmp_path / "t.html").read_text())
    assert page.title.startswith("sma_cross(fast=10, slow=50")
    metrics = dict(page.tables[0])
    assert re.fullmatch(r"-?\d+\.\d\d%", metrics["Total return"])
    assert re.fullmatch(r"-?\d+\.\d\d%", metrics["Max drawdown"])
    assert re.fullmatch(r"-?\d+\.\d{2,3}|n/a", metrics["Sharpe"])
    assert not any(re.search(r"\d\.\d{5,}", value) for value in metrics.values())


def test_png_heatmap_uses_the_html_colourscale_with_a_colour_bar(
    bars: pd.DataFrame, tmp_path: Path
) -> None:
    import matplotlib.pyplot as plt

    cmap = plotly_cmap("RdYlGn")
    for at, colour in get_colorscale("RdYlGn"):
        expected = np.array(unlabel_rgb(colour)) / 255
        assert np.allclose(cmap(float(at))[:3], expected, atol=1 / 255)
    result = backtest("sma_cross", bars, params={"fast": 10, "slow": 50})
    figures_before = set(plt.get_fignums())
    closed: list[object] = []
    original = plt.close

    def keep(fig: object = None) -> None:
        closed.append(fig)
        original(fig)  # the figure write_png hands over

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plt, "close", keep)
        write_tearsheet(result, bars, tmp_path / "t.html", png=tmp_path / "t.png")
    fig = closed[-1]
    assert set(plt.get_fignums()) == figures_before
    heat = fig.axes[2]
    image = heat.images[0]
    assert image.cmap.name == "plotly_RdYlGn"
    assert -image.norm.vmin == pytest.approx(image.norm.vmax)  # centred on 0, as zmid=0
    assert len(fig.axes) == 7  # six panels and the colour bar


# --- notebooks -----------------------------------------------------------------------------------


def test_every_repr_html_is_self_contained(bars: pd.DataFrame) -> None:
    first = backtest("sma_cross", bars, params={"fast": 10, "slow": 50})
    second = backtest("sma_cross", bars, params={"fast": 5, "slow": 40})
    head = get_plotlyjs()[:200]
    for result in (first, second, first):
        html = result._repr_html_()
        assert head in html  # a result saved or shown alone still draws its chart
        assert "Plotly.newPlot" in html


# --- look-ahead ----------------------------------------------------------------------------------


def test_lookahead_leak_says_what_changed(bars: pd.DataFrame) -> None:
    report = check_lookahead(plugins.create("leaky_peek", window=10), bars, n_cuts=8)
    first = report.first_leak
    assert first is not None
    # shift(-1): on the truncated history the last bar has no next close (NaN → -1), so the
    # target is -1 there, and the full history gives the real comparison.
    assert first.truncated_value in (-1.0, 1.0)
    assert first.full_value in (-1.0, 1.0)
    assert first.full_value != first.truncated_value
    assert first.change() == f"{first.truncated_value:g} → {first.full_value:g}"
    payload = report.to_dict()
    assert payload["first_leak_truncated_value"] == first.truncated_value
    assert payload["first_leak_full_value"] == first.full_value


def test_lookahead_nan_change_reads_nan() -> None:
    from research.lookahead import Leak

    leak = Leak(5, 5, pd.Timestamp("2024-01-01", tz="UTC"), 0.0, 1, float("nan"), 0.5)
    assert leak.change() == "NaN → 0.5"


def test_the_demo_metrics_table_names_the_costs(bars: pd.DataFrame) -> None:
    from gauntlet.cli.render import metrics_table

    result = backtest("sma_cross", bars, params={"fast": 10, "slow": 50}, costs=COSTS)
    console = Console(width=200, record=True)
    console.print(metrics_table({"sma_cross": result}))
    assert COSTS.describe() in console.export_text()
