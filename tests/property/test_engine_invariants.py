"""Engine invariants under random prices, targets and settings (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from research import backtest
from research.engine.config import BacktestConfig, Costs, Direction, FillAt, SizeMode
from research.engine.targets import process_targets, target_changes
from strategies import SmaCross
from tests.fixtures.bars import make_bars
from tests.unit.engine.fixed import FixedTarget

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def price_paths(draw: st.DrawFn) -> pd.DataFrame:
    """Bars whose moves stay within ±1 % a bar, so equity stays positive over ≤ 40 bars."""
    n = draw(st.integers(3, 40))
    moves = draw(st.lists(st.floats(-0.01, 0.01), min_size=2 * n, max_size=2 * n))
    path = 100 * np.cumprod(1 + np.asarray(moves))
    opens, closes = path[0::2], path[1::2]
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC")
    return pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, closes) * 1.001,
            "low": np.minimum(opens, closes) * 0.999,
            "close": closes,
        },
        index=index,
    )


targets = st.sampled_from([np.nan, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0])
fills = st.sampled_from([FillAt.NEXT_OPEN, FillAt.CLOSE])


@st.composite
def costs(draw: st.DrawFn) -> Costs:
    # Non-negative rates: financing is then a cost on either side (§8 charges |notional|).
    return Costs(
        commission=draw(st.floats(0, 0.01)),
        commission_per_unit=draw(st.floats(0, 0.05)),
        spread=draw(st.floats(0, 0.5)),
        slippage=draw(st.floats(0, 0.01)),
        financing_long=draw(st.floats(0, 0.5)),
        financing_short=draw(st.floats(0, 0.5)),
    )


def _fixed(bars: pd.DataFrame, draw_targets: list[float]) -> FixedTarget:
    values = (draw_targets * len(bars))[: len(bars)]
    return FixedTarget(values=tuple(values))


@SETTINGS
@given(bars=price_paths(), fill=fills, cost=costs(), mode=st.sampled_from(list(SizeMode)))
def test_flat_target_leaves_equity_unchanged(
    bars: pd.DataFrame, fill: FillAt, cost: Costs, mode: SizeMode
) -> None:
    config = BacktestConfig(cash=50_000, fill=fill, costs=cost, size_mode=mode)
    result = backtest(FixedTarget(values=(0.0,) * len(bars)), bars, config)
    assert (result.equity == 50_000).all()
    assert len(result.trades) == 0
    assert result.metrics.exposure == 0


@SETTINGS
@given(
    bars=price_paths(),
    picks=st.lists(targets, min_size=1, max_size=40),
    fill=fills,
    cost=costs(),
    mode=st.sampled_from([SizeMode.EQUITY, SizeMode.UNITS]),
)
def test_costs_never_increase_equity(
    bars: pd.DataFrame, picks: list[float], fill: FillAt, cost: Costs, mode: SizeMode
) -> None:
    strategy = _fixed(bars, picks)
    free = BacktestConfig(fill=fill, size_mode=mode, units=500.0)
    costly = free.model_copy(update={"costs": cost})
    without, with_costs = backtest(strategy, bars, free), backtest(strategy, bars, costly)
    assert (with_costs.equity <= without.equity * (1 + 1e-12)).all()
    assert with_costs.metrics.final_equity <= without.metrics.final_equity * (1 + 1e-12)
    # Returns are measured from the starting cash (ADR 0002 §9), which costs cannot change:
    # the total return and the first return (a bar-0 close fill's costs) can only fall.
    assert with_costs.metrics.total_return <= without.metrics.total_return + 1e-12
    assert with_costs.returns.iloc[0] <= without.returns.iloc[0] + 1e-12


@SETTINGS
@given(
    bars=price_paths(),
    picks=st.lists(targets, min_size=1, max_size=40),
    fill=fills,
    long_only=st.booleans(),
)
def test_positions_follow_the_processed_target(
    bars: pd.DataFrame, picks: list[float], fill: FillAt, long_only: bool
) -> None:
    """UNITS: the position is f · units, moved only on the execution bar of a target change."""
    direction = Direction.LONG_ONLY if long_only else Direction.BOTH
    config = BacktestConfig(fill=fill, size_mode=SizeMode.UNITS, units=100, direction=direction)
    strategy = _fixed(bars, picks)
    result = backtest(strategy, bars, config)
    f = process_targets(
        np.asarray(strategy.params.values).reshape(-1, 1), bars[["close"]].to_numpy(), config, 252
    )
    due = target_changes(f)[:, 0]
    expected = np.zeros(len(bars))
    held = 0.0
    for t in range(len(bars)):
        decided = t if fill is FillAt.CLOSE else t - 1
        if decided >= 0 and due[decided]:
            held = f[decided, 0] * 100
        expected[t] = held
    np.testing.assert_array_equal(result.position.to_numpy(), expected)
    if long_only:
        assert (result.position >= 0).all()


@settings(max_examples=10, deadline=None)
@given(cut=st.integers(40, 399), fill=fills)
def test_appending_bars_does_not_change_the_past(cut: int, fill: FillAt) -> None:
    bars = make_bars(400, seed=9)
    config = BacktestConfig(fill=fill, costs=Costs(commission=1e-4, spread=1e-4))
    full = backtest(SmaCross(fast=5, slow=20), bars, config)
    head = backtest(SmaCross(fast=5, slow=20), bars.iloc[:cut], config)
    pd.testing.assert_series_equal(head.equity, full.equity.iloc[:cut])
