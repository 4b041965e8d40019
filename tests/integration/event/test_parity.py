"""Parity: the vectorized and the event-driven engine produce identical trades."""

import pandas as pd
import pytest

from research.engine.config import BacktestConfig, Costs, FillAt
from research.parity import check_parity
from strategies import plugins
from tests.fixtures.bars import make_bars
from tests.integration.event.conftest import INSTRUMENTS, PARAMS, fx_bars

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("instrument", list(INSTRUMENTS))
@pytest.mark.parametrize("name", sorted(PARAMS))
def test_every_builtin_trades_identically(name: str, instrument: str) -> None:
    report = check_parity(plugins.create(name, **PARAMS[name]), fx_bars(instrument))

    assert report.trades_vectorized > 0
    assert report.differences == []
    assert report.trades_match
    assert abs(report.equity_difference) <= report.equity_bound
    # Without costs only Money rounding remains: cents, not dollars (or yen: 1 per fill).
    unit = 1.0 if instrument.endswith("JPY") else 0.01
    assert report.max_equity_difference <= unit * len(report.results["event"].extras["orders"])
    assert report.ok


def test_panel_trades_identically_and_shares_capital() -> None:
    panel = pd.concat({"EURUSD": make_bars(300, seed=1), "GBPUSD": make_bars(300, seed=2)}, axis=1)
    report = check_parity(plugins.create("sma_cross", fast=5, slow=20), panel)

    assert report.instruments == ["EURUSD", "GBPUSD"]
    assert set(report.results["event"].trades["instrument"]) == {"EURUSD", "GBPUSD"}
    assert report.ok, report.to_dict()


def test_costs_keep_trades_identical_within_the_bound() -> None:
    config = BacktestConfig(
        costs=Costs(
            commission=1e-4,
            commission_per_unit=1e-6,
            spread=2e-5,
            slippage=1e-5,
            financing_long=0.05,
            financing_short=0.03,
        )
    )
    report = check_parity(plugins.create("ema_cross", fast=5, slow=20), fx_bars("EUR/USD"), config)

    assert report.trades_match
    fees = report.results["event"].trades["fees"].sum()
    assert fees > 0
    assert abs(report.equity_difference) <= report.equity_bound
    # Tick rounding of cost-adjusted fills dominates: far below 0.1 % of the account.
    assert abs(report.equity_difference) < 100.0


def test_close_fills_trade_identically() -> None:
    config = BacktestConfig(fill=FillAt.CLOSE)
    report = check_parity(plugins.create("sma_cross", fast=5, slow=20), fx_bars("EUR/USD"), config)

    assert report.ok
    first = report.results["event"].trades.iloc[0]
    bars = fx_bars("EUR/USD")
    # A close fill is booked on the signal bar, at that bar's close.
    assert first["entry_price"] == pytest.approx(round(bars.loc[first["entry_time"], "close"], 5))


def test_data_with_gaps_keeps_parity() -> None:
    bars = fx_bars("EUR/USD", n=400)
    gappy = bars.drop(bars.index[100:130]).drop(bars.index[250:252])

    report = check_parity(plugins.create("sma_cross", fast=5, slow=20), gappy)

    assert report.ok
    assert len(report.results["event"].equity) == len(gappy)


def test_a_trade_difference_fails_the_check() -> None:
    report = check_parity(plugins.create("sma_cross", fast=5, slow=20), fx_bars("EUR/USD"))
    vec = report.results["vectorized"].trades
    shifted = vec.assign(side=vec["side"].where(vec.index != 2, "other"))

    from research.parity import compare_trades

    differences = compare_trades(shifted, report.results["event"].trades)

    assert [(d.trade, d.field) for d in differences] == [(2, "side")]
