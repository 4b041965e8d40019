"""Rebalancing off, every_bar and drift (ADR 0002 §13): order sizes computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from research import backtest
from research.engine.config import BacktestConfig
from tests.unit.engine.fixed import FixedTarget, tiny_bars

# A constant 50 % target, no costs, next-open fills:
#   bar 1 open 10: buy 0.5 × 1 000 / 10 = 50 → cash 500; close 20: E = 1 500, w = 2/3.
#   bar 2 open 20: E = 1 500 → 37.5 units (sell 12.5) → cash 750; close 10: E = 1 125, w = 1/3.
#   bar 3 open 10: E = 1 125 → 56.25 (buy 18.75) → cash 562.5; close 11: E = 1 181.25,
#   w = 618.75 / 1 181.25 = 0.524.
#   bar 4 open 11: E = 1 181.25 → 53.69 units (every_bar only).
OPENS = [10.0, 10.0, 20.0, 10.0, 11.0]
CLOSES = [10.0, 20.0, 10.0, 11.0, 11.0]
HALF = FixedTarget(values=(0.5,) * 5)


def _orders(**config: object) -> tuple[list[float], list[str]]:
    settings = BacktestConfig.model_validate({"cash": 1_000.0, "periods_per_year": 252, **config})
    orders = backtest(HALF, tiny_bars(OPENS, CLOSES), settings).extras["orders"]
    return orders["size"].tolist(), orders["reason"].tolist()


def test_off_holds_the_units() -> None:
    assert _orders() == ([50.0], ["target"])


def test_every_bar_trades_back_to_the_weight() -> None:
    sizes, reasons = _orders(rebalance="every_bar")
    np.testing.assert_allclose(sizes, [50, -12.5, 18.75, 0.5 * 1_181.25 / 11 - 56.25])
    assert reasons == ["target", "rebalance", "rebalance", "rebalance"]


def test_drift_trades_only_past_the_threshold() -> None:
    # |w - 0.5|: 1/6 at bar 1 and at bar 2 (> 0.1: rebalance), 0.024 at bar 3 (< 0.1: hold).
    sizes, reasons = _orders(rebalance="drift", rebalance_threshold=0.1)
    np.testing.assert_allclose(sizes, [50, -12.5, 18.75])
    assert reasons == ["target", "rebalance", "rebalance"]
    # A threshold above every drift is rebalancing off.
    assert _orders(rebalance="drift", rebalance_threshold=0.2) == ([50.0], ["target"])


def test_a_target_change_is_still_a_target_order_under_every_bar() -> None:
    strategy = FixedTarget(values=(0.5, 0.5, 0.0, 0.0, 0.0))
    config = BacktestConfig(cash=1_000.0, periods_per_year=252, rebalance="every_bar")
    orders = backtest(strategy, tiny_bars(OPENS, CLOSES), config).extras["orders"]
    # bar 2: rebalance to 37.5; bar 3: the change to 0 sells it all; flat after: no orders.
    assert orders["reason"].tolist() == ["target", "rebalance", "target"]
    assert orders["size"].tolist() == pytest.approx([50, -12.5, -37.5])
