"""The quote hot path: a pricing-stream line -> a NautilusTrader `QuoteTick`, without floats.

`StreamPrice` decodes only what a quote needs (prices stay strings: msgspec's Decimal would cost
more than the exact integer conversion below). A price string becomes a `Price` through its raw
fixed-point integer at the instrument's precision, so "1.1" on a 5-digit instrument is
1.10000 and a price with more digits than the instrument has is refused, not rounded.
"""

from __future__ import annotations

import time
from decimal import Decimal

import msgspec
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import FIXED_PRECISION, Price, Quantity

from execution_engine.adapters.oanda.v20.models import ClientPrice, PricingHeartbeat
from execution_engine.adapters.oanda.v20.times import rfc3339_ns

# 10**k for k = 0..FIXED_PRECISION: the factor from a price written with k decimals to raw.
_SCALE: list[int] = [10 ** (FIXED_PRECISION - k) for k in range(FIXED_PRECISION + 1)]
_QUANTITY_RAW = 10**FIXED_PRECISION
# Liquidity levels repeat: one Quantity per level.
_quantities: dict[int | str | Decimal, Quantity] = {}
# A quoted price repeats many times a second (it moves by a few points around a level), and a
# Price is immutable: one per price string and precision, bounded, spares the conversion.
_CACHE_LIMIT = 8192
_prices: list[dict[str, Price]] = [{} for _ in range(FIXED_PRECISION + 1)]


# gc=False: these hold only strings and numbers (no cycles), and untracked they do not bring
# the collector round every few hundred lines of the hot path.
class StreamBucket(msgspec.Struct, gc=False):
    """One book level as the stream writes it."""

    price: str
    liquidity: int | str  # an integer on the stream; tolerate OANDA's string form too


class StreamPrice(msgspec.Struct, tag_field="type", tag="PRICE", gc=False):
    """A `PRICE` line, only the fields a quote needs."""

    instrument: str
    time: str
    bids: list[StreamBucket] = []
    asks: list[StreamBucket] = []
    tradeable: bool = True


class QuoteError(ValueError):
    """A price line that cannot be a quote (no side, a bad price or time); one line."""


_line_decoder: msgspec.json.Decoder[StreamPrice | PricingHeartbeat] = msgspec.json.Decoder(
    StreamPrice | PricingHeartbeat
)


def decode_line(line: bytes) -> StreamPrice | PricingHeartbeat:
    """One pricing-stream line; msgspec.DecodeError / ValidationError when it is neither."""
    return _line_decoder.decode(line)


def price_at(text: str, precision: int) -> Price:
    """`Price` of a v20 decimal string at `precision`, exactly (no float on the way)."""
    cache = _prices[precision]
    price = cache.get(text)
    if price is None:
        price = _convert(text, precision)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[text] = price
    return price


def _convert(text: str, precision: int) -> Price:
    dot = text.find(".")
    digits = 0 if dot < 0 else len(text) - dot - 1
    if digits > precision:
        raise QuoteError(f"price {text} has more than {precision} decimals")
    try:
        whole = int(text if dot < 0 else text[:dot] + text[dot + 1 :])
    except ValueError:
        raise QuoteError(f"not a price: {text!r}") from None
    return Price.from_raw(whole * _SCALE[digits], precision)


def quantity_of(liquidity: int | str | Decimal) -> Quantity:
    """`Quantity` of a liquidity level (whole units)."""
    quantity = _quantities.get(liquidity)
    if quantity is None:
        units = _whole_units(liquidity)
        if len(_quantities) > 1024:  # a misbehaving feed must not grow this without bound
            _quantities.clear()
        quantity = Quantity.from_raw(units * _QUANTITY_RAW, 0)
        _quantities[liquidity] = quantity
    return quantity


def _whole_units(liquidity: int | str | Decimal) -> int:
    try:
        units = Decimal(liquidity)
        whole = units >= 0 and units == units.to_integral_value()
    except ArithmeticError:  # not a number, or NaN
        whole = False
    if not whole:
        raise QuoteError(f"liquidity {liquidity!r} is not a whole, non-negative number of units")
    return int(units)


def quote_tick(
    price: StreamPrice | ClientPrice,
    instrument_id: InstrumentId,
    price_precision: int,
    ts_init: int | None = None,
) -> QuoteTick:
    """The top of book of `price` as a QuoteTick on `instrument_id`.

    ts_event is OANDA's `time`; ts_init is now unless given. QuoteError when a side is empty
    (OANDA sends such lines when an instrument stops pricing) or a value does not parse.
    """
    if not price.bids or not price.asks:
        raise QuoteError(f"{price.instrument} at {price.time}: no bid or no ask")
    bid = price.bids[0]
    ask = price.asks[0]
    try:
        ts_event = rfc3339_ns(price.time)
    except ValueError as exc:
        raise QuoteError(str(exc)) from None
    bid_price, ask_price = bid.price, ask.price
    if not isinstance(bid_price, str):  # ClientPrice (the full model) carries Decimals
        bid_price = format(bid_price, "f")
    if not isinstance(ask_price, str):
        ask_price = format(ask_price, "f")
    return QuoteTick(
        instrument_id,
        price_at(bid_price, price_precision),
        price_at(ask_price, price_precision),
        quantity_of(bid.liquidity),
        quantity_of(ask.liquidity),
        ts_event,
        time.time_ns() if ts_init is None else ts_init,
    )
