"""Instrument definitions: what a data file's prices are prices of, and how it trades.

One resolver turns a name (from --instrument, the file's attrs, or the file's name) into an
`Instrument`. It looks, in order, in the user's instruments file, the built-in definitions
(instruments.yaml beside this module), an ad hoc --asset-class, and two naming rules: AAA/BBB
of two known currencies is an FX pair, an upper-case 1-5 letter ticker is a US equity. A name
none of these resolve is an error saying how to define it: trading it as some default
instrument would put the wrong tick, lot and calendar under every result.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from marketdata.errors import DataError

__all__ = [
    "DEFINITION_ATTR",
    "HOW_TO_DEFINE",
    "AssetClass",
    "Instrument",
    "InstrumentBook",
    "InstrumentCosts",
    "InstrumentError",
    "UndefinedInstrumentError",
    "check_ticks",
    "load_instrument_book",
    "resolve_data_instrument",
    "resolve_file_instrument",
    "resolve_instrument",
]

BUILTIN_FILE = Path(__file__).with_name("instruments.yaml")
# bars.attrs key of the definition (its JSON dump) a run trades the bars as.
DEFINITION_ATTR = "instrument_definition"
_TICKER = re.compile(r"^[A-Z]{1,5}$")
_FX_SYMBOL = re.compile(r"^[A-Z]{3}/[A-Z]{3}$")
_PAIR = re.compile(r"^([A-Za-z]{3})[/_\-]?([A-Za-z]{3})$")
_SEPARATORS = re.compile(r"[/_\-. ]+")
HOW_TO_DEFINE = (
    "define it in an instruments file (--instruments FILE, entries like the built-in "
    "marketdata/instruments.yaml: asset_class, quote_currency, tick_size, lot_size) or pass "
    "--asset-class (fx, equity, future, cfd, crypto, index)"
)


class InstrumentError(DataError):
    """An instrument that cannot be resolved, or a definition that is malformed or does not fit
    the data: bad input, reported in one line."""


class UndefinedInstrumentError(InstrumentError):
    """A name no definition or naming rule resolves; `name` is the name as given."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"instrument {name!r} is not defined; {HOW_TO_DEFINE}")


class AssetClass(StrEnum):
    FX = "fx"
    EQUITY = "equity"
    FUTURE = "future"
    CFD = "cfd"
    CRYPTO = "crypto"
    INDEX = "index"


class InstrumentCosts(BaseModel):
    """Costs a backtest may default to for this instrument (the BacktestConfig's units)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    commission: float | None = Field(default=None, ge=0)
    spread: float | None = Field(default=None, ge=0)
    slippage: float | None = Field(default=None, ge=0)

    def given(self) -> dict[str, float]:
        """The costs this definition sets (its None fields left out), by BacktestConfig name."""
        return {name: value for name, value in self.model_dump().items() if value is not None}


class Instrument(BaseModel):
    """One tradable instrument. Sizes and prices are Decimals: a tick of 0.1 must stay 0.1.

    `lot_size` is the quantity step, `min_quantity` the smallest order, `multiplier` the
    currency value of one price point per unit (futures), margins fractions of notional.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str = Field(min_length=1)
    asset_class: AssetClass
    quote_currency: str = Field(pattern=r"^[A-Z]{3,4}$")
    settlement_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3,4}$")
    base_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3,4}$")
    tick_size: Decimal = Field(gt=0)
    lot_size: Decimal = Field(gt=0)
    min_quantity: Decimal = Field(gt=0)
    multiplier: Decimal = Field(default=Decimal(1), gt=0)
    margin_initial: Decimal = Field(default=Decimal(1), ge=0)
    margin_maintenance: Decimal = Field(default=Decimal(1), ge=0)
    calendar: str = Field(min_length=1)
    costs: InstrumentCosts | None = None

    @model_validator(mode="after")
    def _settles_in_quote_by_default(self) -> Instrument:
        if self.settlement_currency is None:
            object.__setattr__(self, "settlement_currency", self.quote_currency)
        return self

    @property
    def price_precision(self) -> int:
        """Decimals of the tick size (0.00001 → 5, 0.25 → 2, 1 → 0)."""
        return _decimals(self.tick_size)

    @property
    def size_precision(self) -> int:
        return _decimals(self.lot_size)


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class InstrumentBook:
    """Definitions by canonical name, the per-class defaults, and the currencies of FX pairs."""

    def __init__(
        self,
        definitions: dict[str, Instrument],
        defaults: dict[AssetClass, dict[str, Any]],
        currencies: frozenset[str],
    ) -> None:
        self.definitions = definitions
        self.defaults = defaults
        self.currencies = currencies

    def find(self, name: str) -> Instrument | None:
        for key in _candidates(name):
            if key in self.definitions:
                return self.definitions[key]
        return None


