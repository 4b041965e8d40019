"""Symbol specs → NautilusTrader instruments, and lots ↔ units, exact."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from execution_engine.adapters.mt5.providers import (
    SymbolSpecError,
    is_step_multiple,
    lots,
    mt5_instrument,
    mt5_symbol,
    units,
)
from nautilus_trader.model.identifiers import InstrumentId, Venue
from nautilus_trader.model.instruments import Cfd, CurrencyPair
from nautilus_trader.model.objects import Price, Quantity

MT5 = Venue("MT5")
# A `symbols` spec as the protocol document shows it (money fields as strings).
EURUSD: dict[str, Any] = {
    "name": "EURUSD",
    "description": "Euro vs US Dollar",
    "currency_base": "EUR",
    "currency_profit": "USD",
    "currency_margin": "EUR",
    "digits": 5,
    "point": "0.00001",
    "contract_size": "100000",
    "volume_min": "0.01",
    "volume_max": "500.00",
    "volume_step": "0.01",
    "stops_level": 0,
    "freeze_level": 0,
    "filling_mode": 3,
    "execution_mode": "SYMBOL_TRADE_EXECUTION_MARKET",
    "trade_mode": "SYMBOL_TRADE_MODE_FULL",
    "order_mode": 63,
    "expiration_mode": 15,
    "margin_initial": "0",
    "swap_long": "-6.5",
    "swap_short": "1.2",
}


def spec(**changes: Any) -> dict[str, Any]:
    return {**EURUSD, **changes}


def test_an_fx_spec_is_a_currency_pair_in_base_units() -> None:
    pair = mt5_instrument(EURUSD, MT5, leverage=100)
    assert isinstance(pair, CurrencyPair)
    assert pair.id == InstrumentId.from_str("EUR/USD.MT5")
    assert pair.raw_symbol.value == "EURUSD"
    assert pair.price_precision == 5
    assert pair.price_increment == Price.from_str("0.00001")
    assert pair.size_increment == Quantity.from_int(1000)
    assert pair.min_quantity == Quantity.from_int(1000)
    assert pair.max_quantity == Quantity.from_int(50_000_000)
    assert pair.lot_size == Quantity.from_int(100_000)
    assert pair.margin_init == Decimal("0.01")  # 1 / leverage 100


def test_margin_comes_from_the_spec_when_it_has_one() -> None:
    pair = mt5_instrument(spec(margin_initial="1000"), MT5, leverage=500)
    assert pair.margin_init == Decimal("0.01")  # 1000 per lot of 100,000


def test_a_fractional_step_keeps_its_precision() -> None:
    gold = spec(
        name="XAUUSD", currency_base="XAU", digits=2, point="0.01", contract_size="100",
        volume_step="0.001", volume_min="0.001",
    )  # fmt: skip
    pair = mt5_instrument(gold, MT5)
    assert pair.id == InstrumentId.from_str("XAU/USD.MT5")
    assert pair.size_increment == Quantity.from_str("0.1")
    assert units("0.003", gold) == Quantity.from_str("0.3")


def test_an_index_is_a_cfd_on_its_terminal_name() -> None:
    index = spec(name="US500", currency_base="USD", digits=1, point="0.1", contract_size="1")
    cfd = mt5_instrument(index, MT5)
    assert isinstance(cfd, Cfd)
    assert cfd.id == InstrumentId.from_str("US500.MT5")
    assert mt5_symbol(cfd.id) == "US500"


def test_lots_and_units_convert_exactly() -> None:
    assert lots(Quantity.from_int(12_000), EURUSD) == Decimal("0.12")
    assert units(Decimal("0.12"), EURUSD) == Quantity.from_int(12_000)
    assert units("123.45", EURUSD) == Quantity.from_int(12_345_000)
    assert is_step_multiple(Decimal("0.12"), EURUSD)
    assert not is_step_multiple(Decimal("0.015"), EURUSD)


def test_mt5_symbol_drops_the_separator() -> None:
    assert mt5_symbol(InstrumentId.from_str("EUR/USD.MT5")) == "EURUSD"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"digits": "5"}, "digits"),
        ({"point": 0.00001}, "point is not a number"),
        ({"currency_profit": "???"}, "unknown profit currency"),
        ({"name": ""}, "without a name"),
    ],
)
def test_a_bad_spec_is_one_clear_error(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SymbolSpecError, match=message):
        mt5_instrument(spec(**change), MT5)
