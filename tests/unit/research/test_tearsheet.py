"""Tearsheet HTML is self-contained with the six panels; PNG is a real image."""

import re

import numpy as np
import pytest

from research import backtest
from research.errors import ResearchInputError
from research.saved import load_result, save_result
from research.tearsheet import buy_and_hold, monthly_returns, tearsheet_data, write_tearsheet
from tests.fixtures.bars import make_bars


@pytest.fixture(scope="module")
def run():
    bars = make_bars(3000, seed=8)  # ~4 months of hourly bars
    return bars, backtest("sma_cross", bars, params={"fast": 10, "slow": 40})


def test_html_is_self_contained_with_all_panels(tmp_path, run):
    bars, result = run
    path = write_tearsheet(result, bars, tmp_path / "t.html", png=tmp_path / "t.png")
    text = path.read_text()
    for title in ("Equity vs buy &amp; hold", "Underwater (drawdown)", "Monthly returns",
                  "Rolling", "Trade P&amp;L distribution", "Gross exposure"):  # fmt: skip
        assert title in text or title.replace("&amp;", "&") in text, title
    assert "<script src=" not in text  # plotly.js inlined, opens offline
    assert len(re.findall(r'Plotly\.newPlot\(\s*"', text)) == 6  # one call per panel
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_panel_data(run):
    bars, result = run
    data = tearsheet_data(result, bars["close"])
    assert data.benchmark.iloc[0] == result.config.cash  # both measured from the cash
    assert data.benchmark.iloc[-1] == pytest.approx(
        100_000 * bars.close.iloc[-1] / bars.close.iloc[0]
    )
    assert data.drawdown.max() == 0.0
    assert data.drawdown.min() == pytest.approx(result.metrics.max_drawdown)
    assert len(data.trade_pnl) == result.metrics.trades
    assert data.exposure.iloc[-1] == pytest.approx(
        abs(result.position.iloc[-1]) * bars.close.iloc[-1] / result.equity.iloc[-1]
    )


def test_monthly_returns_compound_to_total():
    bars = make_bars(24 * 95, seed=1)
    eq = bars["close"] * 1000
    table = monthly_returns(eq)
    assert table.shape[0] == 1
    assert list(table.columns) == [1, 2, 3, 4]
    assert np.prod(1 + table.to_numpy()) == pytest.approx(eq.iloc[-1] / eq.iloc[0])


def test_buy_and_hold_panel_is_equal_weight(panel):
    close = panel.xs("close", axis=1, level=1)
    curve = buy_and_hold(close, 10.0)
    rel = close.iloc[-1] / close.iloc[0]
    assert curve.iloc[-1] == pytest.approx(10.0 * rel.mean())


def test_saved_result_round_trip_and_bad_file(tmp_path, run):
    bars, result = run
    path = save_result(result, bars["close"], tmp_path / "r.json")
    loaded, _close = load_result(path)
    assert loaded.metrics == result.metrics
    assert loaded.strategy == result.strategy
    assert loaded.config == result.config
    assert (loaded.position - result.position).abs().max() == 0.0
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ResearchInputError, match="not a Gauntlet result file"):
        load_result(tmp_path / "bad.json")
    with pytest.raises(ResearchInputError, match="not found"):
        load_result(tmp_path / "missing.json")


def test_unwritable_path(tmp_path, run):
    bars, result = run
    with pytest.raises(ResearchInputError, match="cannot write tearsheet"):
        write_tearsheet(result, bars, tmp_path / "nope" / "t.html")


def test_long_series_are_thinned_but_keep_their_ends():
    import pandas as pd

    from research.engine.display import MAX_CHART_POINTS, thin

    s = pd.Series(
        range(123_457), index=pd.date_range("2024", periods=123_457, freq="1min", tz="UTC")
    )
    thinned = thin(s)
    assert len(thinned) <= MAX_CHART_POINTS + 2
    assert thinned.index[0] == s.index[0]
    assert thinned.index[-1] == s.index[-1]