def _canonical(name: str) -> str:
    return _SEPARATORS.sub("", name).upper()


def _candidates(name: str) -> list[str]:
    """'EURUSD-SYNTHETIC' → EURUSDSYNTHETIC, EURUSD: the whole name, then without a data-source
    suffix. Never a shorter prefix: EUR/USD/JPY is no EUR/USD (file names are tried part by part
    in `_from_file_name`)."""
    raw = name.strip().removesuffix(".SIM")
    out = [_canonical(raw)]
    if "-" in raw:
        out.append(_canonical(raw.rsplit("-", 1)[0]))
    return out


def load_instrument_book(user_file: Path | None = None) -> InstrumentBook:
    """The built-in definitions, with `user_file`'s (same YAML shape) layered on top."""
    builtin = _read_yaml(BUILTIN_FILE)
    defaults = _defaults(builtin, BUILTIN_FILE)
    currencies = frozenset(str(c) for c in builtin.get("currencies", []))
    definitions = _definitions(builtin, defaults, BUILTIN_FILE)
    if user_file is not None:
        user = _read_yaml(user_file)
        # A user's entry is complete or takes its own file's defaults; borrowing the built-in
        # class defaults would hide a forgotten tick or lot size behind a guess.
        definitions.update(_definitions(user, _defaults(user, user_file), user_file))
    return InstrumentBook(definitions, defaults, currencies)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InstrumentError(
            f"cannot read instruments file: {exc.strerror}", source=str(path)
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InstrumentError(f"not a YAML instruments file ({first})", source=str(path)) from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("instruments", {}), dict):
        raise InstrumentError(
            "an instruments file is a mapping with an 'instruments' mapping of name → fields",
            source=str(path),
        )
    return loaded


def _defaults(document: dict[str, Any], path: Path) -> dict[AssetClass, dict[str, Any]]:
    raw = document.get("defaults") or {}
    if not isinstance(raw, dict):
        raise InstrumentError("'defaults' must map an asset class to fields", source=str(path))
    out: dict[AssetClass, dict[str, Any]] = {}
    for name, fields in raw.items():
        out[_asset_class(str(name), path)] = dict(fields or {})
    return out


def _asset_class(value: str, path: Path | None = None) -> AssetClass:
    try:
        return AssetClass(value.strip().lower())
    except ValueError:
        choices = ", ".join(c.value for c in AssetClass)
        raise InstrumentError(
            f"unknown asset class {value!r}; choose one of {choices}",
            source=str(path) if path else None,
        ) from None


def _definitions(
    document: dict[str, Any], defaults: dict[AssetClass, dict[str, Any]], path: Path
) -> dict[str, Instrument]:
    out: dict[str, Instrument] = {}
    for symbol, fields in (document.get("instruments") or {}).items():
        if not isinstance(fields, dict):
            raise InstrumentError(f"instrument {symbol!r}: expected a mapping of fields",
                                  source=str(path))  # fmt: skip
        if "asset_class" not in fields:
            raise InstrumentError(f"instrument {symbol!r}: missing field 'asset_class'",
                                  source=str(path))  # fmt: skip
        asset_class = _asset_class(str(fields["asset_class"]), path)
        merged = {**defaults.get(asset_class, {}), **fields, "asset_class": asset_class}
        out[_canonical(str(symbol))] = _build(str(symbol), merged, path)
    return out


