"""The instruments of the simulated venue SIM, built from marketdata instrument definitions
(`sim_instrument`: FX and spot crypto → `CurrencyPair`, equity → `Equity`, CFD and index →
`Cfd`, future → `FuturesContract`) or from a pair name (`fx_pair`), served through a
NautilusTrader `InstrumentProvider`.

Precisions come from the definition: price precision and increment from the tick size, size
precision and increment from the lot size, plus its minimum quantity, multiplier and margins.
A definition travels with the bars it describes (`DEFINITION_ATTR` in their attrs), so a
user's definition reaches the venue without an argument through every layer.

We build `CurrencyPair`s ourselves instead of `TestInstrumentProvider.default_fx_ccy` because
the fee (taker fee = the backtest's commission) and the minimum quantity must follow the run's
configuration, and the test kit pins both. Precisions follow market convention: 3 price
decimals for JPY-quoted pairs, 5 otherwise; quantities in whole units of the base currency.

The module functions (`pair_symbol`, `instrument_id`, `fx_pair`) are the lookup API; they
need no running node, so backtests, the CLI and research call them directly.
`SimInstrumentProvider` serves the same instruments to a live data client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.model.enums import AssetClass as NautilusAssetClass
from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
from nautilus_trader.model.instruments import (
    Cfd,
    CurrencyPair,
    Equity,
    FuturesContract,
    Instrument,
)
from nautilus_trader.model.objects import Currency, Price, Quantity
from pydantic import ValidationError

from marketdata.instruments import DEFINITION_ATTR as DEFINITION_ATTR  # re-export: the attrs key
from marketdata.instruments import (
    AssetClass,
    InstrumentError,
    UndefinedInstrumentError,
    resolve_instrument,
)
from marketdata.instruments import Instrument as Definition

SIM_VENUE = Venue("SIM")
_FX_LOT = 1000  # NautilusTrader's "rounded lot" of a pair (fx_pair's default), not the step
_NEVER_EXPIRES_NS = 4_102_444_800_000_000_000  # 2100-01-01: a continuous future does not roll
# A pair, optionally with a data-source suffix: "EURUSD-SYNTHETIC" is traded as EUR/USD.
_PAIR = re.compile(r"^([A-Za-z]{3})[/_\-]?([A-Za-z]{3})(?:-[A-Za-z0-9_]+)?$")


class UnknownInstrumentError(ValueError):
    """An instrument the simulated venue cannot list (not a pair of known currencies)."""


def pair_symbol(name: str) -> str:
    """'EURUSD', 'eur_usd', 'EUR/USD', 'EUR/USD.SIM' or 'EURUSD-SYNTHETIC' → 'EUR/USD'."""
    raw = name.split(".")[0].strip()
    match = _PAIR.match(raw)
    if match is None:
        raise UnknownInstrumentError(
            f"instrument {name!r} is unknown to venue SIM: expected a currency pair like EUR/USD"
        )
    base, quote = (m.upper() for m in match.groups())
    for code in (base, quote):
        if _currency(code) is None:
            raise UnknownInstrumentError(
                f"instrument {name!r} is unknown to venue SIM: no currency {code!r}"
            )
    return f"{base}/{quote}"


def _currency(code: str) -> Currency | None:
    try:
        return Currency.from_str(code, strict=True)
    except (ValueError, KeyError):
        return None


def instrument_id(name: str) -> InstrumentId:
    return InstrumentId(Symbol(pair_symbol(name)), SIM_VENUE)


def fx_pair(
    name: str, *, taker_fee: float = 0.0, min_quantity: int = 1, lot_size: int = 1000
) -> CurrencyPair:
    """A spot FX pair on SIM. `taker_fee` is a fraction of notional (market orders are takers)."""
    symbol = pair_symbol(name)
    base, quote = symbol.split("/")
    base_ccy, quote_ccy = _currency(base), _currency(quote)
    if base_ccy is None or quote_ccy is None:
        raise UnknownInstrumentError(f"instrument {name!r} is unknown to venue SIM")
    price_precision = 3 if quote == "JPY" else 5
    fee = Decimal(repr(taker_fee))
    return CurrencyPair(
        instrument_id=InstrumentId(Symbol(symbol), SIM_VENUE),
        raw_symbol=Symbol(symbol),
        base_currency=base_ccy,
        quote_currency=quote_ccy,
        price_precision=price_precision,
        size_precision=0,
        price_increment=Price(1 / 10**price_precision, price_precision),
        size_increment=Quantity.from_int(1),
        lot_size=Quantity.from_int(lot_size),
        max_quantity=Quantity.from_str("1e9"),
        min_quantity=Quantity.from_int(min_quantity),
        max_price=None,
        min_price=None,
        max_notional=None,
        min_notional=None,
        margin_init=Decimal("0.03"),
        margin_maint=Decimal("0.03"),
        maker_fee=fee,
        taker_fee=fee,
        ts_event=0,
        ts_init=0,
    )


class SimInstrumentProvider(InstrumentProvider):
    """What venue SIM lists: the given pairs (`load_all`), or any pair by id (`load_ids`).

    There is no venue to ask, so loading is building: a requested id becomes `fx_pair` of
    its symbol with this provider's fee and minimum quantity.
    """

    def __init__(
        self,
        instruments: list[CurrencyPair] | None = None,
        *,
        taker_fee: float = 0.0,
        min_quantity: int = 1,
        config: InstrumentProviderConfig | None = None,
    ) -> None:
        super().__init__(config or InstrumentProviderConfig(load_all=True))
        self._listed = list(instruments or [])
        self._taker_fee = taker_fee
        self._min_quantity = min_quantity

    async def load_all_async(self, filters: dict[str, object] | None = None) -> None:
        self.add_bulk(self._listed)

    async def load_ids_async(
        self, instrument_ids: list[InstrumentId], filters: dict[str, object] | None = None
    ) -> None:
        for iid in instrument_ids:
            await self.load_async(iid, filters)

    async def load_async(
        self, instrument_id: InstrumentId, filters: dict[str, object] | None = None
    ) -> None:
        if instrument_id.venue != SIM_VENUE:
            raise UnknownInstrumentError(f"instrument {instrument_id} is not on venue SIM")
        self.add(self.fx_pair(instrument_id.symbol.value))

    def fx_pair(self, name: str) -> CurrencyPair:
        """`fx_pair` with this provider's fee and minimum quantity."""
        return fx_pair(name, taker_fee=self._taker_fee, min_quantity=self._min_quantity)


