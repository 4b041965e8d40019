"""FX instruments of the simulated venue, built from a pair name with correct precisions.

We build `CurrencyPair`s ourselves instead of `TestInstrumentProvider.default_fx_ccy` because
the fee (taker fee = the backtest's commission) and the minimum quantity must follow the run's
configuration, and the test kit pins both. Precisions follow market convention: 3 price
decimals for JPY-quoted pairs, 5 otherwise; quantities in whole units of the base currency.
"""

from __future__ import annotations

import re
from decimal import Decimal

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
