"""Bar-frame helpers shared by the engines (vectorized, event, sweep): instrument names,
per-instrument price arrays and the target matrix, all in one instrument order, so the
engines cannot disagree about which column is which."""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ValidationError

from marketdata.instruments import (
    DEFINITION_ATTR,
    AssetClass,
    Instrument,
    InstrumentBook,
    InstrumentError,
    UndefinedInstrumentError,
    load_instrument_book,
    resolve_instrument,
)
from research.errors import ResearchInputError
from research.metrics import calendar_of, periods_per_year
from strategies.bars import is_panel

SINGLE = "asset"  # the column name of single-instrument arrays when no name is given
# A pair of currency codes, optionally with a data-source suffix (EURUSD-SYNTHETIC), as the
# simulated venue reads one (execution_engine.adapters.sandbox.providers).
_PAIR = re.compile(r"^([A-Za-z]{3})[/_\-]?([A-Za-z]{3})(?:-[A-Za-z0-9_]+)?$")


def panel_instruments(bars: pd.DataFrame) -> list[str]:
    """A panel's instrument names (the first column level), in column order."""
    return [str(name) for name in dict.fromkeys(bars.columns.get_level_values(0))]


def field_matrix(bars: pd.DataFrame, instruments: list[str], field: str) -> npt.NDArray[np.float64]:
    """One price field as a (bars, instruments) float64 array; single-instrument bars give one
    column."""
    if is_panel(bars):
        return np.column_stack([bars[(name, field)].to_numpy(np.float64) for name in instruments])
    return bars[field].to_numpy(np.float64).reshape(-1, 1)


def instruments_of(bars: pd.DataFrame) -> list[str]:
    """The column order every engine uses: a panel's instruments, else one column."""
    return panel_instruments(bars) if is_panel(bars) else [SINGLE]


def target_matrix(raw: pd.Series | pd.DataFrame, instruments: list[str]) -> npt.NDArray[np.float64]:
    """A strategy's targets as a (bars, instruments) float64 array, columns in `instruments`
    order (a panel strategy's frame may list them in any order)."""
    if isinstance(raw, pd.DataFrame):
        missing = [name for name in instruments if name not in raw.columns]
        if missing:
            raise ResearchInputError(f"strategy returned no target for {', '.join(missing)}")
        return np.ascontiguousarray(raw[instruments].to_numpy(np.float64))
    return np.ascontiguousarray(raw.to_numpy(np.float64).reshape(-1, 1))


def traded_definitions(bars: pd.DataFrame, instruments: list[str]) -> list[Instrument | None]:
    """The definition each instrument column trades as, resolved as the event engine's venue
    resolves it (execution_engine.adapters.sandbox.providers.definition_of): the definition
    recorded with the bars when it names that instrument, else the built-in book's
    (marketdata.instruments), else, for a pair of three-letter codes, the FX defaults.
    The synthetic default name (SINGLE) has none: a unitless asset, fractional, with
    `kernel.UNDEFINED_MARGINS`.
    A name nothing resolves is refused: trading it as some default would put another
    instrument's size step, margin and calendar under the result."""
    recorded = bars.attrs.get(DEFINITION_ATTR)
    return [_definition(name, recorded) for name in instruments]


def _definition(name: str, recorded: object) -> Instrument | None:
    if name == SINGLE:
        return None
    if isinstance(recorded, dict) and _canonical(str(recorded.get("symbol", ""))) == _canonical(
        name
    ):
        try:
            return Instrument.model_validate(recorded)
        except ValidationError as exc:
            raise ResearchInputError(f"instrument {name!r}: bad definition ({exc})") from None
    try:
        return resolve_instrument(name.split(".")[0], _builtin_book())
    except UndefinedInstrumentError as exc:
        if _PAIR.match(name.split(".")[0].strip()) is None:
            raise ResearchInputError(str(exc)) from None
        book = _builtin_book()  # a pair of codes no definition names (USD/THB): FX defaults
        return Instrument(symbol=name, asset_class=AssetClass.FX, **book.defaults[AssetClass.FX],
                          quote_currency=name.strip()[-3:].upper())  # fmt: skip
    except InstrumentError as exc:
        raise ResearchInputError(str(exc)) from None


@cache
def _builtin_book() -> InstrumentBook:
    return load_instrument_book()


def _canonical(text: str) -> str:
    return re.sub(r"[/_\-. ]", "", text.split(".")[0]).upper()


def instrument_names(bars: pd.DataFrame, instrument: str | None = None) -> list[str]:
    """The instruments a run trades, in column order: a panel's, else `instrument`, the bars'
    recorded name, or SINGLE (the synthetic default)."""
    if is_panel(bars):
        return panel_instruments(bars)
    return [instrument or str(bars.attrs.get("instrument") or SINGLE)]


def run_periods_per_year(
    bars: pd.DataFrame, configured: float | None, definitions: list[Instrument | None]
) -> float:
    """The one periods_per_year of a run, for every engine (ADR 0002 §11): the configured
    one, else inferred from the index on the traded instrument's calendar (the definition
    recorded with the bars, else the one the instruments resolve to when they share one)."""
    if configured:
        return configured
    calendar = calendar_of(bars)
    if calendar is None:
        calendars = {d.calendar for d in definitions if d is not None}
        if len(calendars) == 1 and all(d is not None for d in definitions):
            calendar = calendars.pop()
    return periods_per_year(pd.DatetimeIndex(bars.index), calendar)


def bars_periods_per_year(
    bars: pd.DataFrame, configured: float | None, instrument: str | None = None
) -> float:
    """`run_periods_per_year` of the instruments `bars` trade as (see `instrument_names`)."""
    return run_periods_per_year(
        bars, configured, traded_definitions(bars, instrument_names(bars, instrument))
    )