def definition_of(name: str, recorded: Mapping[str, Any] | None = None) -> Definition:
    """The definition SIM lists `name` by: the one recorded with its bars, else the built-in
    resolution of the name (marketdata.instruments)."""
    if recorded and _same_name(str(recorded.get("symbol", "")), name):
        try:
            return Definition.model_validate(dict(recorded))
        except ValidationError as exc:
            raise UnknownInstrumentError(f"instrument {name!r}: bad definition ({exc})") from None
    try:
        return resolve_instrument(name.split(".")[0])
    except UndefinedInstrumentError:
        raise UnknownInstrumentError(
            f"instrument {name!r} is unknown to venue SIM: define it (--instruments FILE or "
            "--asset-class)"
        ) from None
    except InstrumentError as exc:
        raise UnknownInstrumentError(str(exc)) from None


def _same_name(symbol: str, name: str) -> bool:
    def canonical(text: str) -> str:
        return re.sub(r"[/_\-. ]", "", text.split(".")[0]).upper()

    return canonical(symbol) == canonical(name)


def sim_instrument(
    name: str,
    recorded: Mapping[str, Any] | None = None,
    *,
    taker_fee: float = 0.0,
    min_quantity: int = 1,
) -> Instrument:
    """The NautilusTrader instrument of `name` on SIM, from its definition (see definition_of).

    `taker_fee` is the run's commission, a fraction of notional; `min_quantity` the run's
    smallest order, which raises the definition's when above 1. A pair of currencies no
    definition names (USD/THB) is still an `fx_pair`, as before definitions existed.
    """
    try:
        definition = definition_of(name, recorded)
    except UnknownInstrumentError:
        if recorded or _PAIR.match(name.split(".")[0].strip()) is None:
            raise
        return fx_pair(name, taker_fee=taker_fee, min_quantity=min_quantity)
    return build_instrument(definition, taker_fee=taker_fee, min_quantity=min_quantity)


