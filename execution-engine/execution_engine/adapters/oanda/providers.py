"""The OANDA venue's instruments: the account's instrument list (`account_instruments`) as
NautilusTrader instruments, and the names on both sides (`EUR_USD` ↔ `EUR/USD.OANDA`).

OANDA names every instrument BASE_QUOTE (`EUR_USD`, `XAU_USD`, `SPX500_USD`), so the
instrument id is that name with a slash, on the venue, and the raw symbol is OANDA's name.
The NautilusTrader type comes from Gauntlet's one mapping of asset classes
(`sandbox.providers.build_instrument`, docs/instruments.md): CURRENCY and METAL are quoted
like FX (CurrencyPairs: XAU/USD is one on every venue Gauntlet trades); CFD is a Cfd. Prices: `displayPrecision` decimals, increment 10^-displayPrecision;
sizes: `tradeUnitsPrecision` decimals, minimum `minimumTradeSize`, maximum
`maximumOrderUnits`; margin: `marginRate` initial, half of it maintenance (OANDA closes out
when the NAV falls to half the margin used); `pipLocation`, `displayName` and OANDA's type
in the instrument's `info`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Currency

from execution_engine.adapters.oanda.config import OANDA_VENUE
from execution_engine.adapters.sandbox.providers import build_instrument
from marketdata.instruments import Instrument as Definition

Row = Mapping[str, Any]
# How the provider asks OANDA for instruments: names (none: all the account's) → rows of
# OANDA's Instrument JSON (camelCase names, decimals as strings).
FetchInstruments = Callable[[Sequence[str]], Awaitable[list[Row]]]
_PAIR_TYPES = {"CURRENCY": "fx", "METAL": "fx"}  # metals as marketdata/instruments.yaml has them
_CFD_TYPES = {"CFD": "INDEX"}  # → NautilusTrader's asset class


class InstrumentSpecError(ValueError):
    """An OANDA instrument the adapter cannot turn into an instrument; one line."""


class UnknownInstrumentError(ValueError):
    """An instrument the account does not list, or a name that is not OANDA's shape."""


def oanda_instrument_id(name: str, venue: str = OANDA_VENUE) -> InstrumentId:
    """ "EUR_USD" (also "EUR/USD" or Gauntlet's "EURUSD") → EUR/USD.<venue>."""
    return InstrumentId(Symbol(oanda_name(name).replace("_", "/")), Venue(venue))


def oanda_name(name: str | InstrumentId) -> str:
    """OANDA's name of an instrument: "EUR/USD.OANDA", "EUR/USD", "EURUSD" → "EUR_USD"."""
    text = str(name.symbol.value) if isinstance(name, InstrumentId) else name.strip()
    if "_" in text or "/" in text:
        base, _, quote = text.replace("/", "_").partition("_")
    elif len(text) == 6 and text.isalpha():  # Gauntlet's FX shorthand
        base, quote = text[:3], text[3:]
    else:
        base = quote = ""
    if not (base.isalnum() and quote.isalnum()):
        raise UnknownInstrumentError(
            f"{name!s} is not an OANDA instrument name (BASE_QUOTE, e.g. EUR_USD)"
        )
    return f"{base.upper()}_{quote.upper()}"


