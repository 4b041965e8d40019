"""Sweeps equal single backtests (1e-9), whatever the chunking and the worker count."""

import numpy as np
import pandas as pd
import pytest

from research import backtest
from research.engine.config import BacktestConfig, Costs, FillAt
from research.errors import ResearchInputError
from research.sweep import Range, SweepSettings, parse_dimension, sweep
from research.sweep import evaluate as ev
from research.sweep.metrics import METRIC_COLUMNS
from research.sweep.space import grid, random
from strategies import SmaCross, Strategy, StrategyParams, plugins
from tests.fixtures.bars import make_bars

CONFIGS = {
    "default": BacktestConfig(),
    "close_costs_financing": BacktestConfig(
        fill="close",
        costs=Costs(
            commission=0.001,
            commission_per_unit=0.01,
            spread=0.0002,
            slippage=0.0001,
            financing_long=0.05,
            financing_short=0.02,
        ),
    ),
    # 2× leverage needs margin below 1 (ADR 0002 §12: the undefined asset's default).
    "vol_target": BacktestConfig(
        size_mode="vol_target",
        vol_target=0.2,
        max_leverage=2.0,
        margin_initial=0.5,
        margin_maintenance=0.25,
    ),
    "units_round_long_only": BacktestConfig(
        size_mode="units", units=1000, round_units=True, direction="long_only"
    ),
}
SPACES = {
    "sma_cross": {"fast": [5, 10], "slow": [20, 40], "allow_short": [True, False]},
    "ema_cross": {"fast": [5, 12], "slow": [30]},
    "rsi_reversion": {"window": [7, 14]},
    "vol_target_trend": {"lookback": [20, 50]},
    "bollinger_reversion": {"k": [1.5, 2.0]},
    "donchian_breakout": {"window": [10, 20]},
}


def assert_equal_to_backtests(result, bars, config):
    assert result.completed > 0
    for _, row in result.table.iterrows():
        single = backtest(result.strategy, bars, config, params=row["params"]).metrics
        for name, want in single.model_dump().items():
            got = row[name]
            if np.isnan(want) or np.isinf(want):
                assert got == want or (np.isnan(got) and np.isnan(want)), (row["params"], name)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-9), (
                    row["params"],
                    name,
                    got,
                    want,
                )


@pytest.fixture(scope="module")
def bars():
    return make_bars(1500, seed=11)


@pytest.mark.parametrize("config_name", CONFIGS)
@pytest.mark.parametrize("strategy", SPACES)
def test_sweep_equals_single_backtests(strategy, config_name, bars):
    config = CONFIGS[config_name]
    result = sweep(strategy, bars, SPACES[strategy], config=config, workers=1, chunk_size=3)
    assert_equal_to_backtests(result, bars, config)


def test_panel_sweep_equals_single_backtests(panel):
    config = CONFIGS["close_costs_financing"]
    result = sweep("sma_cross", panel, {"fast": [5, 8], "slow": [20]}, config=config, workers=1)
    assert_equal_to_backtests(result, panel, config)


def test_panel_sweep_follows_the_engine_column_order(panel):
    # The file lists the instruments in one order for open and another for close: every
    # engine must read instrument by instrument, not field by field.
    columns = [("EURUSD", "open"), ("GBPUSD", "open"), ("GBPUSD", "close"), ("EURUSD", "close"),
               ("EURUSD", "high"), ("GBPUSD", "high"), ("EURUSD", "low"), ("GBPUSD", "low"),
               ("EURUSD", "volume"), ("GBPUSD", "volume")]  # fmt: skip
    shuffled = panel[columns]
    config = CONFIGS["close_costs_financing"]
    result = sweep("sma_cross", shuffled, {"fast": [5, 8], "slow": [20]}, config=config, workers=1)
    assert_equal_to_backtests(result, shuffled, config)
    assert_equal_to_backtests(result, panel, config)  # the order of columns changes nothing


class Bar0Params(StrategyParams):
    fast: int = 5
    slow: int = 20
    warm: float = 1.0


class Bar0Cross(Strategy[Bar0Params]):
    """An SMA cross that holds `warm` during its warm-up, so it trades on bar 0."""

    name = "test_bar0_cross"
    Params = Bar0Params

    @property
    def warmup(self) -> int:
        return 0

    def compute(self, bars):
        p = self.params
        return SmaCross(fast=p.fast, slow=p.slow).target(bars).fillna(p.warm)


# ADR 0002 §12-§13: accounts and rebalancing, on the fused crossover path and the generic one.
ACCOUNT_CONFIGS = {
    "cash": BacktestConfig(
        account="cash", direction="long_only", costs=Costs(commission=0.001, spread=0.0002)
    ),
    # 5× leverage on a 0.1 margin that stops out at 195 %: it opens at 200 % and is
    # liquidated after a small adverse move (margin calls below 300 % on most bars).
    "margin_stop_out": BacktestConfig(
        size_mode="vol_target",
        vol_target=2.0,
        max_leverage=5.0,
        margin_initial=0.2,
        margin_maintenance=0.1,
        margin_call=300.0,
        stop_out=195.0,
        costs=Costs(commission=0.0005),
    ),
    "every_bar": BacktestConfig(rebalance="every_bar", costs=Costs(commission=0.0005)),
    "drift_close": BacktestConfig(
        rebalance="drift", rebalance_threshold=0.002, fill="close", costs=Costs(slippage=1e-4)
    ),
}