def build_instrument(
    definition: Definition, *, taker_fee: float = 0.0, min_quantity: int = 1
) -> Instrument:
    """`definition` as the NautilusTrader type of its asset class."""
    fee = Decimal(repr(taker_fee))
    common: dict[str, Any] = {
        "instrument_id": InstrumentId(Symbol(definition.symbol), SIM_VENUE),
        "raw_symbol": Symbol(definition.symbol),
        "price_precision": definition.price_precision,
        "price_increment": Price(float(definition.tick_size), definition.price_precision),
        "margin_init": definition.margin_initial,
        "margin_maint": definition.margin_maintenance,
        "maker_fee": fee,
        "taker_fee": fee,
        "ts_event": 0,
        "ts_init": 0,
    }
    # The run's minimum (VenueConfig.min_quantity, default 1 unit) can only raise the
    # definition's: a default of one whole unit must not forbid 0.01 BTC.
    smallest = definition.min_quantity
    if min_quantity > 1:
        smallest = max(smallest, Decimal(min_quantity))
    kind = definition.asset_class
    if kind in (AssetClass.FX, AssetClass.CRYPTO):
        return _pair(definition, common, smallest)
    quote = _known_currency(definition.quote_currency, definition.symbol)
    if kind is AssetClass.EQUITY:
        _whole_lots(definition)
        return Equity(
            currency=quote, lot_size=_quantity(definition.lot_size, 0),
            min_quantity=_quantity(smallest, 0), **common,
        )  # fmt: skip
    if kind is AssetClass.FUTURE:
        _whole_lots(definition)
        return FuturesContract(
            asset_class=NautilusAssetClass.INDEX, currency=quote,
            multiplier=Quantity(float(definition.multiplier), _decimals(definition.multiplier)),
            lot_size=_quantity(definition.lot_size, 0), underlying=definition.symbol,
            activation_ns=0, expiration_ns=_NEVER_EXPIRES_NS, **common,
        )  # fmt: skip
    size = definition.size_precision  # CFD or index: traded as a CFD on the index
    return Cfd(
        asset_class=NautilusAssetClass.INDEX, quote_currency=quote, size_precision=size,
        size_increment=_quantity(definition.lot_size, size),
        lot_size=_quantity(definition.lot_size, size), min_quantity=_quantity(smallest, size),
        **common,
    )  # fmt: skip


def _pair(definition: Definition, common: dict[str, Any], smallest: Decimal) -> CurrencyPair:
    """Spot FX (metals included) and spot crypto: base bought with quote."""
    base_code, quote_code = definition.base_currency, definition.quote_currency
    if base_code is None:
        raise UnknownInstrumentError(
            f"instrument {definition.symbol!r}: a pair needs a base currency (AAA/BBB)"
        )
    size = definition.size_precision
    is_fx = definition.asset_class is AssetClass.FX
    return CurrencyPair(
        base_currency=_known_currency(base_code, definition.symbol),
        quote_currency=_known_currency(quote_code, definition.symbol),
        size_precision=size,
        size_increment=_quantity(definition.lot_size, size),
        lot_size=Quantity.from_int(_FX_LOT) if is_fx else _quantity(definition.lot_size, size),
        max_quantity=Quantity.from_str("1e9"),
        min_quantity=_quantity(smallest, size),
        max_price=None,
        min_price=None,
        max_notional=None,
        min_notional=None,
        **common,
    )


def _known_currency(code: str, symbol: str) -> Currency:
    currency = _currency(code)
    if currency is None:
        raise UnknownInstrumentError(
            f"instrument {symbol!r} is unknown to venue SIM: no currency {code!r}"
        )
    return currency


def _whole_lots(definition: Definition) -> None:
    # NautilusTrader's Equity and FuturesContract have size precision 0: no fractional units.
    if definition.lot_size != definition.lot_size.to_integral_value():
        raise UnknownInstrumentError(
            f"instrument {definition.symbol!r}: a {definition.asset_class.value} trades whole "
            f"units; lot_size {definition.lot_size} is fractional"
        )


def _quantity(value: Decimal, precision: int) -> Quantity:
    return Quantity(float(value), precision)


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
