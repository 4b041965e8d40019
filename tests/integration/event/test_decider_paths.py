"""The decider's per-bar paths (strategies.incremental): a built-in's incremental states, one
per panel column, and `target` on the window for a strategy that declares no state."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from execution_engine.host.decider import Decider
from execution_engine.host.records import HostRecords
from execution_engine.host.reporter import HostReporter
from execution_engine.targets import TargetRules

from strategies import Strategy, StrategyParams, plugins
from tests.integration.event.conftest import PARAMS, fx_bars

FIELDS = ["open", "high", "low", "close", "volume"]


def _raw_targets(strategy: Strategy[Any], frames: dict[str, pd.DataFrame]) -> np.ndarray:
    """Feed every bar to a decider; the raw targets it recorded, bar × column."""
    columns = list(frames)
    reporter = HostReporter(HostRecords(), columns, now=lambda: 0, warn=lambda _: None)
    decider = Decider(strategy, columns, len(columns) > 1, None, TargetRules(), reporter)
    index = next(iter(frames.values())).index
    values = {c: f[FIELDS].to_numpy() for c, f in frames.items()}
    for t, stamp in enumerate(index):
        rows = {col: tuple(float(v) for v in values[c][t]) for col, c in enumerate(columns)}
        decider.decide(t, pd.Timestamp(stamp).value, rows)
    assert reporter.records.of_kind("strategy_error") == []
    return np.asarray(reporter.records.raw_targets, dtype=float)


def test_panel_columns_each_get_their_own_state() -> None:
    frames = {"EURUSD": fx_bars("EUR/USD", n=200), "GBPUSD": fx_bars("GBP/USD", n=200, seed=5)}
    for name in PARAMS:
        strategy = plugins.create(name, **PARAMS[name])
        expected = strategy.target(pd.concat(frames, axis=1)).to_numpy()
        np.testing.assert_array_equal(_raw_targets(strategy, frames), expected, err_msg=name)


class _NoParams(StrategyParams):
    pass


class _AboveFirst(Strategy[_NoParams]):
    """Long while the close is above the first close seen: needs the whole history."""

    name = "decider_above_first"
    Params = _NoParams

    @property
    def warmup(self) -> int:
        return 1

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        close = bars["close"]
        return (close > close.iloc[0]).astype(float) * 2 - 1


def test_a_strategy_without_state_is_shown_the_whole_history() -> None:
    bars = fx_bars("EUR/USD", n=150)
    strategy = _AboveFirst()

    expected = strategy.target(bars).to_numpy()
    np.testing.assert_array_equal(_raw_targets(strategy, {"EUR/USD": bars})[:, 0], expected)
