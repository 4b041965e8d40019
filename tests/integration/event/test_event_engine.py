"""The event engine through `research.backtest(engine="event")`: schema, sizing, bad input."""

import math

import numpy as np
import pandas as pd
import pytest

from research import backtest
from research import metrics as rm
from research.engine.config import BacktestConfig
from research.engine.event import run_event
from research.engine.result import TRADE_COLUMNS
from research.errors import ResearchInputError
from strategies import SmaCross, Strategy, StrategyParams, plugins, register
from tests.integration.event.conftest import fx_bars


class _FlipParams(StrategyParams):
    pass


@register
class BadTargets(Strategy[_FlipParams]):
    """Long/short by day, but NaN at 05:00, +inf at 10:00 and 2.0 at 15:00 (after warm-up)."""

    name = "h4_bad_targets"
    Params = _FlipParams

    @property
    def warmup(self) -> int:
        return 3

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        index = pd.DatetimeIndex(bars.index)
        hours = index.hour
        out = np.where(index.day % 2 == 0, 0.5, -0.5)
        out = np.where(hours == 5, np.nan, out)
        out = np.where(hours == 10, np.inf, out)
        out = np.where(hours == 15, 2.0, out)
        return pd.Series(out, index=bars.index)


class _Bar0Params(StrategyParams):
    fast: int = 5
    slow: int = 20


@register
class Bar0Cross(Strategy[_Bar0Params]):
    """An SMA cross that is long during its warm-up: with close fills it trades on bar 0."""

    name = "event_bar0_cross"
    Params = _Bar0Params

    @property
    def warmup(self) -> int:
        return 0

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        p = self.params
        return SmaCross(fast=p.fast, slow=p.slow).target(bars).fillna(1.0)


def test_metrics_are_measured_from_the_starting_cash(eurusd: pd.DataFrame) -> None:
    """ADR 0002 §9 in the event engine: a bar-0 close fill pays costs (E_0 < cash), and
    returns, total return, CAGR and drawdown count them, as in the vectorized engine."""
    config = BacktestConfig(fill="close", costs={"commission": 1e-3, "spread": 2e-5})
    result = backtest("event_bar0_cross", eurusd, config, engine="event")
    equity, cash = result.equity.to_numpy(), config.cash
    years = rm.years_elapsed(pd.DatetimeIndex(result.equity.index))

    assert equity[0] < cash
    assert result.returns.iloc[0] == pytest.approx(equity[0] / cash - 1, rel=1e-12)
    np.testing.assert_allclose(result.returns.to_numpy(), rm.simple_returns(equity, cash))
    metrics = result.metrics
    assert metrics.total_return == pytest.approx(equity[-1] / cash - 1, rel=1e-12)
    assert metrics.cagr == pytest.approx(rm.cagr(equity, years, cash), rel=1e-12)
    assert metrics.max_drawdown == pytest.approx(rm.max_drawdown(equity, cash), rel=1e-12)
    assert metrics.max_drawdown <= equity[0] / cash - 1
    ppy = metrics.periods_per_year
    assert metrics.sharpe == pytest.approx(rm.sharpe(result.returns.to_numpy(), ppy), rel=1e-12)
    # The vectorized engine counts the same bar-0 costs; the venue rounds the fill to 5
    # decimals (here the half spread rounds away), a difference of about one tick.
    vectorized = backtest("event_bar0_cross", eurusd, config)
    assert vectorized.returns.iloc[0] == pytest.approx(result.returns.iloc[0], abs=2e-5)


def test_result_has_the_vectorized_schema(eurusd: pd.DataFrame) -> None:
    result = backtest("sma_cross", eurusd, params={"fast": 5, "slow": 20}, engine="event")

    assert result.engine == "event"
    assert list(result.trades.columns) == list(TRADE_COLUMNS)
    assert result.equity.index.equals(eurusd.index)
    assert result.position.index.equals(eurusd.index)
    assert result.metrics.trades == len(result.trades) > 0
    assert math.isclose(result.metrics.final_equity, result.equity.iloc[-1])
    assert result.to_dict()["engine"] == "event"


