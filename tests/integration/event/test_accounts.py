"""ADR 0002 §12-§13 in the event engine, hand-checked on tiny series and against the
vectorized engine: a margin stop-out (same bar, same price in both engines), a cash account
whose cash never goes below zero, and rebalancing order counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from marketdata.instruments import DEFINITION_ATTR, resolve_instrument
from research.engine.config import AccountKind, BacktestConfig, Costs, Direction, FillAt
from research.engine.event import run_event
from research.engine.vectorized import run_vectorized
from research.errors import ResearchInputError
from strategies import plugins, register
from tests.integration.event.conftest import fx_bars
from tests.unit.engine.fixed import FixedTarget

pytestmark = pytest.mark.slow

register(FixedTarget)  # the host builds its strategy by name


def _fx_bars(opens: list[float], closes: list[float]) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(opens), freq="1D", tz="UTC")
    o, c = np.asarray(opens), np.asarray(closes)
    bars = pd.DataFrame(
        {"open": o, "high": np.maximum(o, c) + 0.01, "low": np.minimum(o, c) - 0.01, "close": c},
        index=index,
    )
    bars.attrs["instrument"] = "EUR/USD"
    return bars


# Short 100 000 EUR/USD at 1.0 with 100 000 USD: cash 200 000, equity 200 000 - 100 000 · p,
# margin level L = 100 · equity / (100 000 · p · 1.0) with a maintenance margin of 1.
#   bar 1 close 1.1: L = 100 · 90 000 / 110 000 = 81.8 %  → margin call
#   bar 2 close 1.4: L = 100 · 60 000 / 140 000 = 42.9 %  → margin call and stop-out
#   bar 3 open 1.45: bought back, cash 200 000 - 145 000 = 55 000; the held target is 0, so
#   bar 3's close decides -1 again, and bar 4 opens a short of 55 000 / 1.3 → 42 307 units.
STOP_OUT_BARS = _fx_bars([1.0, 1.0, 1.2, 1.45, 1.3], [1.0, 1.1, 1.4, 1.3, 1.25])
STOP_OUT = BacktestConfig(margin_initial=1.0, margin_maintenance=1.0, round_units=True)


def _short_always(n: int) -> FixedTarget:
    return FixedTarget(values=tuple([-1.0] * n))


def _fixed_event(strategy: FixedTarget, bars: pd.DataFrame, config: BacktestConfig) -> Any:
    # FixedTarget's values are per bar of the whole series: read them precomputed.
    return run_event(strategy, bars, config, instrument="EUR/USD", targets="precomputed")


def _fixed_vectorized(strategy: FixedTarget, bars: pd.DataFrame, config: BacktestConfig) -> Any:
    return run_vectorized(strategy, bars, config, instrument="EUR/USD")


@pytest.mark.parametrize("run", [_fixed_vectorized, _fixed_event])
def test_a_stop_out_liquidates_at_the_next_open(run: Any) -> None:
    result = run(_short_always(5), STOP_OUT_BARS, STOP_OUT)

    orders = result.extras["orders"]
    assert orders["size"].tolist() == [-100_000, 100_000, -42_307]
    assert orders["price"].tolist() == [1.0, 1.45, 1.3]
    assert orders["reason"].tolist() == ["target", "stop_out", "target"]
    assert list(orders["time"]) == list(STOP_OUT_BARS.index[[1, 3, 4]])
    assert result.metrics.margin_calls == 2
    assert result.metrics.stop_outs == 1
    assert list(result.extras["margin_calls"]) == list(STOP_OUT_BARS.index[[1, 2]])
    level = result.extras["margin_level"]
    np.testing.assert_allclose(level.iloc[1:3], [100 * 90 / 110, 100 * 60 / 140])
    assert np.isnan(level.iloc[3])  # flat after the liquidation
    first = result.trades.iloc[0]
    assert (first["exit_time"], first["exit_price"]) == (STOP_OUT_BARS.index[3], 1.45)
    assert first["exit_reason"] == "stop_out"
    # 55 000 + 42 307 · (1.3 - 1.25)
    assert result.metrics.final_equity == pytest.approx(55_000 + 42_307 * 0.05, abs=0.01)


def test_a_close_fill_stop_out_liquidates_at_that_close() -> None:
    # With CLOSE fills the check comes before the close's own orders: short at bar 0's close
    # (1.0), L at bar 2's close is 42.9 %, so the position is bought back at that close, 1.4.
    config = STOP_OUT.model_copy(update={"fill": FillAt.CLOSE})
    results = [
        run(_short_always(5), STOP_OUT_BARS, config) for run in (_fixed_vectorized, _fixed_event)
    ]
    for result in results:
        orders = result.extras["orders"]
        assert orders["reason"].tolist()[:2] == ["target", "stop_out"]
        assert (orders["time"].iloc[1], orders["price"].iloc[1]) == (STOP_OUT_BARS.index[2], 1.4)
        assert result.metrics.stop_outs == 1
    vec, evt = results
    assert evt.extras["orders"]["size"].tolist() == vec.extras["orders"]["size"].tolist()


def test_a_cash_account_never_goes_below_zero_cash() -> None:
    bars = fx_bars("EUR/USD", n=200)
    config = BacktestConfig(
        account=AccountKind.CASH,
        direction=Direction.LONG_ONLY,
        round_units=True,
        costs=Costs(commission=2e-4, commission_per_unit=1e-5, spread=2e-5, slippage=1e-5),
    )
    strategy = plugins.create("sma_cross", fast=5, slow=20)
    vec = run_vectorized(strategy, bars, config, instrument="EUR/USD")
    evt = run_event(strategy, bars, config)

    assert vec.extras["cash"].min() >= 0.0
    assert evt.extras["cash"].min() >= 0.0  # equity - position · close, as the venue marks
    assert (evt.extras["orders"]["limited"]).any()  # every full buy is cut to its costs
    assert len(evt.trades) == len(vec.trades) > 0


def test_a_cash_account_refuses_a_short_target_before_the_run() -> None:
    bars = fx_bars("EUR/USD", n=120)
    config = BacktestConfig(account=AccountKind.CASH)
    strategy = plugins.create("sma_cross", fast=5, slow=20)
    with pytest.raises(ResearchInputError) as vectorized:
        run_vectorized(strategy, bars, config, instrument="EUR/USD")
    with pytest.raises(ResearchInputError) as event:
        run_event(strategy, bars, config)
    assert str(event.value) == str(vectorized.value)
    assert "account=cash cannot sell short" in str(event.value)


@pytest.mark.parametrize(
    ("symbol", "asset_class", "lot", "scale"),
    [("BTCUSD", "crypto", Decimal("0.0001"), 40_000.0), ("TESTCO", "equity", Decimal(10), 97.0)],
)
def test_both_engines_round_to_the_instruments_size_step(
    symbol: str, asset_class: str, lot: Decimal, scale: float
) -> None:
    # ADR 0002 §14: crypto trades its lot size, an equity whole lots; no round_units.
    definition = resolve_instrument(symbol, asset_class=asset_class).model_copy(
        update={"lot_size": lot, "min_quantity": lot, "margin_initial": Decimal("0.5")}
    )
    bars = fx_bars("EUR/USD", n=200)
    for col in ("open", "high", "low", "close"):
        bars[col] = (bars[col] * scale).round(2)
    bars.attrs = {"instrument": symbol, DEFINITION_ATTR: definition.model_dump(mode="json")}
    strategy = plugins.create("sma_cross", fast=5, slow=20)
    config = BacktestConfig(periods_per_year=252.0 * 24)

    vec = run_vectorized(strategy, bars, config)
    evt = run_event(strategy, bars, config)

    sizes = evt.extras["orders"]["size"].to_numpy()
    # The same steps (the vectorized engine's float products land within 1e-15 of them).
    np.testing.assert_allclose(sizes, vec.extras["orders"]["size"].to_numpy(), rtol=0, atol=1e-9)
    steps = sizes / float(lot)
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)  # whole steps
    if lot < 1:  # crypto: fractional units, not whole ones
        assert not np.allclose(sizes, np.round(sizes))
    else:  # the equity: whole lots of 10 shares
        assert (np.abs(sizes) % 10 == 0).all()


def test_a_panel_stop_out_liquidates_every_instrument() -> None:
    # Short half the equity in each: 50 000 EURUSD at 1.0, then 0.5 · 100 000 / 1.3 → 38 461
    # GBPUSD. Bar 2's close: equity 100 000 - 50 000 · 0.4 = 80 000 against a used margin of
    # 50 000 · 1.4 + 38 461 · 1.3 = 119 999.3, a level of 66.7 % < 70 %: both are bought
    # back at bar 3's open, though GBPUSD never moved.
    panel = pd.concat(
        {
            "EURUSD": _fx_bars([1.0, 1.0, 1.2, 1.45, 1.3], [1.0, 1.1, 1.4, 1.3, 1.25]),
            "GBPUSD": _fx_bars([1.3] * 5, [1.3] * 5),
        },
        axis=1,
    )
    strategy = FixedTarget(values=(0.0,) * 5, panel={"EURUSD": (-0.5,) * 5, "GBPUSD": (-0.5,) * 5})
    config = STOP_OUT.model_copy(update={"margin_call": 99.0, "stop_out": 70.0})
    vec = run_vectorized(strategy, panel, config)
    evt = run_event(strategy, panel, config, targets="precomputed")

    for result in (vec, evt):
        orders = result.extras["orders"]
        stop = orders[orders["reason"] == "stop_out"]
        assert list(stop["instrument"]) == ["EURUSD", "GBPUSD"]
        assert list(stop["size"]) == [50_000, 38_461]
        assert list(stop["price"]) == [1.45, 1.3]
        assert set(stop["time"]) == {panel.index[3]}
        assert result.metrics.stop_outs == 1
        assert result.extras["margin_level"].iloc[2] == pytest.approx(100 * 80_000 / 119_999.3)
