"""Cash and margin accounts (ADR 0002 §12), on bars small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research import backtest
from research.engine.config import BacktestConfig, Costs, FillAt
from research.errors import ResearchInputError
from tests.unit.engine.fixed import FixedTarget, tiny_bars

FLAT = tiny_bars([10.0] * 4, [10.0] * 4)


def _cash_config(**kw: object) -> BacktestConfig:
    base: dict[str, object] = {
        "cash": 1_000.0,
        "account": "cash",
        "costs": Costs(commission=0.01),
        "periods_per_year": 252.0,
    }
    return BacktestConfig.model_validate({**base, **kw})


def test_a_cash_buy_reserves_its_commission() -> None:
    result = backtest(FixedTarget(values=(1.0,) * 4), FLAT, _cash_config())
    # 100 % of 1 000 at 10 would be 100 units; with 1 % commission each costs 10.10.
    units = 1_000 / (10 * 1.01)
    np.testing.assert_allclose(result.position.to_numpy(), [0, units, units, units], rtol=1e-12)
    cash = result.extras["cash"].to_numpy()
    assert (cash >= 0).all()
    assert cash[-1] == pytest.approx(0.0, abs=1e-9)
    orders = result.extras["orders"]
    assert orders["reason"].tolist() == ["target"]
    assert orders["limited"].tolist() == [True]


def test_a_cash_buy_in_whole_units_keeps_the_change() -> None:
    result = backtest(FixedTarget(values=(1.0,) * 4), FLAT, _cash_config(round_units=True))
    assert result.position.to_numpy().tolist() == [0, 99, 99, 99]  # 99 × 10.10 = 999.90 ≤ 1 000
    np.testing.assert_allclose(result.extras["cash"], [1_000, 0.1, 0.1, 0.1], atol=1e-9)


def test_a_cash_account_caps_targets_at_one() -> None:
    # Vol targeting asks for 2× (any σ > 0 against a 500 % target, capped at max_leverage 2);
    # a cash account trades 1×: 1 000 / 10 = 100 units at bar 3's open, decided at bar 2
    # (the first bar with two returns). Bar 4's σ is 0 (flat closes): its 0 never executes.
    bars = tiny_bars([10.0] * 5, [10.0, 11.0, 10.0, 10.0, 10.0])
    config = _cash_config(
        costs=Costs(), size_mode="vol_target", vol_target=5.0, vol_window=2, max_leverage=2.0
    )
    result = backtest(FixedTarget(values=(1.0,) * 5), bars, config)
    assert result.position.to_numpy().tolist() == [0, 0, 0, 100, 100]  # not 200: no leverage
    assert (result.extras["cash"] >= 0).all()


def test_a_cash_account_refuses_a_short_target_in_one_line() -> None:
    with pytest.raises(ResearchInputError) as err:
        backtest(FixedTarget(values=(0.5, -0.5, 0.0, 0.0)), FLAT, _cash_config())
    message = str(err.value)
    assert "account=cash cannot sell short" in message
    assert "direction=long_only or account=margin" in message
    assert "\n" not in message
    long_only = _cash_config(direction="long_only")  # the fix the message names
    assert backtest(FixedTarget(values=(0.5, -0.5, 0.0, 0.0)), FLAT, long_only).trades.size


# A short of the undefined asset, margins set to 1 (FULL_MARGIN), that loses until the stop-out:
#   bar 1 open 10: sell 100 (1 000 / 10) → cash 2 000.
#   bar 1 close 12: E = 2 000 - 1 200 = 800, M = 1 200, L = 66.7 % < 100 %: margin call.
#   bar 2 close 14: E = 600, M = 1 400, L = 42.9 % < 50 %: margin call and stop-out.
#   bar 3 open 15: buy back 100 at 15 → cash 500 (reason stop_out); the -1 target, held as 0
#   now, is due again at bar 3's close.
#   bar 4 open 15: sell 500 / 15 units → cash 1 000; close 14.9: E = 503.3, L = 101.3 %.
SHORT_OPENS = [10.0, 10.0, 12.0, 15.0, 15.0]
SHORT_CLOSES = [10.0, 12.0, 14.0, 15.0, 14.9]
FULL_MARGIN = {"margin_initial": 1.0, "margin_maintenance": 1.0}


def test_a_losing_short_is_stopped_out_at_the_next_open() -> None:
    bars = tiny_bars(SHORT_OPENS, SHORT_CLOSES)
    config = BacktestConfig(cash=1_000.0, periods_per_year=252.0, **FULL_MARGIN)
    result = backtest(FixedTarget(values=(-1.0,) * 5), bars, config)

    e4 = 1_000 - 500 / 15 * 14.9
    np.testing.assert_allclose(result.equity, [1_000, 800, 600, 500, e4], rtol=1e-12)
    np.testing.assert_allclose(result.position, [0, -100, -100, 0, -500 / 15], rtol=1e-12)
    orders = result.extras["orders"]
    assert orders["reason"].tolist() == ["target", "stop_out", "target"]
    np.testing.assert_allclose(orders["size"], [-100, 100, -500 / 15], rtol=1e-12)
    assert orders["time"].iloc[1] == bars.index[3]  # the open after the stop-out close
    level = result.extras["margin_level"].to_numpy()
    np.testing.assert_allclose(level[1:3], [100 * 800 / 1200, 100 * 600 / 1400], rtol=1e-12)
    assert np.isnan(level[[0, 3]]).all()  # nothing held at those closes
    assert level[4] == pytest.approx(100 * e4 / (500 / 15 * 14.9))
    assert (result.metrics.margin_calls, result.metrics.stop_outs) == (2, 1)
    assert list(result.extras["margin_calls"]) == list(bars.index[1:3])
    first = result.trades.iloc[0]
    assert (first["side"], first["exit_reason"]) == ("short", "stop_out")
    assert first["pnl"] == pytest.approx((10 - 15) * 100)
    assert result.trades["exit_reason"].iloc[1] == ""  # still open


def test_a_stop_out_with_close_fills_liquidates_at_that_close() -> None:
    # CLOSE: the level is taken at bar t's close before its fills; the stop-out fills there.
    #   bar 0 close 10: sell 100 → cash 2 000. bar 1 close 12: L = 66.7 %: call.
    #   bar 2 close 14: L = 42.9 %: buy back 100 at 14 → cash 600; the -1 target is dropped.
    #   bar 3 close 15: nothing held; the target (held 0) is due: sell 600 / 15 = 40.
    #   bar 4 close 14.9: E = 1 200 - 40 × 14.9 = 604, L = 101.3 %: no call.
    bars = tiny_bars(SHORT_OPENS, SHORT_CLOSES)
    config = BacktestConfig(cash=1_000.0, periods_per_year=252.0, fill=FillAt.CLOSE, **FULL_MARGIN)
    result = backtest(FixedTarget(values=(-1.0,) * 5), bars, config)
    np.testing.assert_allclose(result.position, [-100, -100, 0, -40, -40], rtol=1e-12)
    assert result.extras["orders"]["reason"].tolist() == ["target", "stop_out", "target"]
    np.testing.assert_allclose(result.equity, [1_000, 800, 600, 600, 604], rtol=1e-12)
    assert (result.metrics.margin_calls, result.metrics.stop_outs) == (2, 1)


def test_initial_margin_cuts_an_order_that_does_not_fit() -> None:
    # A and B are US equities (whole shares), with initial margin 1 given. A: 0.8 × 10 000 / 100 = 80 shares,
    # margin 8 000. B would be 0.8 × 10 000 / 50 = 160 shares, but only 2 000 of equity is
    # left for its margin: 2 000 / 50 = 40 shares.
    a, b = tiny_bars([100, 100], [100, 100]), tiny_bars([50, 50], [50, 50])
    panel = pd.concat({"A": a, "B": b}, axis=1)
    strategy = FixedTarget(values=(0.0, 0.0), panel={"A": (0.8, 0.8), "B": (0.8, 0.8)})
    config = BacktestConfig(fill=FillAt.CLOSE, cash=10_000, margin_initial=1.0)
    result = backtest(strategy, panel, config)
    assert result.position.iloc[0].tolist() == [80, 40]
    orders = result.extras["orders"]
    assert orders["limited"].tolist() == [False, True]


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        # opens at 100 / (1 × 1) = 100 % ≤ stop-out 150 %
        ({"margin_maintenance": 1.0, "margin_call": 200.0, "stop_out": 150.0}, "stop_out 150%"),
        # 2× leverage needs 2 × 1 of equity in initial margin
        (
            {
                "size_mode": "vol_target",
                "max_leverage": 2.0,
                "vol_target": 5.0,
                "vol_window": 2,
                "margin_initial": 1.0,
            },
            "initial margin 2 × 1",
        ),
    ],
)
def test_a_first_order_that_cannot_stand_is_refused_before_the_run(
    overrides: dict[str, object], match: str
) -> None:
    bars = tiny_bars([10, 11, 10, 11, 10], [11, 10, 11, 10, 11])
    config = BacktestConfig.model_validate({"periods_per_year": 252.0, **overrides})
    with pytest.raises(ResearchInputError, match=match) as err:
        backtest(FixedTarget(values=(1.0,) * 5), bars, config)
    assert "cannot stand" in str(err.value)
    assert "\n" not in str(err.value)


def test_stop_out_must_be_below_margin_call() -> None:
    with pytest.raises(ResearchInputError, match=r"stop_out \(150%\) must be below margin_call"):
        backtest(FixedTarget(values=(1.0,) * 4), FLAT, stop_out=150.0)