def test_bad_targets_are_reported_not_traded(eurusd: pd.DataFrame) -> None:
    result = run_event(plugins.create("h4_bad_targets"), eurusd, _config())

    reports = [e for e in result.extras["events"] if e["kind"] == "bad_target"]
    messages = " ".join(e["message"] for e in reports)
    assert "NaN after warm-up" in messages
    assert "inf" in messages
    assert "outside [-1, 1]" in messages
    hours = pd.DatetimeIndex(eurusd.index).hour[3:]  # after the 3 warm-up bars
    assert len(reports) == int(hours.isin([5, 10, 15]).sum())  # one report per bad bar
    # The run still finished and was written: equity on every bar, trades booked.
    assert result.equity.notna().all()
    assert len(result.trades) > 0


def test_orders_respect_the_lot_size_when_asked(eurusd: pd.DataFrame) -> None:
    from execution_engine.backtest import VenueConfig, run_backtest
    from execution_engine.host import GauntletHostConfig

    run = run_backtest(
        {"EUR/USD": eurusd},
        {"EUR/USD": "EUR/USD"},
        GauntletHostConfig(
            strategy_name="sma_cross", strategy_params={"fast": 5, "slow": 20}, round_to_lot=True
        ),
        VenueConfig(),
        panel=False,
    )
    sizes = [e["quantity"] for e in run.records.events if e["kind"] == "fill"]
    assert sizes
    assert all(size % 1000 == 0 for size in sizes)
    # Toward zero: the position never exceeds the equity it was sized from.
    assert max(abs(p[0]) for p in run.records.positions) * 1.2 < 100_000 * 1.2 / 1.0


def test_quantities_are_whole_units_rounded_toward_zero(eurusd: pd.DataFrame) -> None:
    result = backtest("sma_cross", eurusd, params={"fast": 5, "slow": 20}, engine="event")
    fills = result.extras["orders"]
    first = fills.iloc[0]
    open_price = round(eurusd.loc[first["time"], "open"], 5)

    assert (fills["size"] % 1 == 0).all()
    assert abs(first["size"]) == math.floor(100_000 / open_price)


def test_a_target_rounding_to_zero_units_is_reported(eurusd: pd.DataFrame) -> None:
    result = backtest(
        "sma_cross",
        eurusd,
        params={"fast": 5, "slow": 20},
        engine="event",
        size_mode="units",
        units=0.9,
    )

    zero = [e for e in result.extras["events"] if e["kind"] == "zero_quantity"]
    assert zero
    assert "rounds to 0 units" in zero[0]["message"]
    assert len(result.trades) == 0
    assert result.metrics.final_equity == 100_000.0


def test_orders_above_the_notional_cap_are_denied(eurusd: pd.DataFrame) -> None:
    result = run_event(
        plugins.create("sma_cross", fast=5, slow=20),
        eurusd,
        _config(),
        max_notional_per_order=50_000.0,
    )

    denied = [e for e in result.extras["events"] if e["kind"] == "denied"]
    assert denied
    assert "NOTIONAL_EXCEEDS_MAX_PER_ORDER" in denied[0]["reason"]
    assert len(denied) == len(result.extras["events"])  # one denial per decided change
    assert len(result.extras["orders"]) == 0  # nothing reached the venue
    assert result.metrics.final_equity == 100_000.0


def test_an_unknown_instrument_is_one_clear_error(eurusd: pd.DataFrame) -> None:
    with pytest.raises(ResearchInputError, match=r"'ABC/XYZ' is unknown to venue SIM"):
        run_event(plugins.create("sma_cross"), eurusd, _config(), instrument="ABC/XYZ")


def test_backtest_trades_the_instrument_asked_for(eurusd: pd.DataFrame) -> None:
    # research.backtest used to drop `instrument=` for the event engine (trading EUR/USD).
    result = backtest(
        "sma_cross", eurusd, params={"fast": 5, "slow": 20}, engine="event", instrument="GBP/USD"
    )

    assert len(result.trades) > 0
    assert set(result.trades["instrument"]) == {"GBP/USD"}


@pytest.mark.parametrize("name", ["", "  "])
def test_an_empty_instrument_is_refused(name: str, eurusd: pd.DataFrame) -> None:
    with pytest.raises(ResearchInputError, match="instrument: an empty name"):
        run_event(plugins.create("sma_cross"), eurusd, _config(), instrument=name)


