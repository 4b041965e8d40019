"""Five-bar examples whose equity is computed by hand, step by step, per ADR 0002."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from research import backtest
from research.engine.config import BacktestConfig, Costs, Direction, FillAt, SizeMode
from research.engine.targets import process_targets
from tests.unit.engine.fixed import FixedTarget, tiny_bars

OPENS = [100.0, 101.0, 103.0, 102.0, 100.0]
CLOSES = [100.0, 102.0, 104.0, 101.0, 99.0]
TARGETS = (0.5, 0.5, -0.5, -0.5, 0.0)
COSTS = Costs(
    commission=0.001,
    commission_per_unit=0.01,
    spread=0.2,
    slippage=0.001,
    financing_long=0.1,
    financing_short=0.05,
)
DT = 1 / 252


def _config(**kw: object) -> BacktestConfig:
    base: dict[str, object] = {"cash": 10_000.0, "costs": COSTS, "periods_per_year": 252.0}
    return BacktestConfig.model_validate({**base, **kw})


def _buy(p: float) -> float:
    return p * 1.001 + 0.1


def _sell(p: float) -> float:
    return p * 0.999 - 0.1


def _fee(q: float, fill: float) -> float:
    return 0.001 * abs(q) * fill + 0.01 * abs(q)


def test_next_open_with_every_cost() -> None:
    result = backtest(FixedTarget(values=TARGETS), tiny_bars(OPENS, CLOSES), _config())

    # bar 0: the first target is decided at the close; nothing executes yet.
    e0 = 10_000.0
    # bar 1: buy 0.5 × 10 000 / 101 at the open.
    q1 = 0.5 * 10_000 / 101
    f1 = _buy(101)
    cash = 10_000 - q1 * f1 - _fee(q1, f1)
    cash -= q1 * 102 * 0.1 * DT
    e1 = cash + q1 * 102
    # bar 2: hold; the flip to -0.5 is decided at the close.
    cash -= q1 * 104 * 0.1 * DT
    e2 = cash + q1 * 104
    # bar 3: sell to -0.5 of equity valued at the open.
    desired = -0.5 * (cash + q1 * 102) / 102
    q3 = desired - q1
    f3 = _sell(102)
    cash -= q3 * f3 + _fee(q3, f3)
    cash -= -desired * 101 * 0.05 * DT  # a positive short rate is paid on |notional|
    e3 = cash + desired * 101
    # bar 4: the change to 0 on the last bar is never executed.
    cash -= -desired * 99 * 0.05 * DT
    e4 = cash + desired * 99

    np.testing.assert_allclose(result.equity.to_numpy(), [e0, e1, e2, e3, e4], rtol=1e-12)
    np.testing.assert_allclose(result.position.to_numpy(), [0, q1, q1, desired, desired])
    # Nothing trades on bar 0 with next-open fills: E_0 is the cash and r_0 = 0 (§9).
    assert result.returns.iloc[0] == 0.0
    assert result.metrics.total_return == pytest.approx(e4 / 10_000 - 1, rel=1e-12)
    trades = result.trades
    assert list(trades["side"]) == ["long", "short"]
    assert list(trades["status"]) == ["closed", "open"]
    long_pnl = q1 * (f3 - f1) - _fee(q1, f1) - _fee(q3, f3) * q1 / abs(q3)
    short_pnl = -desired * (f3 - 99) - _fee(q3, f3) * -desired / abs(q3)
    np.testing.assert_allclose(trades["pnl"], [long_pnl, short_pnl], rtol=1e-9)
    np.testing.assert_allclose(trades["entry_price"], [f1, f3])
    assert trades["exit_price"].iloc[1] == 99.0  # an open trade is valued at the last close
    assert trades["exit_time"].isna().tolist() == [False, True]


def _close_fill_equity_by_hand() -> list[float]:
    """Equity at each close of TARGETS filled at the close with every cost (ADR 0002)."""
    f0 = _buy(100)
    cash = 10_000 - 50 * f0 - _fee(50, f0)  # 0.5 × 10 000 / 100 = 50 units
    cash -= 50 * 100 * 0.1 * DT
    e0 = cash + 50 * 100
    cash -= 50 * 102 * 0.1 * DT
    e1 = cash + 50 * 102
    desired = -0.5 * (cash + 50 * 104) / 104
    q2, f2 = desired - 50, _sell(104)
    cash -= q2 * f2 + _fee(q2, f2)
    cash -= -desired * 104 * 0.05 * DT  # |notional| pays the short rate
    e2 = cash + desired * 104
    cash -= -desired * 101 * 0.05 * DT
    e3 = cash + desired * 101
    f4 = _buy(99)
    cash -= -desired * f4 + _fee(desired, f4)  # back to flat at the last close
    e4 = cash
    return [e0, e1, e2, e3, e4]


def test_close_fill_with_every_cost() -> None:
    config = _config(fill=FillAt.CLOSE)
    result = backtest(FixedTarget(values=TARGETS), tiny_bars(OPENS, CLOSES), config)

    np.testing.assert_allclose(result.equity.to_numpy(), _close_fill_equity_by_hand(), rtol=1e-12)
    assert list(result.trades["status"]) == ["closed", "closed"]
    assert result.metrics.trades == 2


def test_close_fill_metrics_are_measured_from_the_starting_cash() -> None:
    """ADR 0002 §9: bar 0's close fill pays commission, spread and slippage, so E_0 < cash;
    returns, total return, CAGR and drawdown count that cost because they start at cash."""
    config = _config(fill=FillAt.CLOSE)
    result = backtest(FixedTarget(values=TARGETS), tiny_bars(OPENS, CLOSES), config)
    e0, e1, e2, e3, e4 = _close_fill_equity_by_hand()
    cash = 10_000.0

    r = [e0 / cash - 1, e1 / e0 - 1, e2 / e1 - 1, e3 / e2 - 1, e4 / e3 - 1]
    assert r[0] < 0  # the first bar's costs: r_0 = E_0 / cash - 1, no longer 0
    np.testing.assert_allclose(result.returns.to_numpy(), r, rtol=1e-12)
    metrics = result.metrics
    assert metrics.total_return == pytest.approx(e4 / cash - 1, rel=1e-12)
    assert metrics.total_return < e4 / e0 - 1  # measuring from E_0 hid the bar-0 costs
    years = 4 / 365.25  # five daily bars span four calendar days
    assert metrics.cagr == pytest.approx((e4 / cash) ** (1 / years) - 1, rel=1e-12)
    # Equity rises every bar after bar 0 (e0 < e1 < ... < e4, all checked below), so the
    # deepest fall from the running peak, which starts at the cash, is bar 0's cost.
    assert e0 < cash < e1 < e2 < e3 < e4
    assert metrics.max_drawdown == pytest.approx(e0 / cash - 1, rel=1e-12)
    assert metrics.calmar == pytest.approx(metrics.cagr / abs(e0 / cash - 1), rel=1e-12)
    mean, std = float(np.mean(r)), float(np.std(r, ddof=1))
    assert metrics.volatility == pytest.approx(std * math.sqrt(252), rel=1e-12)
    assert metrics.sharpe == pytest.approx(mean / std * math.sqrt(252), rel=1e-12)
    downside = math.sqrt(r[0] ** 2 / 5)  # r_0 is the only negative return
    assert metrics.sortino == pytest.approx(mean * 252 / (downside * math.sqrt(252)), rel=1e-12)


def test_units_mode_holds_fixed_units() -> None:
    config = BacktestConfig(fill=FillAt.CLOSE, size_mode=SizeMode.UNITS, units=10, cash=10_000)
    result = backtest(FixedTarget(values=TARGETS), tiny_bars(OPENS, CLOSES), config)
    # +5 @100; +5·2 = 10 010; +5·4 = 10 020, flip to -5 @104; -5·(101-104) = 10 035; flat @99.
    assert result.equity.tolist() == [10_000, 10_010, 10_020, 10_035, 10_045]
    assert result.position.to_numpy().tolist() == [5, 5, -5, -5, 0]


def test_round_units_truncates_toward_zero() -> None:
    config = BacktestConfig(fill=FillAt.CLOSE, round_units=True, cash=1_000)
    bars = tiny_bars([30, 30, 30], [30, 30, 30])
    long_result = backtest(FixedTarget(values=(1.0, 1.0, 1.0)), bars, config)
    assert long_result.position.to_numpy().tolist() == [33, 33, 33]  # 1000 / 30 = 33.3 → 33
    assert long_result.extras["cash"].iloc[-1] == 1_000 - 33 * 30
    short_result = backtest(FixedTarget(values=(-1.0, -1.0, -1.0)), bars, config)
    assert short_result.position.to_numpy().tolist() == [-33, -33, -33]  # toward zero, not down


def test_long_only_treats_shorts_as_flat() -> None:
    config = BacktestConfig(fill=FillAt.CLOSE, direction=Direction.LONG_ONLY, cash=10_000)
    result = backtest(FixedTarget(values=TARGETS), tiny_bars(OPENS, CLOSES), config)
    assert result.position.to_numpy().tolist() == [50, 50, 0, 0, 0]
    assert result.equity.tolist() == [10_000, 10_100, 10_200, 10_200, 10_200]
    assert list(result.trades["side"]) == ["long"]


def test_panel_shares_cash_in_column_order() -> None:
    a, b = tiny_bars([100, 110], [100, 110]), tiny_bars([50, 40], [50, 40])
    panel = pd.concat({"A": a, "B": b}, axis=1)
    strategy = FixedTarget(values=(0.0, 0.0), panel={"A": (0.5, 0.5), "B": (0.5, 0.5)})
    # A and B resolve as US equities (whole shares, §14); half margin allows the leverage.
    config = BacktestConfig(
        fill=FillAt.CLOSE, cash=10_000, costs=Costs(commission=0.01), margin_initial=0.5
    )
    result = backtest(strategy, panel, config)
    # A first: 50 units @100, fee 50 → cash 4 950. B then values equity at 9 950:
    # 0.5 × 9 950 / 50 = 99.5 → 99 whole units, fee 49.5 → cash -49.5 (leverage is allowed).
    assert result.position.loc[:, "A"].tolist() == [50, 50]
    np.testing.assert_allclose(result.position.loc[:, "B"], [99, 99])
    np.testing.assert_allclose(result.equity, [9_900.5, -49.5 + 50 * 110 + 99 * 40])
    assert set(result.trades["instrument"]) == {"A", "B"}


def test_vol_target_scales_by_realized_vol() -> None:
    closes = [100.0, 101.0, 99.0, 102.0, 103.0]
    config = BacktestConfig(
        fill=FillAt.CLOSE,
        size_mode=SizeMode.VOL_TARGET,
        vol_window=2,
        vol_target=0.1,
        max_leverage=0.5,
        periods_per_year=252,
        costs=Costs(),
    )
    raw = np.ones((5, 1))
    got = process_targets(raw, np.asarray(closes).reshape(-1, 1), config, 252.0)[:, 0]
    r = np.diff(closes) / closes[:-1]
    expected = [0.0, 0.0]  # fewer than 2 returns: σ undefined → flat
    for t in range(2, 5):
        sigma = np.std(r[t - 2 : t], ddof=1) * math.sqrt(252)
        expected.append(min(0.1 / float(sigma), 0.5))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    result = backtest(FixedTarget(values=(1.0,) * 5), tiny_bars(closes, closes), config)
    assert result.position.iloc[2] == pytest.approx(expected[2] * 100_000 / 99.0, rel=1e-12)