@pytest.mark.parametrize("config_name", ACCOUNT_CONFIGS)
@pytest.mark.parametrize("strategy", ["sma_cross", "rsi_reversion"])
def test_sweep_equals_single_backtests_on_accounts(strategy, config_name, bars):
    config = ACCOUNT_CONFIGS[config_name]
    result = sweep(strategy, bars, SPACES[strategy], config=config, workers=1, chunk_size=3)
    assert_equal_to_backtests(result, bars, config)
    if config_name == "margin_stop_out":
        assert (result.table["stop_outs"] > 0).all()  # the case is exercised, not vacuous


def test_a_sweep_refuses_what_the_engine_refuses(bars):
    config = BacktestConfig(account="cash")  # sma_cross shorts: a cash account refuses it
    with pytest.raises(ResearchInputError, match="account=cash cannot sell short"):
        sweep("sma_cross", bars, {"fast": [5], "slow": [20]}, config=config, workers=1)
    with pytest.raises(ResearchInputError, match="account=cash cannot sell short"):
        backtest("sma_cross", bars, config, params={"fast": 5, "slow": 20})


@pytest.mark.parametrize("config_name", ["close_costs_financing", "default"])
def test_sweep_equals_single_backtests_with_a_bar0_trade(config_name, bars, monkeypatch):
    """Close fills trade on bar 0 and pay its costs: E_0 < cash, and the sweep kernel measures
    returns, growth and drawdown from the cash exactly as the engine does (ADR 0002 §9)."""
    monkeypatch.setitem(plugins._REGISTRY, Bar0Cross.name, Bar0Cross)
    config = CONFIGS[config_name]
    space = {"fast": [5, 10], "slow": [20], "warm": [1.0, -1.0, 0.5]}
    result = sweep(Bar0Cross.name, bars, space, config=config, workers=1, chunk_size=2)
    assert_equal_to_backtests(result, bars, config)
    single = backtest(Bar0Cross.name, bars, config, params={"warm": -1.0})
    if config.fill is FillAt.CLOSE:
        assert single.equity.iloc[0] < config.cash  # bar 0 really paid costs
        assert single.returns.iloc[0] == single.equity.iloc[0] / config.cash - 1
    else:
        assert single.returns.iloc[0] == 0.0  # next-open fills: nothing happens on bar 0


def test_worker_processes_and_chunking_do_not_change_results(bars):
    space = {"fast": [3, 5, 8, 13], "slow": [21, 34, 55]}
    one = sweep("sma_cross", bars, space, workers=1, chunk_size=100)
    two = sweep("sma_cross", bars, space, workers=2, chunk_size=2)
    cols = list(METRIC_COLUMNS)
    key = ["fast", "slow"]
    a = one.table.sort_values(key).reset_index(drop=True)[cols]
    b = two.table.sort_values(key).reset_index(drop=True)[cols]
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    # Generic (non-crossover) strategies through worker processes too.
    r1 = sweep("rsi_reversion", bars, {"window": [5, 9, 14]}, workers=1)
    r2 = sweep("rsi_reversion", bars, {"window": [5, 9, 14]}, workers=2, chunk_size=1)
    pd.testing.assert_frame_equal(
        r1.table.sort_values("window").reset_index(drop=True)[cols],
        r2.table.sort_values("window").reset_index(drop=True)[cols],
        check_exact=True,
    )


def test_per_chunk_averages_equal_shared_averages(bars):
    space = {"fast": [5, 10], "slow": [20, 40]}
    shared = sweep("sma_cross", bars, space, workers=1)
    from research.sweep.chunks import evaluate_params
    from research.sweep.data import prepare

    per_chunk, _ = evaluate_params(
        "sma_cross", shared.table["params"].tolist(), prepare(bars),
        SweepSettings(chunk_size=1, workers=1, ma_budget=0),
    )  # fmt: skip
    pd.testing.assert_frame_equal(per_chunk, shared.table, check_exact=True)


def test_settings_object_and_keywords_are_the_same_sweep(bars):
    space = {"fast": [3, 5], "slow": [21]}
    settings = SweepSettings(method="random", n_iter=4, seed=2, workers=1)
    by_object = sweep("sma_cross", bars, space, settings)
    by_keywords = sweep("sma_cross", bars, space, method="random", n_iter=4, seed=2, workers=1)
    pd.testing.assert_frame_equal(by_object.table, by_keywords.table, check_exact=True)
    overridden = SweepSettings.build(settings, {"seed": 7})
    assert (overridden.seed, overridden.method, settings.seed) == (7, "random", 2)
    assert SweepSettings.build(settings, {}) is settings
    with pytest.raises(TypeError, match=r"unknown sweep setting.*n_iters"):
        sweep("sma_cross", bars, space, n_iters=3)


