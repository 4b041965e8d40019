"""Gauntlet against an independent backtester: backtesting.py 0.6.6 (AGPL-3.0, test-only).

A long-only SMA(10)/SMA(50) crossover on real daily GOOG bars (tests/acceptance/data/
goog_d1.csv), whole shares, a cash account, next-open fills, without and with a 0.2 %
commission, run in both. The trade lists must be identical (entry and exit bar, size, entry and
exit price), closed trades' pnl and commissions equal, and the equity curves, the final equity,
the total return and the maximum drawdown equal to a relative 1e-9 (float summation order).

The two pairs compared:
- Gauntlet `sma_cross(entry="cross", allow_short=False)` and backtesting.py's own example
  strategy (`self.I(SMA)`, `crossover(fast, slow)` → `buy()`, `crossover(slow, fast)` →
  `position.close()`);
- Gauntlet `sma_cross(entry="state", allow_short=False)` and a strategy that holds while
  fast > slow. It reads the averages from arrays rather than `self.I`: backtesting.py starts
  calling `next()` one bar after every `self.I` indicator is defined (it wants two values for
  `crossover`), where Gauntlet's state is traded from the first defined bar (ADR 0002 §15).

Conventions that differ (also in docs/reference-backtesting-py.md):
- Sizing. backtesting.py: a size in (0, 1) is a fraction of the available margin × leverage,
  and `buy()`'s default is 1 - 2.2e-16; units = floor(margin_available · leverage · size /
  (price · (1 + spread) + commission per unit)), and an order that does not fit is cancelled.
  With margin=1 (no leverage), flat, no spread, this is Gauntlet's cash account (§12): the buy
  is cut so that size · price · (1 + commission) <= cash, then floored to the size step
  (GOOG: 1 share). The fraction 1 - 2.2e-16 could floor one share less where E / (p (1 + c))
  is within 2e-16 of an integer; it does not happen on this data.
  backtesting.py values the equity it sizes on at the fill bar's close (its `last_price`);
  Gauntlet at the fill price. It never matters here: every buy is made from flat.
- Crossing. backtesting.py's `crossover(a, b)` is strict on both bars (a[-2] < b[-2] and
  a[-1] > b[-1]); Gauntlet's entry="cross" is a flip of fast > slow, so a bar with
  fast == slow counts as "not above". The test asserts the data has no such tie.
- Open trades. backtesting.py's `stats._trades` lists closed trades only (unless
  `finalize_trades=True`, which closes them at the last bar's open); Gauntlet lists the open
  trade valued at the last close, as backtesting.py's equity curve does. We read its open
  trades from `stats._strategy.trades`.
- Metrics not compared. Sharpe: backtesting.py compounds a geometric mean daily return over
  252 days (365 with weekends) and uses a compounded volatility; Gauntlet is mean / std of
  per-bar returns × sqrt(periods per year), the XNYS calendar's ~252.5. CAGR: backtesting.py
  counts years as days / 365.25. Exposure: backtesting.py counts closed trades' bars from entry
  to exit inclusive; Gauntlet counts bars held at the close. Win rate, profit factor and
  expectancy: backtesting.py's are of closed trades' percentage returns.
- Costs. backtesting.py's spread is relative and charged on entry only; Gauntlet's is
  absolute, half per fill. Both are 0 here; commission is a fraction of notional in both,
  charged on entry and exit at the fill price.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest
from backtesting import Strategy as BtStrategy
from backtesting.lib import crossover
from backtesting.test import SMA

from research import BacktestResult, backtest
from tests.acceptance.real_data import GOOG_D1, load_real_bars

FAST, SLOW = 10, 50
CASH = 100_000.0
COMMISSIONS = [0.0, 0.002]
# What float summation order may move: equity sums differ in the last bits, never more.
REL = 1e-9

# (entry bar, exit bar or None while open, size, entry price, exit price or None)
TradeRow = tuple[int, int | None, int, float, float | None]


class CrossingSma(BtStrategy):  # type: ignore[misc]  # backtesting.py has no type hints
    """backtesting.py's own example: enter on a crossing up, leave on a crossing down."""

    def init(self) -> None:
        self.fast = self.I(SMA, self.data.Close, FAST)
        self.slow = self.I(SMA, self.data.Close, SLOW)

    def next(self) -> None:
        if crossover(self.fast, self.slow):
            self.buy()
        elif crossover(self.slow, self.fast):
            self.position.close()


class HoldingSma(BtStrategy):  # type: ignore[misc]  # backtesting.py has no type hints
    """Long while fast > slow, from the first bar both are defined (no `self.I`: see above)."""

    def init(self) -> None:
        close = pd.Series(self.data.Close)
        self.fast_values = SMA(close, FAST).to_numpy()
        self.slow_values = SMA(close, SLOW).to_numpy()

    def next(self) -> None:
        i = len(self.data) - 1
        above = bool(self.fast_values[i] > self.slow_values[i])  # NaN: False, flat
        if above and not self.position:
            self.buy()
        elif not above and self.position:
            self.position.close()


REFERENCE: dict[str, type[BtStrategy]] = {"cross": CrossingSma, "state": HoldingSma}


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return load_real_bars(GOOG_D1)