def _build(symbol: str, fields: dict[str, Any], path: Path | None) -> Instrument:
    fields = dict(fields)
    pair = _PAIR.match(symbol)
    if pair is not None and fields.get("asset_class") in (AssetClass.FX, AssetClass.CRYPTO):
        fields.setdefault("base_currency", pair.group(1).upper())
        fields.setdefault("quote_currency", pair.group(2).upper())
    fields.setdefault("min_quantity", fields.get("lot_size"))
    try:
        return Instrument(symbol=symbol, **fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        problem = "missing field" if error["type"] == "missing" else error["msg"]
        raise InstrumentError(
            f"instrument {symbol!r}: {problem} {where!r}".rstrip(),
            source=str(path) if path else None,
        ) from None


def resolve_instrument(
    name: str, book: InstrumentBook | None = None, asset_class: str | None = None
) -> Instrument:
    """The definition of `name`: defined (user file, then built-in), ad hoc (--asset-class),
    an FX pair of two known currencies, or an upper-case ticker (a US equity)."""
    book = book or load_instrument_book()
    adhoc = _asset_class(asset_class) if asset_class is not None else None
    found = book.find(name)
    if found is not None:
        if adhoc is not None and adhoc is not found.asset_class:
            raise InstrumentError(
                f"instrument {found.symbol!r} is defined as {found.asset_class.value}, "
                f"not {adhoc.value}; drop --asset-class or redefine it in an instruments file"
            )
        return found
    symbol = _adhoc_symbol(name, book, adhoc)
    if adhoc is not None:
        return _build(symbol, {**book.defaults.get(adhoc, {}), "asset_class": adhoc}, None)
    if _FX_SYMBOL.match(symbol):  # _adhoc_symbol made it a pair of known currencies
        return _build(symbol, {**book.defaults[AssetClass.FX], "asset_class": AssetClass.FX}, None)
    if _TICKER.match(symbol):
        equity = {**book.defaults[AssetClass.EQUITY], "asset_class": AssetClass.EQUITY}
        return _build(symbol, equity, None)
    raise UndefinedInstrumentError(name)


def _adhoc_symbol(name: str, book: InstrumentBook, adhoc: AssetClass | None) -> str:
    """The symbol a definition-less name trades as: AAA/BBB for a pair of known currencies
    (EURSEK, eur_sek), else the name itself without a venue suffix."""
    raw = name.strip().removesuffix(".SIM")
    pair = _PAIR.match(raw)
    if pair is not None and adhoc in (None, AssetClass.FX, AssetClass.CRYPTO):
        base, quote = (p.upper() for p in pair.groups())
        if adhoc is not None or (base in book.currencies and quote in book.currencies):
            return f"{base}/{quote}"
    return raw


def check_ticks(instrument: Instrument, bars: pd.DataFrame, source: str | None = None) -> None:
    """Every open/high/low/close is a whole number of ticks, or the definition does not fit the
    data (a tick of 0.01 on five-decimal prices would make the venue round every price)."""
    tick = float(instrument.tick_size)
    for column in ("open", "high", "low", "close"):
        if column not in bars.columns:
            continue
        prices = bars[column].to_numpy(dtype=np.float64)
        steps = prices / tick
        # Float prices are never exact multiples; a millionth of a tick is representation noise.
        off = np.abs(steps - np.round(steps)) > 1e-6 + 1e-12 * np.abs(steps)
        off &= np.isfinite(prices)
        if off.any():
            row = int(np.flatnonzero(off)[0])
            raise InstrumentError(
                f"{column} {float(prices[row])!r} is not a multiple of {instrument.symbol}'s tick size "
                f"{instrument.tick_size}; set tick_size in an instruments file (--instruments)",
                source=source,
                row=row + 1,
                timestamp=bars.index[row],
            )


def resolve_data_instrument(
    bars: pd.DataFrame,
    path: Path,
    *,
    instrument: str | None = None,
    instruments_file: Path | None = None,
    asset_class: str | None = None,
) -> Instrument:
    """The instrument of a bars file: --instrument, else the file's recorded instrument, else
    its name (eurusd_h1.csv, GOOG.csv, US500-daily.parquet); its ticks are checked on load."""
    found = resolve_file_instrument(
        path, instrument or bars.attrs.get("instrument"), instruments_file, asset_class
    )
    check_ticks(found, bars, source=str(path))
    return found


def resolve_file_instrument(
    path: Path,
    instrument: str | None = None,
    instruments_file: Path | None = None,
    asset_class: str | None = None,
) -> Instrument:
    """The instrument named by `instrument`, else by the file's name (no data read)."""
    book = load_instrument_book(instruments_file)
    if instrument:
        found = resolve_instrument(str(instrument), book, asset_class)
    else:
        found = _from_file_name(path, book, asset_class)
    _check_calendar(found)
    return found


def _check_calendar(instrument: Instrument) -> None:
    """A calendar no run could use is refused with the definition, not at annualisation."""
    from marketdata.calendars import get_calendar

    try:
        get_calendar(instrument.calendar)
    except DataError as exc:
        raise InstrumentError(f"instrument {instrument.symbol!r}: {exc}") from None


def _from_file_name(path: Path, book: InstrumentBook, asset_class: str | None) -> Instrument:
    parts = [p for p in _SEPARATORS.split(path.stem) if p]
    for k in range(len(parts), 0, -1):
        try:
            return resolve_instrument("_".join(parts[:k]), book, asset_class)
        except UndefinedInstrumentError:
            continue  # a shorter part of the name may be one (eurusd_h1 → eurusd)
    raise InstrumentError(
        f"cannot tell the instrument from the file name {path.name!r}: pass --instrument NAME "
        f"and, if it is not built in, {HOW_TO_DEFINE}",
        source=str(path),
    )
