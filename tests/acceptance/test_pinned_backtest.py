"""Pinned numbers: sma_cross 10/30 with every cost on a fixed dataset, run twice.

The dataset is data/bars_2000h_seed7.csv beside this file: 2 000 hourly bars written once from
tests.fixtures.bars.make_bars(2000, seed=7). Shipped, not generated: the generator's np.exp
differs in the last bit between CPUs (with and without AVX-512), and so would the pins. The CSV
holds each float's shortest round-trip repr, read back exactly (float_precision="round_trip").
If a number here changes, the accounting changed: explain why in the change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from research import BacktestResult, backtest

DATASET = Path(__file__).with_name("data") / "bars_2000h_seed7.csv"

COSTS: dict[str, Any] = {
    "commission": 1e-4,
    "commission_per_unit": 2e-6,
    "spread": 1e-5,
    "slippage": 2e-5,
    "financing_long": 0.02,
    "financing_short": 0.01,
}

PINNED = {
    "trades": 76,
    "final_equity": 99710.22678763822,
    "total_return": -0.002897732123617769,
    "cagr": -0.01264493243801268,
    "volatility": 0.15106900882704208,
    "sharpe": 0.017408574751159044,
    "sortino": 0.02455040040089957,
    "max_drawdown": -0.09325875669053163,
    "calmar": -0.13558976000477277,
    "win_rate": 0.28,
    "profit_factor": 1.0243665954267163,
    "expectancy": 10.206868713354398,
    "exposure": 0.985,
    "turnover": 661.1011137013573,
    "periods_per_year": 6048.0,
}
FINGERPRINT = "3275ab7497104d0a9c6c75c85f37193a4ea01ab3fc3a252195edd0afd5dcae58"


def _bars() -> pd.DataFrame:
    return pd.read_csv(
        DATASET, index_col="timestamp", parse_dates=["timestamp"], float_precision="round_trip"
    )


def _run() -> BacktestResult:
    bars = _bars()
    return backtest("sma_cross", bars, params={"fast": 10, "slow": 30}, **COSTS)


def test_pinned_metrics() -> None:
    result = _run()
    assert result.data_fingerprint == FINGERPRINT  # the same data, or the pins mean nothing
    got = result.metrics.model_dump()
    assert got["trades"] == PINNED["trades"]
    assert got["final_equity"] == pytest.approx(PINNED["final_equity"], abs=1e-6)
    for name, value in PINNED.items():
        assert got[name] == pytest.approx(value, rel=1e-9), name
    first, last = result.trades.iloc[0], result.trades.iloc[-1]
    assert (first["side"], first["status"]) == ("short", "closed")
    assert first["entry_time"] == pd.Timestamp("2024-01-02 06:00", tz="UTC")
    assert first["pnl"] == pytest.approx(344.5837931533693, rel=1e-9)
    assert (last["side"], last["status"]) == ("long", "open")
    assert last["pnl"] == pytest.approx(-577.6180900538501, rel=1e-9)
    assert result.equity.iloc[500] == pytest.approx(103098.23469308554, abs=1e-6)


def test_rerun_is_bit_identical() -> None:
    first, second = _run(), _run()
    pd.testing.assert_series_equal(first.equity, second.equity, check_exact=True)
    pd.testing.assert_frame_equal(first.trades, second.trades, check_exact=True)
    assert first.metrics == second.metrics
    assert first.to_dict() == second.to_dict()