def test_rejected_combinations_are_skipped_and_counted(bars):
    result = sweep("sma_cross", bars, {"fast": [5, 20, 40], "slow": [20, 30]}, workers=1)
    # fast >= slow: (20, 20), (40, 20), (40, 30) are rejected by the strategy's Params.
    assert len(result.rejected) == 3
    assert result.completed == result.total == 3
    assert "fast must be < slow" in result.rejected[0][1]
    assert result.to_dict()["rejected"] == 3


@pytest.mark.parametrize(("space", "match"), [
    ({}, "empty search space"),
    ({"fast": []}, "no values"),
    ({"nope": [1]}, "no parameter nope"),
    ({"fast": [50], "slow": [10]}, "every one of the 1"),
])  # fmt: skip
def test_degenerate_grids_fail_clearly(space, match, bars):
    with pytest.raises(ResearchInputError, match=match):
        sweep("sma_cross", bars, space, workers=1)


def test_sorting_best_and_unknown_metric(bars):
    result = sweep("sma_cross", bars, {"fast": [3, 5, 8], "slow": [21, 34]}, workers=1)
    ranked = result.sorted("sharpe")
    assert ranked["sharpe"].is_monotonic_decreasing
    assert result.best("sharpe") == ranked["params"].iloc[0]
    assert result.sorted("max_drawdown", ascending=True)["max_drawdown"].is_monotonic_increasing
    with pytest.raises(ResearchInputError, match="unknown metric"):
        result.sorted("alpha")


def test_heatmap_is_the_grid(bars):
    result = sweep("sma_cross", bars, {"fast": [3, 5, 8], "slow": [21, 34]}, workers=1)
    fig = result.heatmap("fast", "slow", "sharpe")
    z = np.asarray(fig.data[0].z)
    assert z.shape == (2, 3)
    row = result.table[(result.table.fast == 5) & (result.table.slow == 34)]
    assert z[1, 1] == row["sharpe"].iloc[0]


def test_random_search_is_seeded_and_valid(bars):
    space = {"fast": Range(2, 20, integer=True), "slow": Range(21, 80, integer=True)}
    a = sweep("sma_cross", bars, space, method="random", n_iter=12, seed=4, workers=1)
    b = sweep("sma_cross", bars, space, method="random", n_iter=12, seed=4, workers=1)
    assert a.table["params"].tolist() == b.table["params"].tolist()
    assert 1 <= a.completed <= 12
    assert a.table["fast"].between(2, 20).all()
    assert a.table["slow"].between(21, 80).all()


def test_optuna_search_results_equal_single_backtests(bars):
    space = {"fast": Range(2, 15, integer=True), "slow": Range(16, 60, integer=True)}
    result = sweep(
        "sma_cross", bars, space, method="optuna", n_iter=10, seed=1, workers=1, chunk_size=5
    )
    assert result.extras["trials"] == 10
    assert 1 <= result.completed <= 10
    assert_equal_to_backtests(result, bars, BacktestConfig())


def test_ctrl_c_keeps_finished_chunks(bars, monkeypatch):
    real = ev.evaluate_chunk
    calls = []

    def interrupted_on_third(strategy, params, data, shared=None):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(strategy, params, data, shared)

    monkeypatch.setattr("research.sweep.executor.evaluate_chunk", interrupted_on_third)
    result = sweep(
        "sma_cross", bars, {"fast": [3, 5, 8], "slow": [21, 34]}, workers=1, chunk_size=2
    )
    assert result.interrupted
    assert result.completed == 4
    assert result.total == 6
    assert_equal_to_backtests(result, bars, BacktestConfig())


def test_parse_dimension():
    assert parse_dimension("fast=5,10,20") == ("fast", [5, 10, 20])
    assert parse_dimension("k=1.5,2") == ("k", [1.5, 2])
    assert parse_dimension("allow_short=true,false") == ("allow_short", [True, False])
    name, dim = parse_dimension("fast=5:20:5")
    assert name == "fast"
    assert isinstance(dim, Range)
    assert dim.grid() == [5, 10, 15, 20]
    assert parse_dimension("k=0.5:1.5:0.5")[1].grid() == [0.5, 1.0, 1.5]
    assert parse_dimension("slow=3:6")[1].grid() == [3, 4, 5, 6]
    for bad in ("fast", "fast=", "fast=1:2:3:4", "fast=a:b"):
        with pytest.raises(ResearchInputError):
            parse_dimension(bad)


def test_grid_and_random_spaces_validate_through_params():
    cands = grid("sma_cross", {"fast": Range(5, 15, 5, integer=True), "slow": [10, 20]})
    assert [(p["fast"], p["slow"]) for p in cands.params] == [(5, 10), (5, 20), (10, 20), (15, 20)]
    assert len(cands.rejected) == 2
    with pytest.raises(ResearchInputError, match="n_iter"):
        random("sma_cross", {"fast": [5]}, n_iter=0)