def test_panel_quote_currencies_must_match(eurusd: pd.DataFrame) -> None:
    panel = pd.concat({"EURUSD": eurusd, "USDJPY": fx_bars("USD/JPY")}, axis=1)
    with pytest.raises(ResearchInputError, match="share one quote currency"):
        run_event(plugins.create("sma_cross"), panel, _config())


def test_host_reports_an_instrument_the_venue_does_not_list(eurusd: pd.DataFrame) -> None:
    from execution_engine.adapters.sandbox.providers import fx_pair
    from execution_engine.backtest.engine import build_engine
    from execution_engine.backtest.venue import VenueConfig
    from execution_engine.bars import bar_interval_ns, to_feed
    from execution_engine.host import GauntletHostConfig, GauntletStrategyHost

    listed = fx_pair("EUR/USD")
    engine = build_engine([listed], VenueConfig())
    feed = to_feed(eurusd, listed, bar_interval_ns(eurusd.index))
    engine.add_data(feed.bars)
    host = GauntletStrategyHost(
        GauntletHostConfig(
            strategy_name="sma_cross",
            instrument_ids=["AUD/NZD.SIM"],
            bar_types=["AUD/NZD.SIM-1-HOUR-MID-EXTERNAL"],
        )
    )
    engine.add_strategy(host)
    try:
        engine.run()
    finally:
        engine.dispose()

    kinds = [e["kind"] for e in host.records.events]
    assert kinds == ["unknown_instrument"]
    assert "AUD/NZD.SIM is unknown" in host.records.events[0]["message"]


def test_bounded_window_matches_full_history_for_sma(eurusd: pd.DataFrame) -> None:
    strategy = plugins.create("sma_cross", fast=5, slow=20)
    full = run_event(strategy, eurusd, _config())
    windowed = run_event(strategy, eurusd, _config(), window=25)

    pd.testing.assert_frame_equal(full.trades, windowed.trades)


def test_latency_and_prob_slippage_change_fills(eurusd: pd.DataFrame) -> None:
    strategy = plugins.create("sma_cross", fast=5, slow=20)
    base = run_event(strategy, eurusd, _config())
    slipped = run_event(strategy, eurusd, _config(), prob_slippage=1.0)

    delayed = run_event(strategy, eurusd, _config(), latency_ns=1_000_000)

    # One adverse tick on every fill: buys higher, sells lower.
    diff = slipped.extras["orders"]["price"] - base.extras["orders"]["price"]
    sides = np.sign(base.extras["orders"]["size"])
    assert np.allclose(diff * sides, 1e-5)
    # 1 ms late, the order misses the opening quote; the venue next moves with the whole
    # bar (one event at its close), so it fills at that bar's close.
    fills = delayed.extras["orders"]
    closes = eurusd["close"].round(5).loc[fills["time"]].to_numpy()
    assert np.allclose(fills["price"].to_numpy(), closes)
    assert (fills["time"] == base.extras["orders"]["time"]).all()


def _config() -> BacktestConfig:
    return BacktestConfig()


@pytest.mark.parametrize(
    "name",
    [
        "rsi_reversion",
        "ema_cross",
        "sma_cross",
        "bollinger_reversion",
        "donchian_breakout",
    ],  # not vol_target_trend: its continuous target sees the venue's 5-decimal prices per bar
)
def test_precomputed_targets_trade_like_per_bar_calls(name: str, eurusd: pd.DataFrame) -> None:
    from tests.integration.event.conftest import PARAMS

    strategy = plugins.create(name, **PARAMS[name])
    per_bar = run_event(strategy, eurusd, _config())
    precomputed = run_event(strategy, eurusd, _config(), targets="precomputed")

    pd.testing.assert_frame_equal(per_bar.trades, precomputed.trades)
    pd.testing.assert_series_equal(per_bar.equity, precomputed.equity)


def test_precomputed_bad_targets_are_still_reported(eurusd: pd.DataFrame) -> None:
    result = run_event(plugins.create("h4_bad_targets"), eurusd, _config(), targets="precomputed")

    assert len([e for e in result.extras["events"] if e["kind"] == "bad_target"]) > 0
