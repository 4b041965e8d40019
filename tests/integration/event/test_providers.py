"""The SIM venue's instrument provider serves the same pairs as the lookup functions."""

import asyncio

import pytest
from execution_engine.adapters.sandbox.providers import (
    SIM_VENUE,
    SimInstrumentProvider,
    UnknownInstrumentError,
    fx_pair,
    instrument_id,
)
from nautilus_trader.model.identifiers import InstrumentId


def test_load_all_lists_the_given_pairs() -> None:
    pairs = [fx_pair("EUR/USD", taker_fee=1e-4), fx_pair("USDJPY")]
    provider = SimInstrumentProvider(pairs)

    asyncio.run(provider.initialize())

    assert provider.list_all() == pairs
    assert provider.find(instrument_id("eur_usd")) is pairs[0]


def test_load_ids_builds_pairs_with_the_providers_fee() -> None:
    provider = SimInstrumentProvider(taker_fee=2e-4, min_quantity=1000)

    asyncio.run(provider.load_ids_async([instrument_id("GBPUSD")]))

    (loaded,) = provider.list_all()
    assert loaded == fx_pair("GBP/USD", taker_fee=2e-4, min_quantity=1000)
    assert float(loaded.taker_fee) == 2e-4
    assert loaded.min_quantity.as_double() == 1000


def test_an_instrument_of_another_venue_is_unknown() -> None:
    provider = SimInstrumentProvider()

    with pytest.raises(UnknownInstrumentError, match="not on venue SIM"):
        asyncio.run(provider.load_async(InstrumentId.from_str("EUR/USD.OTHER")))
    assert instrument_id("EURUSD").venue == SIM_VENUE
