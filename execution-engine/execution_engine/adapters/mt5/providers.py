"""The MetaTrader venue's instruments: the terminal's symbol specs (the `symbols` op) as
NautilusTrader instruments, and the one place lots and units meet.

MetaTrader trades in lots; NautilusTrader in units of the base currency. A symbol with
contract size 100,000 and volume step 0.01 becomes an instrument whose size increment is
1,000 units, minimum and maximum are the volume limits times the contract size, and lot size
is the contract size. Prices keep the terminal's digits and point. `lots` and `units` convert
exactly (Decimal); the execution client refuses a quantity that is not a whole number of steps.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.model.enums import AssetClass
from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
from nautilus_trader.model.instruments import Cfd, CurrencyPair, Instrument
from nautilus_trader.model.objects import Currency, Price, Quantity

from execution_engine.adapters.mt5.codes import Op

Spec = Mapping[str, Any]
# How the provider asks the terminal: (op, args) → the response's data (the hub's request).
Request = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
_NO_LEVERAGE = 1  # margin rate 1 (fully funded) when neither the spec nor the account says


class SymbolSpecError(ValueError):
    """A symbol spec the adapter cannot turn into an instrument; one line naming the field."""


def mt5_symbol(instrument_id: InstrumentId) -> str:
    """The terminal's symbol of an instrument: "EUR/USD.MT5" → "EURUSD"."""
    return str(instrument_id.symbol.value).replace("/", "")


def decimal_field(spec: Spec, field: str) -> Decimal:
    """`spec[field]` as a Decimal (money fields travel as strings; ints are accepted)."""
    value = spec.get(field)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise SymbolSpecError(f"symbol {spec.get('name')!r}: field {field} is not a number")
    try:
        return Decimal(value)
    except ArithmeticError:
        raise SymbolSpecError(f"symbol {spec.get('name')!r}: field {field}={value!r}") from None


def lots(quantity: Quantity | Decimal, spec: Spec) -> Decimal:
    """Units of the base currency → MetaTrader lots (exact)."""
    amount = quantity.as_decimal() if isinstance(quantity, Quantity) else quantity
    return amount / decimal_field(spec, "contract_size")


def units(volume: Decimal | str, spec: Spec) -> Quantity:
    """MetaTrader lots → NautilusTrader units, at the instrument's size precision."""
    amount = Decimal(volume) * decimal_field(spec, "contract_size")
    return Quantity.from_str(f"{amount:.{size_precision(spec)}f}")


def size_precision(spec: Spec) -> int:
    return _decimals(decimal_field(spec, "volume_step") * decimal_field(spec, "contract_size"))


def is_step_multiple(volume: Decimal, spec: Spec) -> bool:
    """Whether `volume` lots is a whole number of the symbol's volume steps."""
    step = decimal_field(spec, "volume_step")
    return step > 0 and volume % step == 0


def mt5_instrument(spec: Spec, venue: Venue, *, leverage: int | None = None) -> Instrument:
    """The instrument a `symbols` spec describes: a CurrencyPair ("EUR/USD.<venue>") when
    base and profit currencies are both currencies (FX, metals, crypto), otherwise a Cfd on
    the terminal's name. Margin: the spec's initial margin per lot, else 1 / leverage."""
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise SymbolSpecError("a symbol spec without a name")
    base, quote = _currency(spec.get("currency_base")), _currency(spec.get("currency_profit"))
    if quote is None:
        raise SymbolSpecError(f"symbol {name!r}: unknown profit currency")
    digits = spec.get("digits")
    if not isinstance(digits, int) or not 0 <= digits <= 9:
        raise SymbolSpecError(f"symbol {name!r}: field digits is not 0..9")
    size = size_precision(spec)
    common: dict[str, Any] = {
        "raw_symbol": Symbol(name),
        "price_precision": digits,
        "size_precision": size,
        "price_increment": Price.from_str(f"{decimal_field(spec, 'point'):.{digits}f}"),
        "size_increment": units(decimal_field(spec, "volume_step"), spec),
        "lot_size": units(Decimal(1), spec),
        "min_quantity": units(decimal_field(spec, "volume_min"), spec),
        "max_quantity": units(decimal_field(spec, "volume_max"), spec),
        "margin_init": _margin_rate(spec, leverage),
        "margin_maint": _margin_rate(spec, leverage),
        "maker_fee": Decimal(0),
        "taker_fee": Decimal(0),
        "ts_event": 0,
        "ts_init": 0,
    }
    if base is not None and base != quote:
        symbol = Symbol(f"{base.code}/{quote.code}")
        return CurrencyPair(
            instrument_id=InstrumentId(symbol, venue),
            base_currency=base,
            quote_currency=quote,
            max_notional=None,
            min_notional=None,
            max_price=None,
            min_price=None,
            **common,
        )
    return Cfd(
        instrument_id=InstrumentId(Symbol(name), venue),
        asset_class=AssetClass.INDEX,
        quote_currency=quote,
        **common,
    )