def oanda_instrument(row: Row, venue: Venue) -> Instrument:
    """The instrument OANDA's Instrument `row` describes, on `venue`."""
    name = row.get("name")
    if not isinstance(name, str) or "_" not in name:
        raise InstrumentSpecError(f"an OANDA instrument without a BASE_QUOTE name: {name!r}")
    kind = str(row.get("type"))
    if kind not in _PAIR_TYPES and kind not in _CFD_TYPES:
        raise InstrumentSpecError(f"instrument {name}: type {kind!r} is not CURRENCY/CFD/METAL")
    base, quote = name.split("_", 1)
    if _currency(quote) is None:
        raise InstrumentSpecError(f"instrument {name}: quote currency {quote!r} is unknown")
    digits = _int(row, "displayPrecision", name)
    units = _int(row, "tradeUnitsPrecision", name)
    margin = _decimal(row, "marginRate", name)
    step = Decimal(1).scaleb(-units)
    smallest = max(_decimal(row, "minimumTradeSize", name), step)
    definition = Definition(
        symbol=name.replace("_", "/"),
        asset_class=_PAIR_TYPES.get(kind, "cfd"),
        quote_currency=quote,
        base_currency=base if kind in _PAIR_TYPES else None,
        tick_size=Decimal(1).scaleb(-digits),
        lot_size=step,
        min_quantity=smallest,
        margin_initial=margin,
        margin_maintenance=margin / 2,
        calendar="fx",
    )
    built = build_instrument(definition)
    # Gauntlet's mapping names the sandbox venue: the same instrument, on OANDA.
    fields = type(built).to_dict(built)
    fields.update(id=f"{definition.symbol}.{venue}", raw_symbol=name)
    # OANDA's own terms a strategy may size or price by (a pip is 10^pipLocation).
    fields["info"] = {
        "pip_location": row.get("pipLocation"),
        "display_name": row.get("displayName"),
        "oanda_type": kind,
    }
    maximum = row.get("maximumOrderUnits")
    if maximum is not None:
        fields["max_quantity"] = f"{Decimal(str(maximum)):.{units}f}"
    if kind in _CFD_TYPES:
        fields["asset_class"] = _CFD_TYPES[kind]
    instrument: Instrument = type(built).from_dict(fields)
    return instrument


def _int(row: Row, field: str, name: str) -> int:
    value = row.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9:
        raise InstrumentSpecError(f"instrument {name}: field {field} is not 0..9")
    return value


def _decimal(row: Row, field: str, name: str) -> Decimal:
    value = row.get(field)
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        number = Decimal("NaN")
    if value is None or not number.is_finite() or number < 0:
        raise InstrumentSpecError(f"instrument {name}: field {field}={value!r} is not a number")
    return number


def _currency(code: str) -> Currency | None:
    try:
        return Currency.from_str(code, strict=True)
    except (ValueError, KeyError):
        return None


class OandaInstrumentProvider(InstrumentProvider):
    """The configured instruments of one account (all it lists when none are configured),
    loaded once with `account_instruments`."""

    def __init__(
        self,
        fetch: FetchInstruments,
        names: Sequence[str],
        venue: Venue,
        config: InstrumentProviderConfig | None = None,
    ) -> None:
        super().__init__(config or InstrumentProviderConfig(load_all=True))
        self.venue = venue
        self._fetch = fetch
        self._names = tuple(oanda_name(n) for n in names)
        self._by_name: dict[str, Instrument] = {}

    def by_name(self, name: str) -> Instrument:
        """The loaded instrument of OANDA's `name`; UnknownInstrumentError if none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownInstrumentError(
                f"instrument {name} is not one the OANDA account lists for this node"
            ) from None

    def name_of(self, instrument_id: InstrumentId) -> str:
        """OANDA's name of a loaded instrument; UnknownInstrumentError if not loaded."""
        name = oanda_name(instrument_id) if instrument_id.venue == self.venue else ""
        if name not in self._by_name:
            raise UnknownInstrumentError(
                f"unknown instrument {instrument_id}: not one this node loaded from the OANDA "
                f"account (it has {', '.join(self._by_name) or 'none'})"
            )
        return name

    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    async def load_all_async(self, filters: dict[str, object] | None = None) -> None:
        await self._load(self._names)

    async def load_ids_async(
        self, instrument_ids: list[InstrumentId], filters: dict[str, object] | None = None
    ) -> None:
        await self._load(tuple(oanda_name(i) for i in instrument_ids if i.venue == self.venue))

    async def load_async(
        self, instrument_id: InstrumentId, filters: dict[str, object] | None = None
    ) -> None:
        if instrument_id.venue != self.venue:
            raise UnknownInstrumentError(f"instrument {instrument_id} is not on {self.venue}")
        await self._load((oanda_name(instrument_id),))

    async def _load(self, names: Sequence[str]) -> None:
        rows = await self._fetch(names)
        listed = {str(row.get("name")) for row in rows}
        missing = [name for name in names if name not in listed]
        if missing:
            raise UnknownInstrumentError(f"the OANDA account does not list {', '.join(missing)}")
        for row in rows:
            instrument = oanda_instrument(row, self.venue)
            self._by_name[str(row["name"])] = instrument
            self.add(instrument)
