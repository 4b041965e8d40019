"""Size steps and the instrument a single-instrument run trades as (ADR 0002 §11, §14)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from research import backtest
from research.engine.config import BacktestConfig
from research.errors import ResearchInputError
from research.metrics import periods_per_year
from tests.unit.engine.fixed import FixedTarget, tiny_bars

CONFIG = BacktestConfig(cash=10_000.0)


def _daily(name: str | None, price: float = 150.0) -> pd.DataFrame:
    index = pd.bdate_range("2024-01-02", periods=6, tz="UTC")
    bars = tiny_bars([price] * 6, [price] * 6).set_axis(index)
    if name is not None:
        bars.attrs["instrument"] = name
    return bars


def test_an_equity_trades_whole_shares_from_the_book() -> None:
    # GOOG resolves as a US equity (step 1, XNYS): 10 000 / 150 = 66.67 → 66 shares.
    result = backtest(FixedTarget(values=(1.0,) * 6), _daily("GOOG"), CONFIG)
    assert result.position.to_numpy().tolist() == [0, 66, 66, 66, 66, 66]
    index = pd.DatetimeIndex(result.equity.index)
    assert result.metrics.periods_per_year == periods_per_year(index, "XNYS")


def test_the_instrument_argument_names_it_too() -> None:
    result = backtest(FixedTarget(values=(1.0,) * 6), _daily(None), CONFIG, instrument="GOOG")
    assert result.position.iloc[-1] == 66


def test_the_synthetic_asset_stays_fractional() -> None:
    result = backtest(FixedTarget(values=(1.0,) * 6), _daily(None), CONFIG)
    assert result.position.iloc[-1] == pytest.approx(10_000 / 150)
    assert result.metrics.periods_per_year == 252.0  # the index's inference, as before


def test_crypto_takes_its_lot_size_and_round_units_forces_one() -> None:
    # BTC/USD's lot is 0.0001: 10 000 / 30 001 = 0.33332... → 0.3333.
    bars = _daily("BTC/USD", price=30_001.0)
    result = backtest(FixedTarget(values=(1.0,) * 6), bars, CONFIG)
    assert result.position.iloc[-1] == pytest.approx(0.3333, abs=1e-12)
    whole = backtest(FixedTarget(values=(1.0,) * 6), bars, CONFIG, round_units=True)
    assert whole.position.iloc[-1] == 0.0  # a step of 1: not even one whole coin
    assert len(whole.extras["orders"]) == 0


def test_a_step_is_counted_as_a_decimal_would() -> None:
    # 0.3 / 0.0001 is 2999.9999999999995 in floats: still 3 000 steps, not 2 999.
    price = 10_000 / 0.3
    result = backtest(FixedTarget(values=(1.0,) * 6), _daily("BTC/USD", price), CONFIG)
    assert result.position.iloc[-1] == pytest.approx(0.3, abs=1e-12)


def test_an_unknown_real_looking_name_is_refused_as_the_event_engine_refuses_it() -> None:
    with pytest.raises(ResearchInputError, match="'my_prices' is not defined") as err:
        backtest(FixedTarget(values=(1.0,) * 6), _daily("my_prices"), CONFIG)
    assert "\n" not in str(err.value)


def test_a_recorded_definition_wins_over_the_book() -> None:
    from marketdata.instruments import DEFINITION_ATTR, resolve_instrument

    bars = _daily("GOOG")
    own = resolve_instrument("GOOG").model_copy(update={"lot_size": Decimal(10)})
    bars.attrs[DEFINITION_ATTR] = own.model_dump(mode="json")
    result = backtest(FixedTarget(values=(1.0,) * 6), bars, CONFIG)
    assert result.position.iloc[-1] == 60  # 66.67 shares in lots of 10
    np.testing.assert_allclose(result.extras["cash"].iloc[-1], 10_000 - 60 * 150)
