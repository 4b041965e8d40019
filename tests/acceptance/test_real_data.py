"""Pinned numbers on real market data: EUR/USD hourly and GOOG daily (data/SOURCES.md).

Each case pins what every machine computes alike: the trade count, the first and last trade's
entry and exit times, their entry and exit prices (exact: fills at the open with no slippage or
spread are the data's own prices), and the final equity and total return (relative 1e-9, as in
test_pinned_backtest.py; no hash of a float). real_data.py checks each file's sha256 first:
other data, and the pins mean nothing.

The margin-account cases trade whole units (round_units=True), so §14's size steps (ADR 0002)
leave them as they are; GOOG is long-only, so no stop-out can happen (margin 100 %, |f| <= 1).
The cash-account cases (§12) take GOOG's own size step, 1 share.
If a number here changes, the accounting or a strategy changed: explain why in the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

from research import BacktestResult, backtest
from research.engine.run import resolve_config
from research.metrics import Metrics
from research.sweep import sweep
from strategies import SmaCross, plugins
from strategies.incremental import replay
from tests.acceptance.real_data import SHA256, load_real_bars


@dataclass(frozen=True)
class Trade:
    """A pinned trade: entry and exit (None while it is open at the end)."""

    side: str
    entry_time: str
    entry_price: float
    exit_time: str | None
    exit_price: float | None


@dataclass(frozen=True)
class Case:
    file: str
    strategy: str
    params: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pin:
    trades: int
    first: Trade
    last: Trade
    final_equity: float
    total_return: float


EURUSD_COSTS = {"commission": 1e-4, "round_units": True}
GOOG_LONG = {"direction": "long_only", "round_units": True}
# A cash account (ADR 0002 §12): buys reserve their commission; whole shares come from GOOG's
# size step (§14), not from round_units.
GOOG_CASH = {"account": "cash", "direction": "long_only", "commission": 0.002}

CASES: dict[str, Case] = {
    "eurusd-sma-10-30-commission": Case("eurusd_h1.csv", "sma_cross", {"fast": 10, "slow": 30},
                                        EURUSD_COSTS),
    "eurusd-sma-10-30-entry-cross": Case("eurusd_h1.csv", "sma_cross",
                                         {"fast": 10, "slow": 30, "entry": "cross"}, EURUSD_COSTS),
    "eurusd-sma-10-30-every-bar": Case("eurusd_h1.csv", "sma_cross", {"fast": 10, "slow": 30},
                                       {**EURUSD_COSTS, "rebalance": "every_bar"}),
    "eurusd-sma-10-30-drift-1pct": Case("eurusd_h1.csv", "sma_cross", {"fast": 10, "slow": 30},
                                        {**EURUSD_COSTS, "rebalance": "drift",
                                         "rebalance_threshold": 0.01}),
    "eurusd-ema-12-26": Case("eurusd_h1.csv", "ema_cross", {"fast": 12, "slow": 26},
                             {"round_units": True}),
    "eurusd-donchian-20": Case("eurusd_h1.csv", "donchian_breakout", {"window": 20},
                               EURUSD_COSTS),
    "goog-sma-10-50-long": Case("goog_d1.csv", "sma_cross", {"fast": 10, "slow": 50}, GOOG_LONG),
    "goog-sma-10-50-long-commission": Case("goog_d1.csv", "sma_cross", {"fast": 10, "slow": 50},
                                           {**GOOG_LONG, "commission": 0.002}),
    "goog-ema-20-100-long-entry-cross": Case("goog_d1.csv", "ema_cross",
                                             {"fast": 20, "slow": 100, "entry": "cross"},
                                             GOOG_LONG),
    "goog-sma-10-50-cash-commission": Case("goog_d1.csv", "sma_cross",
                                           {"fast": 10, "slow": 50, "allow_short": False},
                                           GOOG_CASH),
    "goog-ema-20-100-cash-commission-entry-cross": Case("goog_d1.csv", "ema_cross",
                                                        {"fast": 20, "slow": 100,
                                                         "allow_short": False, "entry": "cross"},
                                                        GOOG_CASH),
}  # fmt: skip

PINS: dict[str, Pin] = {
    "eurusd-sma-10-30-commission": Pin(
        trades=168,
        first=Trade(
            side="long",
            entry_time="2017-04-20T15:00:00+00:00",
            entry_price=1.07652,
            exit_time="2017-04-21T00:00:00+00:00",
            exit_price=1.07138,
        ),
        last=Trade(
            side="short",
            entry_time="2018-02-07T11:00:00+00:00",
            entry_price=1.2339,
            exit_time=None,
            exit_price=None,
        ),
        final_equity=94601.98338314112,
        total_return=-0.053980166168588806,
    ),
    "eurusd-sma-10-30-entry-cross": Pin(
        trades=167,
        first=Trade(
            side="short",
            entry_time="2017-04-21T00:00:00+00:00",
            entry_price=1.07138,
            exit_time="2017-04-23T22:00:00+00:00",
            exit_price=1.08977,
        ),
        last=Trade(
            side="short",
            entry_time="2018-02-07T11:00:00+00:00",
            entry_price=1.2339,
            exit_time=None,
            exit_price=None,
        ),
        final_equity=95075.07588234193,
        total_return=-0.049249241176580694,
    ),
    "eurusd-sma-10-30-every-bar": Pin(
        trades=168,
        first=Trade(
            side="long",
            entry_time="2017-04-20T15:00:00+00:00",
            entry_price=1.07652,
            exit_time="2017-04-21T00:00:00+00:00",
            exit_price=1.071380427274978,
        ),
        last=Trade(
            side="short",
            entry_time="2018-02-07T11:00:00+00:00",
            entry_price=1.233900286584648,
            exit_time=None,
            exit_price=None,
        ),
        final_equity=94535.22297781201,
        total_return=-0.05464777022187994,
    ),
    "eurusd-sma-10-30-drift-1pct": Pin(
        trades=168,
        first=Trade(
            side="long",
            entry_time="2017-04-20T15:00:00+00:00",
            entry_price=1.07652,
            exit_time="2017-04-21T00:00:00+00:00",
            exit_price=1.07138,
        ),
        last=Trade(
            side="short",
            entry_time="2018-02-07T11:00:00+00:00",
            entry_price=1.2339,
            exit_time=None,
            exit_price=None,
        ),
        final_equity=94545.13589503423,
        total_return=-0.05454864104965773,
    ),
    "eurusd-ema-12-26": Pin(
        trades=160,
        first=Trade(
            side="long",
            entry_time="2017-04-20T11:00:00+00:00",
            entry_price=1.07552,
            exit_time="2017-04-20T22:00:00+00:00",
            exit_price=1.07156,
        ),
        last=Trade(
            side="short",
            entry_time="2018-02-02T15:00:00+00:00",
            entry_price=1.24288,
            exit_time=None,
            exit_price=None,
        ),
        final_equity=101591.4208400002,
        total_return=0.015914208400001906,
    ),
    "eurusd-donchian-20": Pin(
        trades=108,
        first=Trade(
            side="long",
            entry_time="2017-04-20T07:00:00+00:00",
            entry_price=1.0741,
            exit_time="2017-04-21T10:00:00+00:00",
            exit_price=1.07054,
        ),
        last=Trade(
            side="short",
            entry_time="2018-02-02T14:00:00+00:00",
            entry_price=1.2445,
            exit_time=None,
            exit_price=None,
        ),
        final_equity=100880.52897797602,
        total_return=0.00880528977976014,
    ),
    "goog-sma-10-50-long": Pin(
        trades=21,
        first=Trade(
            side="long",
            entry_time="2004-10-29T00:00:00+00:00",
            entry_price=198.89,
            exit_time="2005-03-02T00:00:00+00:00",
            exit_price=185.95,
        ),
        last=Trade(
            side="long",
            entry_time="2012-12-18T00:00:00+00:00",
            entry_price=716.6,
            exit_time=None,
            exit_price=None,
        ),
        final_equity=351891.58999999985,
        total_return=2.5189158999999983,
    ),
    "goog-sma-10-50-long-commission": Pin(
        trades=21,
        first=Trade(
            side="long",
            entry_time="2004-10-29T00:00:00+00:00",
            entry_price=198.89,
            exit_time="2005-03-02T00:00:00+00:00",
            exit_price=185.95,
        ),
        last=Trade(
            side="long",
            entry_time="2012-12-18T00:00:00+00:00",
            entry_price=716.6,
            exit_time=None,
            exit_price=None,
        ),
        final_equity=324841.7322,
        total_return=2.2484173220000003,
    ),
    "goog-ema-20-100-long-entry-cross": Pin(
        trades=13,
        first=Trade(
            side="long",
            entry_time="2006-04-07T00:00:00+00:00",
            entry_price=412.41,
            exit_time="2006-05-24T00:00:00+00:00",
            exit_price=377.35,
        ),
        last=Trade(
            side="long",
            entry_time="2012-11-30T00:00:00+00:00",
            entry_price=691.31,
            exit_time=None,
            exit_price=None,
        ),
        final_equity=156725.45000000007,
        total_return=0.5672545000000007,
    ),
    "goog-sma-10-50-cash-commission": Pin(
        trades=21,
        first=Trade(
            side="long",
            entry_time="2004-10-29T00:00:00+00:00",
            entry_price=198.89,
            exit_time="2005-03-02T00:00:00+00:00",
            exit_price=185.95,
        ),
        last=Trade(
            side="long",
            entry_time="2012-12-18T00:00:00+00:00",
            entry_price=716.6,
            exit_time=None,
            exit_price=None,
        ),
        final_equity=324430.72668,
        total_return=2.2443072668000004,
    ),
    "goog-ema-20-100-cash-commission-entry-cross": Pin(
        trades=13,
        first=Trade(
            side="long",
            entry_time="2006-04-07T00:00:00+00:00",
            entry_price=412.41,
            exit_time="2006-05-24T00:00:00+00:00",
            exit_price=377.35,
        ),
        last=Trade(
            side="long",
            entry_time="2012-11-30T00:00:00+00:00",
            entry_price=691.31,
            exit_time=None,
            exit_price=None,
        ),
        final_equity=148821.22449999998,
        total_return=0.4882122449999997,
    ),
}


@pytest.fixture(scope="module")
def real_bars() -> dict[str, pd.DataFrame]:
    return {file: load_real_bars(file) for file in SHA256}


def _run(case: Case, bars: pd.DataFrame) -> BacktestResult:
    return backtest(case.strategy, bars, params=case.params, **case.config)


def _assert_trade(row: pd.Series, pin: Trade) -> None:
    """Side and times exactly; prices to 1e-12: a trade's price is the size-weighted average
    of its fills (716.6000000000001 for one fill at 716.6; more with rebalancing)."""
    is_open = row["status"] == "open"
    assert (str(row["side"]), row["entry_time"].isoformat()) == (pin.side, pin.entry_time)
    assert float(row["entry_price"]) == pytest.approx(pin.entry_price, rel=1e-12)
    assert is_open == (pin.exit_time is None), "open at the end, or closed, as pinned"
    if pin.exit_time is None or pin.exit_price is None:
        return
    assert row["exit_time"].isoformat() == pin.exit_time
    assert float(row["exit_price"]) == pytest.approx(pin.exit_price, rel=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_pinned_on_real_data(name: str, real_bars: dict[str, pd.DataFrame]) -> None:
    case = CASES[name]
    result = _run(case, real_bars[case.file])
    pin = PINS[name]
    trades = result.trades
    assert len(trades) == result.metrics.trades == pin.trades
    _assert_trade(trades.iloc[0], pin.first)
    _assert_trade(trades.iloc[-1], pin.last)
    assert result.metrics.final_equity == pytest.approx(pin.final_equity, rel=1e-9)
    assert result.metrics.total_return == pytest.approx(pin.total_return, rel=1e-9)
    assert result.metrics.stop_outs == 0  # unlevered, or 3 % margin at |f| <= 1
    if case.config.get("rebalance", "off") == "off":
        # One fill per entry, at the next open, no slippage or spread: the data's own open.
        opens = real_bars[case.file]["open"]
        entries = trades["entry_price"].to_numpy()
        want = opens.loc[trades["entry_time"]].to_numpy()
        np.testing.assert_allclose(entries, want, rtol=1e-12)


@pytest.mark.parametrize("entry", ["state", "cross"])
@pytest.mark.parametrize("name", ["sma_cross", "ema_cross"])
def test_per_bar_state_equals_target_on_real_data(
    name: str, entry: str, real_bars: dict[str, pd.DataFrame]
) -> None:
    """What the event host computes bar by bar equals the vectorized target, on both files."""
    for bars in real_bars.values():
        strategy = plugins.create(name, fast=10, slow=30, entry=entry)
        expected = strategy.target(bars).to_numpy()
        np.testing.assert_array_equal(replay(strategy, bars).to_numpy(), expected)


def test_entry_cross_differs_from_state_only_before_the_first_crossing(
    real_bars: dict[str, pd.DataFrame],
) -> None:
    bars = real_bars["eurusd_h1.csv"]
    state = SmaCross(fast=10, slow=30).compute(bars)
    cross = SmaCross(fast=10, slow=30, entry="cross").compute(bars)
    differs = np.flatnonzero((state != cross) & state.notna())
    assert len(differs) > 0, "the first state must be held for some bars before a crossing"
    first_cross = differs[-1] + 1
    assert (differs == np.arange(29, first_cross)).all()  # one run from the first defined bar
    assert (cross.iloc[29:first_cross] == 0).all()
    pd.testing.assert_series_equal(cross.iloc[first_cross:], state.iloc[first_cross:])


def _sweep_and_single(bars: pd.DataFrame, entry: str) -> tuple[pd.Series, Metrics]:
    config = resolve_config(None, EURUSD_COSTS)
    space: dict[str, list[Any]] = {"fast": [10], "slow": [30], "entry": [entry]}
    row = sweep("sma_cross", bars, space, workers=1, config=config).table.iloc[0]
    return row, backtest("sma_cross", bars, config, params=row["params"]).metrics


@pytest.mark.parametrize("entry", ["state", "cross"])
def test_sweep_with_entry_equals_single_backtest(
    entry: str, real_bars: dict[str, pd.DataFrame]
) -> None:
    """The sweep's fused crossover path compares two averages itself: entry=cross must not
    take it (research/sweep/evaluate.py), and the sweep annualises as the engine does."""
    row, single = _sweep_and_single(real_bars["eurusd_h1.csv"], entry)
    assert row["trades"] == single.trades
    assert row["final_equity"] == pytest.approx(single.final_equity, rel=1e-9)
    assert row["periods_per_year"] == pytest.approx(single.periods_per_year, rel=1e-12)
    assert row["sharpe"] == pytest.approx(single.sharpe, rel=1e-9)