def _run_backtesting_py(bars: pd.DataFrame, entry: str, commission: float) -> pd.Series:
    ohlc = bars.rename(columns=str.capitalize)
    ohlc.index = pd.DatetimeIndex(ohlc.index).tz_localize(None)  # backtesting.py: naive
    bt = Backtest(
        ohlc,
        REFERENCE[entry],
        cash=CASH,
        commission=commission,
        margin=1.0,
        trade_on_close=False,
        exclusive_orders=True,
    )
    with warnings.catch_warnings():
        # Expected: the last trade is still open. Any other warning (a cancelled order) fails.
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", "Some trades remain open", UserWarning)
        stats: pd.Series = bt.run()
    return stats


def _run_gauntlet(bars: pd.DataFrame, entry: str, commission: float) -> BacktestResult:
    return backtest(
        "sma_cross",
        bars,
        params={"fast": FAST, "slow": SLOW, "allow_short": False, "entry": entry},
        account="cash",
        direction="long_only",
        commission=commission,
        cash=CASH,
        instrument="GOOG",
    )


def _reference_trades(stats: pd.Series) -> list[TradeRow]:
    closed: list[TradeRow] = [
        (int(t.EntryBar), int(t.ExitBar), int(t.Size), float(t.EntryPrice), float(t.ExitPrice))
        for t in stats["_trades"].itertuples()
    ]
    still_open: list[TradeRow] = [
        (int(t.entry_bar), None, int(t.size), float(t.entry_price), None)
        for t in stats["_strategy"].trades
    ]
    return closed + still_open


def _gauntlet_trades(result: BacktestResult, index: pd.Index) -> list[TradeRow]:
    trades = result.trades
    entry = index.get_indexer(pd.DatetimeIndex(trades["entry_time"]))
    exit_ = index.get_indexer(pd.DatetimeIndex(trades["exit_time"]))  # NaT (open): -1
    closed = (trades["status"] == "closed").to_numpy()
    size = trades["size"].to_numpy(dtype=float)
    entry_price = trades["entry_price"].to_numpy(dtype=float)
    exit_price = trades["exit_price"].to_numpy(dtype=float)
    assert (size == np.floor(size)).all(), "whole shares"
    return [
        (
            int(entry[i]),
            int(exit_[i]) if closed[i] else None,
            int(size[i]),
            float(entry_price[i]),
            float(exit_price[i]) if closed[i] else None,
        )
        for i in range(len(trades))
    ]


def _same_trades(got: list[TradeRow], want: list[TradeRow]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g[:3] == w[:3], (g, w)  # bars and sizes exactly
        assert g[3] == pytest.approx(w[3], rel=1e-12), (g, w)  # prices are the data's opens
        assert (g[4] is None) == (w[4] is None), (g, w)
        if g[4] is not None:
            assert g[4] == pytest.approx(w[4], rel=1e-12), (g, w)


def test_the_data_has_no_tie_between_the_averages(bars: pd.DataFrame) -> None:
    """A bar with fast == slow would be a crossing for one convention only (see above)."""
    close = bars["close"]
    fast, slow = SMA(close, FAST), SMA(close, SLOW)
    defined = slow.notna()
    assert defined.sum() == len(bars) - SLOW + 1
    assert not (fast[defined] == slow[defined]).any()


@pytest.mark.parametrize("commission", COMMISSIONS)
@pytest.mark.parametrize("entry", ["cross", "state"])
def test_trades_and_equity_equal_backtesting_py(
    bars: pd.DataFrame, entry: str, commission: float
) -> None:
    reference = _run_backtesting_py(bars, entry, commission)
    result = _run_gauntlet(bars, entry, commission)
    want = _reference_trades(reference)
    assert len(want) > 10, "a comparison of a handful of trades proves little"
    _same_trades(_gauntlet_trades(result, bars.index), want)

    closed = result.trades[result.trades["status"] == "closed"]
    np.testing.assert_allclose(closed["pnl"], reference["_trades"]["PnL"], rtol=REL)
    np.testing.assert_allclose(closed["fees"], reference["_trades"]["Commission"], rtol=REL)
    equity = reference["_equity_curve"]["Equity"].to_numpy()
    np.testing.assert_allclose(result.equity.to_numpy(), equity, rtol=REL)
    metrics = result.metrics
    assert metrics.final_equity == pytest.approx(reference["Equity Final [$]"], rel=REL)
    assert metrics.total_return == pytest.approx(reference["Return [%]"] / 100, rel=REL)
    assert metrics.max_drawdown == pytest.approx(reference["Max. Drawdown [%]"] / 100, rel=REL)


def test_entry_state_enters_on_the_first_defined_bar(bars: pd.DataFrame) -> None:
    """The difference §15 names, on this data: the state is long from the first bar both
    averages exist; a crossing comes later. backtesting.py's example waits for it too."""
    state = _run_gauntlet(bars, "state", 0.0).trades
    cross = _run_gauntlet(bars, "cross", 0.0).trades
    first_defined = SLOW - 1
    assert bars.index.get_loc(state["entry_time"].iloc[0]) == first_defined + 1  # next open
    assert cross["entry_time"].iloc[0] > state["entry_time"].iloc[0]
