"""The id a symbol gets before the terminal connects (`mt5_instrument_id`: the live session's
bar type and risk limits) is the id the provider gives it from the terminal's spec."""

from __future__ import annotations

import pytest
from execution_engine.adapters.mt5.providers import mt5_instrument, mt5_instrument_id
from nautilus_trader.model.identifiers import Venue

SPEC = {
    "digits": 5, "point": "0.00001", "contract_size": "100000", "volume_min": "0.01",
    "volume_step": "0.01", "volume_max": "100", "margin_initial": "0",
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "base", "profit", "asked_as"),
    [
        ("EURUSD", "EUR", "USD", "EUR/USD"),
        ("EURUSD", "EUR", "USD", "EURUSD"),
        ("EURUSD.m", "EUR", "USD", "EURUSD.m"),
        ("USDJPY", "USD", "JPY", "USD/JPY"),
        ("US500", "", "USD", "US500"),
    ],
)
def test_the_id_before_connecting_is_the_providers(
    name: str, base: str, profit: str, asked_as: str
) -> None:
    spec = {**SPEC, "name": name, "currency_base": base, "currency_profit": profit}
    from_terminal = mt5_instrument(spec, Venue("MT5"), leverage=100).id
    assert mt5_instrument_id(asked_as, "MT5") == from_terminal


@pytest.mark.parametrize("name", ["", "  ", "EUR USD"])
def test_a_name_that_is_no_symbol_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="is not a symbol name"):
        mt5_instrument_id(name, "MT5")
