"""`research.backtest`: strategy by object or name, config overrides, engines, invariants."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

from research import BacktestConfig, backtest
from research.engine.config import Costs
from research.engine.run import resolve_config
from research.errors import ResearchInputError
from strategies import SmaCross
from strategies.plugins import UnknownStrategyError
from tests.fixtures.bars import make_bars

COSTS: dict[str, Any] = {
    "commission": 2e-4,
    "commission_per_unit": 5e-5,
    "spread": 1e-4,
    "slippage": 1e-4,
}


def test_name_and_params_equal_the_object() -> None:
    bars = make_bars(300, seed=3)
    by_name = backtest("sma_cross", bars, params={"fast": 5, "slow": 20}, **COSTS)
    by_object = backtest(SmaCross(fast=5, slow=20), bars, BacktestConfig(costs=Costs(**COSTS)))
    pd.testing.assert_series_equal(by_name.equity, by_object.equity)
    assert by_name.strategy == {
        "strategy": "sma_cross",
        "params": {"fast": 5, "slow": 20, "allow_short": True, "entry": "state"},
    }


def test_overrides_apply_on_top_of_config() -> None:
    config = BacktestConfig(cash=5_000)
    result = backtest(SmaCross(fast=5, slow=20), make_bars(100), config, commission=1e-3)
    assert result.config.cash == 5_000
    assert result.config.costs.commission == 1e-3


def test_a_config_without_overrides_is_used_as_it_is() -> None:
    config = BacktestConfig(cash=5_000)
    assert resolve_config(config, {}) is config  # frozen and valid: not dumped and re-validated
    assert resolve_config(None, {}) == BacktestConfig()
    result = backtest(SmaCross(fast=5, slow=20), make_bars(100), config)
    assert result.config is config


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"comission": 0.1}, "unknown backtest setting 'comission'"),
        ({"cash": -1}, "cash"),
        ({"fill": "tomorrow"}, "fill"),
    ],
)
def test_bad_settings_name_the_field(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ResearchInputError, match=message):
        backtest(SmaCross(), make_bars(100), **overrides)  # type: ignore[arg-type]


def test_unknown_strategy_and_misplaced_params() -> None:
    with pytest.raises(UnknownStrategyError, match="no_such"):
        backtest("no_such", make_bars(50))
    with pytest.raises(ResearchInputError, match="params="):
        backtest(SmaCross(), make_bars(50), params={"fast": 3})
    with pytest.raises(ResearchInputError, match="unknown engine"):
        backtest(SmaCross(), make_bars(50), engine="quantum")  # type: ignore[arg-type]


def test_event_engine_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "research.engine.event", None)  # import now fails
    with pytest.raises(ResearchInputError, match="event engine not available"):
        backtest(SmaCross(), make_bars(50), engine="event")


def test_bad_prices_name_row_and_instrument() -> None:
    bars = make_bars(50)
    bars.loc[bars.index[7], "open"] = 0.0
    with pytest.raises(ResearchInputError, match=r"EURUSD open at .* \(row 7\) is 0.0"):
        backtest(SmaCross(fast=2, slow=5), bars, instrument="EURUSD")


def test_vectorbt_books_the_same_account() -> None:
    """At every booked bar, vectorbt's value less its auto initial-cash offset and our
    financing is our equity; every order is booked at our size, price and fees."""
    result = backtest(
        SmaCross(fast=5, slow=20), make_bars(400, seed=5), financing_long=0.03, **COSTS
    )
    portfolio = result.extras["portfolio"]
    booked_at = portfolio.wrapper.index
    assert booked_at[-1] == result.equity.index[-1]
    offset = float(portfolio.init_cash) - result.config.cash
    financing = result.extras["financing"].cumsum().loc[booked_at].to_numpy()
    booked = portfolio.value().to_numpy() - offset - financing
    np.testing.assert_allclose(booked, result.equity.loc[booked_at].to_numpy(), rtol=1e-12)
    records, orders = portfolio.order_records, result.extras["orders"]
    np.testing.assert_allclose(records["price"], orders["price"])
    np.testing.assert_allclose(records["fees"], orders["fees"], rtol=1e-12)
    assert (booked_at[records["idx"]] == pd.DatetimeIndex(orders["time"])).all()


def test_trade_pnl_and_financing_add_up_to_the_equity_change() -> None:
    result = backtest(
        SmaCross(fast=5, slow=20),
        make_bars(400, seed=6),
        financing_long=0.05,
        financing_short=0.02,
        **COSTS,
    )
    change = result.equity.iloc[-1] - result.config.cash
    explained = result.trades["pnl"].sum() - result.extras["financing"].sum()
    assert explained == pytest.approx(change, rel=1e-9)
    assert result.trades["fees"].sum() == pytest.approx(result.extras["orders"]["fees"].sum())


def test_returns_follow_equity() -> None:
    result = backtest(SmaCross(fast=5, slow=20), make_bars(200), **COSTS)
    assert result.returns.iloc[0] == 0.0  # next-open fills: E_0 = cash, so r_0 = E_0 / cash - 1 = 0
    np.testing.assert_allclose(result.returns.iloc[1:], result.equity.pct_change().iloc[1:])
