"""OANDA candles ↔ NautilusTrader bars: which bar types OANDA has (`granularity_of`), and
a candle as a Bar (`candle_bar`).

OANDA's granularities S5..D are fixed-length bars of mid, bid or ask prices (`price` M, B,
A); its weekly and monthly candles start on configurable days and are not offered. A
candle is stamped with its open; NautilusTrader stamps a bar with its close, so
`ts_event` is the open plus the bar's length. Only `complete` candles become bars.
"""

from __future__ import annotations

from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import BarAggregation, PriceType
from nautilus_trader.model.instruments import Instrument

from execution_engine.adapters.oanda.v20.models import Candlestick
from execution_engine.adapters.oanda.v20.times import rfc3339_ns

_NS = 1_000_000_000
_UNIT_SECONDS = {
    BarAggregation.SECOND: 1,
    BarAggregation.MINUTE: 60,
    BarAggregation.HOUR: 3_600,
    BarAggregation.DAY: 86_400,
}
_GRANULARITIES: dict[tuple[int, BarAggregation], str] = {
    **{(n, BarAggregation.SECOND): f"S{n}" for n in (5, 10, 15, 30)},
    **{(n, BarAggregation.MINUTE): f"M{n}" for n in (1, 2, 4, 5, 10, 15, 30)},
    **{(n, BarAggregation.HOUR): f"H{n}" for n in (1, 2, 3, 4, 6, 8, 12)},
    (1, BarAggregation.DAY): "D",
}
_PRICE = {PriceType.MID: "M", PriceType.BID: "B", PriceType.ASK: "A"}


class BarTypeError(ValueError):
    """A bar type OANDA has no candles for; one line naming it."""


def granularity_of(bar_type: BarType) -> tuple[str, str]:
    """(granularity, price component) of an external bar type; BarTypeError otherwise."""
    spec = bar_type.spec
    granularity = _GRANULARITIES.get((spec.step, spec.aggregation))
    price = _PRICE.get(spec.price_type)
    if granularity is None or price is None:
        raise BarTypeError(
            f"OANDA has no candles for {bar_type}: granularities S5..S30, M1..M30, H1..H12, "
            "D of MID, BID or ASK prices"
        )
    return granularity, price


def bar_seconds(bar_type: BarType) -> int:
    spec = bar_type.spec
    step: int = spec.step
    return step * _UNIT_SECONDS[spec.aggregation]


def candle_bar(
    candle: Candlestick, bar_type: BarType, instrument: Instrument, ts_init: int
) -> Bar | None:
    """The complete candle as a Bar of `bar_type`; None while it is still forming."""
    prices = {
        PriceType.MID: candle.mid, PriceType.BID: candle.bid, PriceType.ASK: candle.ask
    }.get(bar_type.spec.price_type)  # fmt: skip
    if not candle.complete or prices is None:
        return None
    return Bar(
        bar_type=bar_type,
        open=instrument.make_price(prices.o),
        high=instrument.make_price(prices.h),
        low=instrument.make_price(prices.l),
        close=instrument.make_price(prices.c),
        volume=instrument.make_qty(candle.volume),
        ts_event=rfc3339_ns(candle.time) + bar_seconds(bar_type) * _NS,
        ts_init=ts_init,
    )
