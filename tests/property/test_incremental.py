"""The per-bar states of the built-ins equal their vectorized `target`, bar for bar (hypothesis).

`target(bars)` is the definition; `strategies.incremental.replay` runs what a per-bar host
runs (one `update` per bar). Prices move in whole ticks so that flat runs, repeated values
and exactly equal averages (ties) are common, and some bars jump (price gaps) after a time
gap in the index.

Tolerance: none for the five threshold strategies. Their states repeat pandas' arithmetic
operation for operation (strategies.builtin.online), so the indicators are the same floats
and every decision (a crossover of two equal averages included) is identical: the targets
are asserted exactly equal, NaN warm-up included. vol_target_trend's target is continuous
and goes through a logarithm: its state calls np.log per bar, which gives the array's bits
on numpy's current kernels, but a platform whose scalar and vector np.log paths differed
would move it in the last bit, so its values are asserted equal to 1e-9 and its sign
exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import Strategy, StrategyParams, plugins
from strategies.builtin import SmaCross
from strategies.incremental import (
    declared_lookback,
    incremental_state,
    reads_closes_only,
    replay,
    window_for,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TICK = 1e-4
BUILTINS = (
    "sma_cross",
    "ema_cross",
    "rsi_reversion",
    "bollinger_reversion",
    "donchian_breakout",
    "vol_target_trend",
)


@st.composite
def tick_bars(draw: st.DrawFn) -> pd.DataFrame:
    """Up to 300 bars moving in whole ticks, with flat runs, price gaps and time gaps."""
    n = draw(st.integers(2, 300))
    moves = np.asarray(draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)), dtype=float)
    flat_from = draw(st.integers(0, n))
    moves[flat_from : flat_from + draw(st.integers(0, 80))] = 0.0  # a flat run
    jumps = draw(st.lists(st.integers(1, max(1, n - 1)), max_size=3))
    for at in jumps:
        moves[at] += draw(st.sampled_from([-400.0, 400.0]))  # a ±4 % gap
    close = np.round(1.0 + TICK * np.cumsum(moves), 4)
    opens = np.concatenate([[close[0]], close[:-1]])
    wick = TICK * np.asarray(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)))
    steps = np.ones(n, dtype="int64")
    for at in jumps:
        steps[at] = 48  # the market was closed: two days without bars
    index = pd.DatetimeIndex(
        pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.cumsum(steps), unit="h")
    )
    return pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, close) + wick,
            "low": np.minimum(opens, close) - wick,
            "close": close,
            "volume": 1.0,
        },
        index=index,
    )


def _cross(draw: st.DrawFn) -> dict[str, Any]:
    fast = draw(st.integers(1, 20))
    return {
        "fast": fast,
        "slow": draw(st.integers(fast + 1, 40)),
        "allow_short": draw(st.booleans()),
    }


def _rsi(draw: st.DrawFn) -> dict[str, Any]:
    # Round levels too: an RSI of exactly 50 (equal gains and losses) meets exit_level 50.
    level = st.one_of(st.sampled_from([20.0, 25.0, 50.0, 75.0, 80.0]), st.floats(1, 99))
    lower, exit_level, upper = sorted(draw(st.lists(level, min_size=3, max_size=3, unique=True)))
    return {
        "window": draw(st.integers(2, 30)),
        "lower": lower,
        "exit_level": exit_level,
        "upper": upper,
        "allow_short": draw(st.booleans()),
    }


def _bollinger(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "window": draw(st.integers(2, 30)),
        "k": draw(st.floats(0.05, 4.0)),
        "allow_short": draw(st.booleans()),
    }


def _donchian(draw: st.DrawFn) -> dict[str, Any]:
    return {"window": draw(st.integers(2, 30)), "allow_short": draw(st.booleans())}


def _vol_target(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "lookback": draw(st.integers(2, 40)),
        "vol_window": draw(st.integers(2, 30)),
        "target_vol": draw(st.floats(0.01, 2.0)),
        "periods_per_year": draw(st.sampled_from([252.0, 365.25, 8760.0, 525600.0])),
        "max_leverage": draw(st.floats(0.1, 1.0)),
        "allow_short": draw(st.booleans()),
    }


PARAMS = {
    "sma_cross": _cross,
    "ema_cross": _cross,
    "rsi_reversion": _rsi,
    "bollinger_reversion": _bollinger,
    "donchian_breakout": _donchian,
    "vol_target_trend": _vol_target,
}


@st.composite
def builtin_strategies(draw: st.DrawFn, /, name: str, **fixed: Any) -> Strategy[Any]:
    return plugins.create(name, **(PARAMS[name](draw) | fixed))


def _assert_same_targets(strategy: Strategy[Any], bars: pd.DataFrame, close: bool = False) -> None:
    expected = strategy.target(bars).to_numpy()
    got = replay(strategy, bars).to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(expected)), "warm-up differs"
    if close:
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    elif strategy.name == "vol_target_trend":
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(np.sign(got), np.sign(expected))
    else:
        np.testing.assert_array_equal(got, expected)


def _property(name: str, **fixed: Any) -> Any:
    @SETTINGS
    @given(strategy=builtin_strategies(name, **fixed), bars=tick_bars())
    def check(strategy: Strategy[Any], bars: pd.DataFrame) -> None:
        assert incremental_state(strategy) is not None  # the path under test, not a fallback
        _assert_same_targets(strategy, bars)

    suffix = "".join(f"_{key}_{value}" for key, value in fixed.items())
    check.__name__ = f"test_incremental_{name}{suffix}_equals_target"
    return check


# Crossovers: each entry rule (ADR 0002 §15) on its own, so both are proven every run.
test_incremental_sma_cross_entry_state_equals_target = _property("sma_cross", entry="state")
test_incremental_sma_cross_entry_cross_equals_target = _property("sma_cross", entry="cross")
test_incremental_ema_cross_entry_state_equals_target = _property("ema_cross", entry="state")
test_incremental_ema_cross_entry_cross_equals_target = _property("ema_cross", entry="cross")
test_incremental_rsi_reversion_equals_target = _property("rsi_reversion")
test_incremental_bollinger_reversion_equals_target = _property("bollinger_reversion")
test_incremental_donchian_breakout_equals_target = _property("donchian_breakout")
test_incremental_vol_target_trend_equals_target = _property("vol_target_trend")


@SETTINGS
@given(data=st.data(), bars=tick_bars())
def test_a_closes_only_state_reads_nothing_but_the_close(
    data: st.DataObject, bars: pd.DataFrame
) -> None:
    """A state that declares `closes_only` (the host then hands it only each bar's close) gives
    the same targets when open, high, low and volume are NaN: it really reads only the close."""
    name = data.draw(st.sampled_from(sorted(BUILTINS)))
    strategy = data.draw(builtin_strategies(name))
    state = incremental_state(strategy)
    assert state is not None
    if not reads_closes_only(state):
        return  # Donchian reads high and low: nothing to prove for it here
    blind = bars.assign(open=np.nan, high=np.nan, low=np.nan, volume=np.nan)
    np.testing.assert_array_equal(
        replay(strategy, blind).to_numpy(), replay(strategy, bars).to_numpy()
    )


def test_donchian_is_the_only_builtin_reading_more_than_the_close() -> None:
    states = {name: incremental_state(plugins.create(name)) for name in BUILTINS}
    reading_more = {
        n for n, state in states.items() if state is None or not reads_closes_only(state)
    }
    assert reading_more == {"donchian_breakout"}


def test_every_builtin_has_a_state() -> None:
    assert set(PARAMS) == set(BUILTINS)
    for name in BUILTINS:
        assert incremental_state(plugins.create(name)) is not None


# -- the fallbacks ----------------------------------------------------------------------------


class _LastCloseParams(StrategyParams):
    pass


class _UpSinceStart(Strategy[_LastCloseParams]):
    """Long while the close is above the first close: needs the whole history."""

    name = "test_up_since_start"
    Params = _LastCloseParams

    @property
    def warmup(self) -> int:
        return 1

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        close = bars["close"]
        return pd.Series(np.where(close > close.iloc[0], 1.0, 0.0), index=close.index)


class _GapParams(StrategyParams):
    window: int = 5


class _MeanGap(Strategy[_GapParams]):
    """A continuous target over a finite window, declared by `lookback` only."""

    name = "test_mean_gap"
    Params = _GapParams

    @property
    def warmup(self) -> int:
        return self.params.window - 1

    @property
    def lookback(self) -> int:
        return self.params.window

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        close = bars["close"]
        mean = close.rolling(self.params.window).mean()
        return ((close - mean) / close * 100).clip(-1.0, 1.0)


class _ShiftedSma(SmaCross):
    """A subclass that redefines `compute`: SmaCross's state and lookback are not its own."""

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        return -super().compute(bars)


@SETTINGS
@given(bars=tick_bars())
def test_undeclared_strategy_is_evaluated_on_the_whole_history(bars: pd.DataFrame) -> None:
    strategy = _UpSinceStart()
    assert incremental_state(strategy) is None
    assert window_for(strategy, None) is None
    _assert_same_targets(strategy, bars)


@SETTINGS
@given(bars=tick_bars(), fast=st.integers(1, 9), slow=st.integers(10, 30))
def test_subclass_redefining_compute_falls_back_to_its_target(
    bars: pd.DataFrame, fast: int, slow: int
) -> None:
    strategy = _ShiftedSma(fast=fast, slow=slow)
    assert incremental_state(strategy) is None
    assert declared_lookback(strategy) is None
    _assert_same_targets(strategy, bars)


@SETTINGS
@given(bars=tick_bars(), window=st.integers(2, 30))
def test_declared_lookback_is_evaluated_on_trailing_windows(
    bars: pd.DataFrame, window: int
) -> None:
    strategy = _MeanGap(window=window)
    assert incremental_state(strategy) is None
    assert window_for(strategy, None) == window
    # A fresh window's mean and the running one differ in the last bits: 1e-9.
    _assert_same_targets(strategy, bars, close=True)


def test_declared_lookback_bounds_the_window() -> None:
    strategy = SmaCross(fast=3, slow=12)
    assert declared_lookback(strategy) == 12
    assert window_for(strategy, None) == 12
    assert window_for(strategy, 5) == 12  # never fewer bars than the warm-up needs
    assert window_for(strategy, 40) == 40


def test_entry_cross_declares_no_lookback() -> None:
    """Whether the averages have crossed yet depends on the whole history, not a window."""
    strategy = SmaCross(fast=3, slow=12, entry="cross")
    assert declared_lookback(strategy) is None
    assert window_for(strategy, None) is None
