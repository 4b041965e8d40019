"""Volume-limited fills in the event engine (`run_event(..., volume_limit=...)`): an order
takes at most that fraction of its bar's volume, the venue cancels the rest, the position
is what filled. Hand-computed on four daily EUR/USD bars, every price 1.0.

Target 1 from the first bar, 100 000 USD: the order wants 100 000 EUR (equity / price).
- next open: decided at bar 0's close, filled at bar 1's open, whose quote offers
  0.25 · 200 000 = 50 000 → 50 000 filled, 50 000 canceled; the target never changes
  again, so the position stays 50 000.
- bar close: filled at bar 0's close, whose quote offers 0.25 · 80 000 = 20 000.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from research.engine.config import BacktestConfig, FillAt
from research.engine.event import run_event
from research.engine.run import backtest
from research.errors import ResearchInputError
from strategies import register
from tests.unit.engine.fixed import FixedTarget

pytestmark = pytest.mark.slow

register(FixedTarget)  # the host builds its strategy by name

VOLUMES = [80_000.0, 200_000.0, 200_000.0, 200_000.0]
CONFIG = BacktestConfig(round_units=True)


def _bars(volumes: list[float]) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(volumes), freq="1D", tz="UTC")
    price = np.ones(len(volumes))
    bars = pd.DataFrame(
        {"open": price, "high": price + 0.01, "low": price - 0.01, "close": price,
         "volume": np.asarray(volumes)},
        index=index,
    )  # fmt: skip
    bars.attrs["instrument"] = "EUR/USD"
    return bars


def _long(fill: FillAt, volume_limit: float | None, volumes: list[float] = VOLUMES) -> Any:
    strategy = FixedTarget(values=tuple([1.0] * len(volumes)))
    config = CONFIG.model_copy(update={"fill": fill})
    return run_event(
        strategy,
        _bars(volumes),
        config,
        instrument="EUR/USD",
        targets="precomputed",
        volume_limit=volume_limit,
    )


def _canceled(result: Any) -> int:
    return sum(1 for e in result.extras["events"] if e["kind"] == "canceled")


@pytest.mark.parametrize(
    ("fill", "filled"), [(FillAt.NEXT_OPEN, 50_000.0), (FillAt.CLOSE, 20_000.0)]
)
def test_a_thin_bar_leaves_the_order_partly_filled(fill: FillAt, filled: float) -> None:
    result = _long(fill, volume_limit=0.25)
    orders = result.extras["orders"]
    assert orders["size"].tolist() == [filled]
    assert result.position.iloc[-1] == filled
    assert _canceled(result) == 1  # the unfilled rest of the one order


def test_without_a_limit_volume_never_limits_a_fill() -> None:
    result = _long(FillAt.NEXT_OPEN, volume_limit=None)
    assert result.extras["orders"]["size"].tolist() == [100_000.0]
    assert _canceled(result) == 0


def test_a_bar_whose_volume_covers_the_order_fills_it_whole() -> None:
    result = _long(FillAt.NEXT_OPEN, volume_limit=0.5, volumes=[80_000.0, *[400_000.0] * 3])
    assert result.extras["orders"]["size"].tolist() == [100_000.0]
    assert _canceled(result) == 0


@pytest.mark.parametrize("limit", [0.0, -0.1, 1.5, float("nan")])
def test_a_limit_outside_zero_to_one_is_refused(limit: float) -> None:
    with pytest.raises(ResearchInputError, match="volume_limit"):
        _long(FillAt.NEXT_OPEN, volume_limit=limit)


def test_a_bar_without_volume_is_refused() -> None:
    with pytest.raises(ResearchInputError, match="volume_limit needs every bar's volume"):
        _long(FillAt.NEXT_OPEN, volume_limit=0.25, volumes=[80_000.0, np.nan, 1.0, 1.0])


def test_the_vectorized_engine_refuses_a_volume_limit() -> None:
    with pytest.raises(ResearchInputError, match="engine='event' only"):
        backtest("sma_cross", _bars(VOLUMES), params={"fast": 1, "slow": 2}, volume_limit=0.25)
