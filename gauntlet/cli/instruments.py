"""The instrument a command trades: resolved once from --instrument, --instruments and
--asset-class (marketdata.instruments), with the data's prices checked against its tick."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from marketdata.instruments import Instrument


def traded_instrument(
    bars: pd.DataFrame,
    data: Path,
    instrument: str | None,
    instruments_file: Path | None,
    asset_class: str | None,
) -> Instrument:
    """The instrument an event or paper run trades; one the definitions cannot resolve is an
    error (exit 2) saying how to define it, never a default pair."""
    from marketdata.instruments import (
        HOW_TO_DEFINE,
        InstrumentError,
        UndefinedInstrumentError,
        resolve_data_instrument,
    )

    try:
        return resolve_data_instrument(
            bars, data, instrument=instrument, instruments_file=instruments_file,
            asset_class=asset_class,
        )  # fmt: skip
    except UndefinedInstrumentError as exc:
        # These runs trade on the simulated venue SIM, which lists only defined instruments.
        raise InstrumentError(
            f"instrument {exc.name!r} is unknown to venue SIM: it is not defined; {HOW_TO_DEFINE}"
        ) from None


def research_instrument(
    bars: pd.DataFrame,
    data: Path,
    instrument: str | None,
    instruments_file: Path | None,
    asset_class: str | None,
) -> Instrument | None:
    """The vectorized engine trades a unitless asset and needs no definition: it resolves one
    (and checks the ticks) only when --instruments or --asset-class asks for it."""
    if instruments_file is None and asset_class is None:
        return None
    traded = traded_instrument(bars, data, instrument, instruments_file, asset_class)
    attach(bars, traded)  # annualised on its calendar, as an event run of it would be
    return traded


def engine_instrument(
    engine: str,
    bars: pd.DataFrame,
    data: Path,
    instrument: str | None,
    instruments_file: Path | None,
    asset_class: str | None,
) -> str | None:
    """The instrument name `engine` runs `bars` as: the resolved symbol for the event engine
    (its definition recorded in the bars' attrs for the venue), as given for the vectorized."""
    if engine != "event":
        research_instrument(bars, data, instrument, instruments_file, asset_class)
        return instrument
    traded = traded_instrument(bars, data, instrument, instruments_file, asset_class)
    attach(bars, traded)
    return traded.symbol


def attach(bars: pd.DataFrame, instrument: Instrument) -> None:
    """Record the definition with the bars: the venue builds its instrument from it, so a
    user-file definition reaches the engine without another argument through every layer."""
    from marketdata.instruments import DEFINITION_ATTR

    bars.attrs["instrument"] = instrument.symbol
    bars.attrs[DEFINITION_ATTR] = instrument.model_dump(mode="json")
