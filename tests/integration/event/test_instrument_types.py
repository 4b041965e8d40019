"""Instrument definitions become the NautilusTrader type of their asset class on venue SIM, and
event runs on a US equity trade it as an Equity (it was traded as EUR/USD before)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from execution_engine.adapters.sandbox.providers import (
    UnknownInstrumentError,
    build_instrument,
    fx_pair,
    sim_instrument,
)
from nautilus_trader.model.instruments import Cfd, CurrencyPair, Equity, FuturesContract

from marketdata.instruments import DEFINITION_ATTR, resolve_instrument
from tests.hostile.harness import run


@pytest.mark.parametrize(
    ("name", "kind", "price_precision", "size_precision"),
    [
        ("EURUSD", CurrencyPair, 5, 0),
        ("USDJPY", CurrencyPair, 3, 0),
        ("XAUUSD", CurrencyPair, 2, 0),
        ("BTCUSD", CurrencyPair, 2, 4),  # spot crypto: a pair of BTC bought with USD
        ("GOOG", Equity, 2, 0),
        ("US500", Cfd, 1, 1),
    ],
)
def test_a_definition_becomes_its_nautilus_type(
    name: str, kind: type, price_precision: int, size_precision: int
) -> None:
    instrument = sim_instrument(name, taker_fee=1e-4)
    assert isinstance(instrument, kind)
    assert (instrument.price_precision, instrument.size_precision) == (
        price_precision, size_precision,
    )  # fmt: skip
    assert instrument.taker_fee == Decimal("0.0001")


def test_fx_pairs_are_built_as_before_definitions() -> None:
    for name in ("EURUSD", "USDJPY", "GBP/CHF"):
        assert sim_instrument(name).to_dict(sim_instrument(name)) == fx_pair(name).to_dict(
            fx_pair(name)
        )


def test_a_future_carries_its_multiplier_and_margins() -> None:
    es = resolve_instrument("ES", asset_class="future").model_copy(
        update={"multiplier": Decimal(50), "margin_initial": Decimal("0.06")}
    )
    future = build_instrument(es)
    assert isinstance(future, FuturesContract)
    assert (future.multiplier.as_double(), future.margin_init) == (50.0, Decimal("0.06"))
    assert str(future.price_increment) == "0.25"


def test_a_crypto_minimum_is_the_definitions_not_one_whole_coin() -> None:
    assert sim_instrument("BTCUSD").min_quantity.as_double() == 0.0001
    assert sim_instrument("BTCUSD", min_quantity=2).min_quantity.as_double() == 2.0


def test_a_recorded_definition_wins_over_the_built_in_for_its_name_only() -> None:
    mine = resolve_instrument("GOOG").model_copy(update={"tick_size": Decimal("0.001")})
    recorded = mine.model_dump(mode="json")
    assert sim_instrument("GOOG", recorded).price_precision == 3
    assert sim_instrument("EURUSD", recorded).price_precision == 5  # another name: ignored


def test_an_undefined_name_is_unknown_to_the_venue() -> None:
    with pytest.raises(UnknownInstrumentError, match="'FOO123' is unknown to venue SIM"):
        sim_instrument("FOO123")


@pytest.fixture
def goog(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    index = pd.bdate_range("2023-01-02", periods=200, name="date")
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(index)))), 2)
    open_ = np.r_[close[0], close[:-1]]
    bars = pd.DataFrame(
        {"open": open_, "high": np.maximum(open_, close) + 0.5,
         "low": np.minimum(open_, close) - 0.5, "close": close, "volume": 1000.0},
        index=index,
    )  # fmt: skip
    path = tmp_path / "GOOG.csv"
    bars.round(2).to_csv(path)
    return path


def test_an_equity_file_trades_as_that_equity_and_parity_holds(goog: Path) -> None:
    params = ("-s", "sma_cross", "-p", "fast=5", "-p", "slow=20")
    backtest = run("backtest", *params, "-d", goog, "--engine", "event")
    assert backtest.code == 0, backtest.stderr
    assert "GOOG.csv as GOOG.SIM" in backtest.stdout
    parity = run("check", "parity", *params, "-d", goog, "--json")
    assert parity.code == 0, parity.stderr
    report = json.loads(parity.stdout)
    assert report["instruments"] == ["GOOG"]
    assert report["ok"] is True


def test_the_definition_travels_in_the_bars_attrs(goog: Path) -> None:
    from gauntlet.cli.instruments import attach, traded_instrument

    bars = pd.read_csv(goog, index_col=0, parse_dates=True)
    traded = traded_instrument(bars, goog, None, None, None)
    attach(bars, traded)
    assert bars.attrs["instrument"] == "GOOG"
    assert bars.attrs[DEFINITION_ATTR]["asset_class"] == "equity"


def test_annualisation_follows_the_instruments_calendar(goog: Path) -> None:
    params = ("-s", "sma_cross", "-p", "fast=5", "-p", "slow=20", "--json")
    event = json.loads(run("backtest", *params, "-d", goog, "--engine", "event").stdout)
    assert event["periods_per_year"] == pytest.approx(252.47, abs=0.01)  # XNYS sessions
    plain = json.loads(run("backtest", *params, "-d", goog).stdout)
    assert plain["periods_per_year"] == 252.0  # vectorized, no definition asked for: as before


def test_periods_per_year_takes_the_calendar() -> None:
    from research.metrics import calendar_of, periods_per_year

    hours = pd.date_range("2024-01-01", periods=500, freq="1h", tz="UTC")
    assert periods_per_year(hours, "fx") == pytest.approx(6_228, abs=2)
    assert periods_per_year(hours, "24x7") == pytest.approx(8_766)
    assert periods_per_year(hours, "none") == periods_per_year(hours)
    bars = pd.DataFrame(index=hours)
    assert calendar_of(bars) is None
    bars.attrs[DEFINITION_ATTR] = resolve_instrument("GOOG").model_dump(mode="json")
    assert calendar_of(bars) == "XNYS"
