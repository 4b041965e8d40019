"""Parity under the accounts and rebalancing of ADR 0002 §12-§13: every built-in trades
identically in both engines (same trades, same exit reasons, every order the same size,
the same margin calls and stop-outs) on a margin account whose stop-outs fire, a cash
account, and every_bar and drift rebalancing; then on real data, an FX pair and an
equity."""

from __future__ import annotations

import pytest

from research.engine.config import (
    AccountKind,
    BacktestConfig,
    Costs,
    Direction,
    FillAt,
    Rebalance,
)
from research.parity import ParityReport, check_parity
from strategies import plugins
from tests.acceptance.real_data import EURUSD_H1, GOOG_D1, load_real_bars
from tests.integration.event.conftest import PARAMS, fx_bars

pytestmark = pytest.mark.slow

# A fully margined account (maintenance 1) opens a short at a margin level of 100 %: a rise
# of about 1 % stops it out at 98 %, so the synthetic series fire stop-outs.
STOP_OUTS = BacktestConfig(
    margin_initial=1.0, margin_maintenance=1.0, margin_call=99.5, stop_out=98.0
)
CONFIGS = {
    "margin_stop_out": STOP_OUTS,
    "cash": BacktestConfig(
        account=AccountKind.CASH,
        direction=Direction.LONG_ONLY,
        costs=Costs(commission=1e-4, commission_per_unit=1e-6, spread=2e-5, slippage=1e-5),
    ),
    "every_bar": BacktestConfig(rebalance=Rebalance.EVERY_BAR),
    "drift": BacktestConfig(rebalance=Rebalance.DRIFT, rebalance_threshold=0.01),
}


def _assert_parity(report: ParityReport, cash: float = 100_000.0) -> None:
    assert report.differences == []
    assert report.size_differences == []
    assert report.trades_match, report.to_dict()
    assert report.orders_match, report.to_dict()
    assert report.orders_vectorized == report.orders_event
    assert abs(report.equity_difference) <= report.equity_bound
    assert report.equity_bound < 0.01 * cash  # the bound says something
    event = report.results["event"].extras
    assert (event["denied"], event["rejected"]) == (0, 0)  # the venue's margin never interferes
    assert report.ok


@pytest.mark.parametrize("mode", list(CONFIGS))
def test_every_builtin_trades_identically_under_each_account_and_rebalance(mode: str) -> None:
    bars = fx_bars("EUR/USD")
    reports = {
        name: check_parity(plugins.create(name, **PARAMS[name]), bars, CONFIGS[mode])
        for name in sorted(PARAMS)
    }
    for report in reports.values():
        _assert_parity(report)
        assert report.settings["account"] == str(CONFIGS[mode].account)
        assert report.to_dict()["rebalance"] == str(CONFIGS[mode].rebalance)
    if mode == "margin_stop_out":
        assert sum(r.stop_outs[1] for r in reports.values()) > 0  # stop-outs were compared
        assert all(r.stop_outs[0] == r.stop_outs[1] for r in reports.values())
    if mode in ("every_bar", "drift"):
        # Rebalancing adds orders beyond the target changes, the same ones in both engines.
        orders = {n: r.orders_event for n, r in reports.items()}
        assert all(orders[n] >= r.trades_event for n, r in reports.items())
        assert sum(orders.values()) > sum(r.trades_event for r in reports.values())


def test_fx_pair_real_data_with_stop_outs_and_drift_rebalancing() -> None:
    bars = load_real_bars(EURUSD_H1).iloc[:2_000]
    config = STOP_OUTS.model_copy(
        update={"rebalance": Rebalance.DRIFT, "rebalance_threshold": 0.02}
    )
    report = check_parity(plugins.create("rsi_reversion", window=14), bars, config)

    _assert_parity(report)
    assert report.stop_outs[1] > 0
    assert report.orders_event > report.trades_event


def test_equity_real_data_on_margin_with_every_bar_rebalancing() -> None:
    bars = load_real_bars(GOOG_D1)
    config = BacktestConfig(
        rebalance=Rebalance.EVERY_BAR,
        costs=Costs(commission=1e-3),
        margin_initial=1.0,  # fully margined (GOOG's own is Regulation T's 50 % / 25 %)
        margin_maintenance=1.0,
    )
    report = check_parity(plugins.create("sma_cross", fast=10, slow=30), bars, config)

    _assert_parity(report)
    assert report.instruments == ["GOOG"]
    assert report.margin_calls[1] > 0  # shorts on a fully margined equity call margin
    event = report.results["event"]
    assert set(event.extras["orders"]["reason"]) == {"target", "rebalance"}


def test_an_order_size_the_residuals_cannot_explain_fails_the_check() -> None:
    from research.parity_orders import Runs, order_sizes, size_differences

    bars = fx_bars("EUR/USD").round(5)
    report = check_parity(plugins.create("sma_cross", fast=5, slow=20), bars, CONFIGS["drift"])
    vec, evt = report.results["vectorized"], report.results["event"]
    runs = Runs(vec, evt, bars, evt.config, ["EUR/USD"], 1e-5)
    assert size_differences(order_sizes(vec.extras["orders"], evt.extras["orders"]), runs) == []
    orders = evt.extras["orders"].copy()
    orders.loc[3, "size"] += 5.0  # five units: the cents of equity gap explain one

    found = size_differences(order_sizes(vec.extras["orders"], orders), runs)
    assert [(d.time, d.event - d.vectorized) for d in found] == [(str(orders["time"][3]), 5.0)]


FULL_COSTS = Costs(
    commission=1e-4,
    commission_per_unit=1e-6,
    spread=2e-5,
    slippage=1e-5,
    financing_long=0.05,
    financing_short=0.03,
)


@pytest.mark.parametrize("fill", [FillAt.NEXT_OPEN, FillAt.CLOSE])
@pytest.mark.parametrize("rebalance", [Rebalance.EVERY_BAR, Rebalance.DRIFT])
def test_every_cost_with_rebalancing_keeps_parity(fill: FillAt, rebalance: Rebalance) -> None:
    config = STOP_OUTS.model_copy(
        update={
            "costs": FULL_COSTS,
            "fill": fill,
            "rebalance": rebalance,
            "rebalance_threshold": 0.005,
        }
    )
    bars = fx_bars("EUR/USD")
    for name in ("bollinger_reversion", "rsi_reversion", "vol_target_trend"):
        report = check_parity(plugins.create(name, **PARAMS[name]), bars, config)
        assert report.ok, report.to_dict()
        assert report.equity_bound < 0.001 * 100_000
    if fill is FillAt.CLOSE:
        # A close fill pays the half-spread and slippage too (the venue trades on closing
        # quotes): the first entry is at close · (1 ± slippage) ± spread / 2, on the tick.
        first = report.results["event"].trades.iloc[0]
        close = round(bars.loc[first["entry_time"], "close"], 5)
        side = 1 if first["side"] == "long" else -1
        assert first["entry_price"] == pytest.approx(
            round(close * (1 + side * 1e-5) + side * 1e-5, 5), abs=1e-9
        )