def _margin_rate(spec: Spec, leverage: int | None) -> Decimal:
    initial = spec.get("margin_initial")
    if isinstance(initial, str | int) and not isinstance(initial, bool):
        per_lot = Decimal(initial)
        if per_lot > 0:
            return per_lot / decimal_field(spec, "contract_size")
    return Decimal(1) / Decimal(leverage if leverage and leverage > 0 else _NO_LEVERAGE)


def _currency(code: object) -> Currency | None:
    if not isinstance(code, str) or not code:
        return None
    try:
        return Currency.from_str(code, strict=True)
    except (ValueError, KeyError):
        return None


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class UnknownSymbolError(ValueError):
    """A symbol or instrument the terminal did not list for this node."""


class Mt5InstrumentProvider(InstrumentProvider):
    """The configured symbols of one terminal, loaded through the bridge (`symbols`), with
    their specs kept for the lot arithmetic and the order checks."""

    def __init__(
        self,
        request: Request,
        names: Sequence[str],
        venue: Venue,
        config: InstrumentProviderConfig | None = None,
    ) -> None:
        super().__init__(config or InstrumentProviderConfig(load_all=True))
        self.venue = venue
        self._request = request
        self._names = tuple(names)
        self._specs: dict[str, Spec] = {}
        self._by_symbol: dict[str, Instrument] = {}
        # Instrument → the terminal's name, which may differ from mt5_symbol's guess (a
        # broker's "EURUSD.m" is the pair EUR/USD).
        self._symbol_of: dict[InstrumentId, str] = {}

    def spec(self, symbol: str) -> Spec:
        """The terminal's spec of `symbol` ("EURUSD"); UnknownSymbolError if not loaded."""
        try:
            return self._specs[symbol]
        except KeyError:
            raise UnknownSymbolError(f"symbol {symbol!r} is not loaded from the terminal") from None

    def by_mt5_symbol(self, symbol: str) -> Instrument:
        try:
            return self._by_symbol[symbol]
        except KeyError:
            raise UnknownSymbolError(f"symbol {symbol!r} is not loaded from the terminal") from None

    def symbol_of(self, instrument_id: InstrumentId) -> str:
        """The terminal's name of a loaded instrument; UnknownSymbolError if none."""
        try:
            return self._symbol_of[instrument_id]
        except KeyError:
            raise UnknownSymbolError(
                f"unknown symbol {instrument_id}: not loaded from the terminal"
            ) from None

    def spec_of(self, instrument_id: InstrumentId) -> Spec:
        return self.spec(self.symbol_of(instrument_id))

    def symbols(self) -> tuple[str, ...]:
        return tuple(self._by_symbol)

    async def load_all_async(self, filters: dict[str, object] | None = None) -> None:
        await self._load(list(self._names) or None)

    async def load_ids_async(
        self, instrument_ids: list[InstrumentId], filters: dict[str, object] | None = None
    ) -> None:
        await self._load([mt5_symbol(i) for i in instrument_ids if i.venue == self.venue])

    async def load_async(
        self, instrument_id: InstrumentId, filters: dict[str, object] | None = None
    ) -> None:
        if instrument_id.venue != self.venue:
            raise UnknownSymbolError(f"instrument {instrument_id} is not on venue {self.venue}")
        await self._load([mt5_symbol(instrument_id)])

    async def _load(self, names: list[str] | None) -> None:
        account = await self._request(Op.ACCOUNT_INFO.value, {})
        leverage = account.get("leverage")
        args: dict[str, Any] = {} if names is None else {"names": names}
        data = await self._request(Op.SYMBOLS.value, args)
        for spec in data.get("symbols", []):
            instrument = mt5_instrument(
                spec, self.venue, leverage=leverage if isinstance(leverage, int) else None
            )
            self._specs[spec["name"]] = spec
            self._by_symbol[spec["name"]] = instrument
            self._symbol_of[instrument.id] = spec["name"]
            self.add(instrument)


def mt5_instrument_id(name: str, venue: str) -> InstrumentId:
    """The id `mt5_instrument` gives a terminal symbol, known before the terminal connects:
    "EURUSD", "EUR/USD" or a broker's suffixed "EURUSD.m" → "EUR/USD.<venue>" when the first
    six letters are two ISO currency codes (as `mt5_instrument` names a pair from the spec's
    base and profit currencies), else the name itself ("US500.<venue>")."""
    text = name.strip()
    if not text or any(c.isspace() for c in text):
        raise ValueError(f"{name!r} is not a symbol name")
    plain = text.replace("/", "")
    base, quote = _currency(plain[:3]), _currency(plain[3:6])
    if len(plain) >= 6 and base is not None and quote is not None and base != quote:
        return InstrumentId(Symbol(f"{base.code}/{quote.code}"), Venue(venue))
    return InstrumentId(Symbol(text), Venue(venue))
