"""The instruments of the simulated venue SIM: FX pairs built from a pair name with correct
precisions, served through a NautilusTrader `InstrumentProvider`.

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
from decimal import Decimal

from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.model.objects import Currency, Price, Quantity

SIM_VENUE = Venue("SIM")
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
