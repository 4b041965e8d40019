"""OANDA's Instrument rows → NautilusTrader instruments, and the names on both sides."""

from __future__ import annotations

from decimal import Decimal

import pytest
from execution_engine.adapters.oanda.providers import (
    InstrumentSpecError,
    UnknownInstrumentError,
    oanda_instrument,
    oanda_instrument_id,
    oanda_name,
)
from nautilus_trader.model.enums import AssetClass
from nautilus_trader.model.identifiers import InstrumentId, Venue
from nautilus_trader.model.instruments import Cfd, CurrencyPair

VENUE = Venue("OANDA")
USD_JPY = {
    "name": "USD_JPY", "type": "CURRENCY", "displayName": "USD/JPY", "pipLocation": -2,
    "displayPrecision": 3, "tradeUnitsPrecision": 0, "minimumTradeSize": "1",
    "maximumOrderUnits": "100000000", "marginRate": "0.04",
}  # fmt: skip
XAU_USD = {
    "name": "XAU_USD", "type": "METAL", "displayPrecision": 3, "tradeUnitsPrecision": 0,
    "minimumTradeSize": "1", "maximumOrderUnits": "100000", "marginRate": "0.05",
}  # fmt: skip
SPX500 = {
    "name": "SPX500_USD", "type": "CFD", "displayPrecision": 1, "tradeUnitsPrecision": 1,
    "minimumTradeSize": "0.1", "maximumOrderUnits": "5000", "marginRate": "0.05",
}  # fmt: skip


def test_a_currency_is_a_pair_at_oandas_precisions_and_margin() -> None:
    pair = oanda_instrument(USD_JPY, VENUE)
    assert isinstance(pair, CurrencyPair)
    assert str(pair.id) == "USD/JPY.OANDA"
    assert str(pair.raw_symbol) == "USD_JPY"
    assert (pair.price_precision, str(pair.price_increment)) == (3, "0.001")
    assert (pair.size_precision, str(pair.size_increment)) == (0, "1")
    assert (pair.margin_init, pair.margin_maint) == (Decimal("0.04"), Decimal("0.02"))
    assert (str(pair.min_quantity), str(pair.max_quantity)) == ("1", "100000000")
    assert pair.info == {"pip_location": -2, "display_name": "USD/JPY", "oanda_type": "CURRENCY"}


def test_metals_are_pairs_as_gauntlet_defines_them_and_cfds_are_cfds() -> None:
    gold, index = oanda_instrument(XAU_USD, VENUE), oanda_instrument(SPX500, VENUE)
    assert isinstance(gold, CurrencyPair)  # XAU/USD in marketdata/instruments.yaml: fx
    assert str(gold.id) == "XAU/USD.OANDA"
    assert isinstance(index, Cfd)
    assert index.asset_class == AssetClass.INDEX
    assert (index.size_precision, str(index.size_increment), str(index.min_quantity)) == (
        1,
        "0.1",
        "0.1",
    )
    assert str(index.id) == "SPX500/USD.OANDA"


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ({**USD_JPY, "type": "BOND"}, "type 'BOND'"),
        ({**USD_JPY, "displayPrecision": 12}, "displayPrecision"),
        ({**USD_JPY, "marginRate": "lots"}, "marginRate"),
        ({**USD_JPY, "name": "USD_XYZ"}, "quote currency"),
    ],
)
def test_a_row_that_cannot_be_an_instrument_is_one_line(row, words) -> None:
    with pytest.raises(InstrumentSpecError, match=words):
        oanda_instrument(row, VENUE)


@pytest.mark.parametrize(
    ("given", "name"),
    [("EUR_USD", "EUR_USD"), ("EUR/USD", "EUR_USD"), ("eurusd", "EUR_USD"),
     ("SPX500_USD", "SPX500_USD"), (InstrumentId.from_str("XAU/USD.OANDA"), "XAU_USD")],
)  # fmt: skip
def test_names_both_ways(given, name) -> None:
    assert oanda_name(given) == name
    assert oanda_name(oanda_instrument_id(name)) == name


@pytest.mark.parametrize("bad", ["", "EURO", "EUR_", "US 500"])
def test_a_name_that_is_not_oandas_shape_is_refused(bad) -> None:
    with pytest.raises(UnknownInstrumentError, match="not an OANDA instrument name"):
        oanda_name(bad)
