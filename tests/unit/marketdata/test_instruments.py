"""The instrument resolver: names as data files spell them, the built-in definitions, the
naming rules (FX pair, US equity ticker), user files and ad hoc asset classes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from marketdata.instruments import (
    AssetClass,
    InstrumentError,
    check_ticks,
    load_instrument_book,
    resolve_data_instrument,
    resolve_instrument,
)


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("EURUSD", "EUR/USD"),
        ("eur_usd", "EUR/USD"),
        ("EUR/USD.SIM", "EUR/USD"),
        ("EURUSD-SYNTHETIC", "EUR/USD"),
        ("XAUUSD", "XAU/USD"),
        ("btc-usd", "BTC/USD"),
        ("us500", "US500"),
    ],
)
def test_a_built_in_is_found_however_the_name_is_spelled(name: str, symbol: str) -> None:
    assert resolve_instrument(name).symbol == symbol


def test_built_in_precisions_follow_market_convention() -> None:
    assert resolve_instrument("EURUSD").price_precision == 5
    assert resolve_instrument("USDJPY").price_precision == 3
    assert resolve_instrument("XAUUSD").tick_size == Decimal("0.01")
    btc = resolve_instrument("BTCUSD")
    assert (btc.asset_class, btc.base_currency, btc.size_precision) == (AssetClass.CRYPTO, "BTC", 4)
    assert resolve_instrument("DE40").quote_currency == "EUR"


def test_an_upper_case_ticker_is_a_us_equity() -> None:
    goog = resolve_instrument("GOOG")
    assert (goog.asset_class, goog.quote_currency, goog.calendar) == (
        AssetClass.EQUITY, "USD", "XNYS",
    )  # fmt: skip
    assert (goog.tick_size, goog.lot_size, goog.min_quantity) == (1 / Decimal(100), 1, 1)


def test_a_pair_of_known_currencies_is_fx_and_other_names_are_errors() -> None:
    assert resolve_instrument("USDSEK").symbol == "USD/SEK"
    for name in ("goog", "ABCDEF", "FOO123"):
        with pytest.raises(InstrumentError, match="is not defined; define it"):
            resolve_instrument(name)


def test_an_ad_hoc_asset_class_takes_that_class_defaults() -> None:
    es = resolve_instrument("ES", asset_class="future")
    assert (es.asset_class, es.tick_size, es.quote_currency) == (
        AssetClass.FUTURE, Decimal("0.25"), "USD",
    )  # fmt: skip


def test_a_user_file_overrides_a_built_in(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "defaults:\n  equity: {quote_currency: EUR, lot_size: '1', calendar: XETR}\n"
        "instruments:\n  SAP: {asset_class: equity, tick_size: '0.02'}\n"
        "  EUR/USD: {asset_class: fx, tick_size: '0.0001', lot_size: '1000', calendar: fx}\n"
    )
    book = load_instrument_book(path)
    sap = resolve_instrument("SAP", book)
    assert (sap.quote_currency, sap.tick_size, sap.calendar) == ("EUR", Decimal("0.02"), "XETR")
    eurusd = resolve_instrument("EURUSD", book)
    assert (eurusd.tick_size, eurusd.min_quantity) == (Decimal("0.0001"), Decimal(1000))


def test_a_data_file_is_resolved_from_its_name(tmp_path: Path) -> None:
    bars = pd.DataFrame({"close": [1.10001, 1.1]}, index=pd.date_range("2024", periods=2))
    assert resolve_data_instrument(bars, tmp_path / "eurusd_h1.csv").symbol == "EUR/USD"
    assert resolve_data_instrument(bars, tmp_path / "x.csv", instrument="GBPUSD").symbol == (
        "GBP/USD"
    )
    with pytest.raises(InstrumentError, match="cannot tell the instrument from the file name"):
        resolve_data_instrument(bars, tmp_path / "bars.csv")


def test_ticks_are_checked_to_a_millionth_of_a_tick() -> None:
    eurusd = resolve_instrument("EURUSD")
    fine = pd.DataFrame({"close": [1.10001, 1.23457, 0.99999]})
    check_ticks(eurusd, fine)  # float noise in 5-decimal prices is not a violation
    with pytest.raises(InstrumentError, match=r"row 2.*close 1.234567 is not a multiple"):
        check_ticks(eurusd, pd.DataFrame({"close": [1.1, 1.234567]}))
