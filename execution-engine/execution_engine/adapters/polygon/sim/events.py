"""The feeds' events, built from one bar of a series, with Polygon's field names per channel.

Quotes sit half the bar's spread either side of its close (the data's `spread` column, or
one unit of the last price digit); trades print at the close; aggregates are the bar itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from execution_engine.adapters.polygon.sim.series import Series

Event = dict[str, object]


@dataclass(frozen=True)
class Bar:
    """Bar `step` of a series, moved forward by whole replays so time never goes back."""

    series: Series
    step: int

    @property
    def index(self) -> int:
        return self.step % len(self.series)

    @property
    def start(self) -> int:
        s = self.series
        lap = int(s.t[-1] - s.t[0]) + s.resolution_ms
        return int(s.t[self.index]) + (self.step // len(s)) * lap

    @property
    def end(self) -> int:
        return self.start + self.series.resolution_ms

    def price(self, column: str) -> float:
        values = {"o": self.series.o, "h": self.series.h, "l": self.series.low, "c": self.series.c}
        return round(float(values[column][self.index]), self.series.digits)

    @property
    def volume(self) -> float:
        return float(self.series.v[self.index])

    def bid_ask(self) -> tuple[float, float]:
        s = self.series
        spread = float(s.spread[self.index]) if s.spread is not None else 10.0 ** (1 - s.digits)
        close, digits = float(s.c[self.index]), s.digits + 1
        return round(close - spread / 2, digits), round(close + spread / 2, digits)


def _ohlcv(bar: Bar) -> Event:
    return {"o": bar.price("o"), "h": bar.price("h"), "l": bar.price("l"), "c": bar.price("c"),
            "v": bar.volume}  # fmt: skip


def stock_trade(bar: Bar) -> Event:
    return {"ev": "T", "sym": bar.series.symbol, "x": 4, "i": str(bar.step), "z": 3,
            "p": bar.price("c"), "s": max(1, int(bar.volume)), "c": [0], "t": bar.end - 1,
            "q": bar.step}  # fmt: skip


def stock_quote(bar: Bar) -> Event:
    bid, ask = bar.bid_ask()
    return {"ev": "Q", "sym": bar.series.symbol, "bx": 4, "bp": bid, "bs": 1, "ax": 7, "ap": ask,
            "as": 1, "c": 0, "t": bar.end - 1, "q": bar.step, "z": 3}  # fmt: skip


def stock_agg(channel: str) -> Callable[[Bar], Event]:
    def build(bar: Bar) -> Event:
        return {"ev": channel, "sym": bar.series.symbol, **_ohlcv(bar), "av": bar.volume,
                "op": bar.price("o"), "vw": bar.price("c"), "a": bar.price("c"), "z": 1,
                "s": bar.start, "e": bar.end}  # fmt: skip

    return build


def forex_quote(bar: Bar) -> Event:
    bid, ask = bar.bid_ask()
    return {"ev": "C", "p": bar.series.symbol, "x": 48, "a": ask, "b": bid, "t": bar.end - 1}


def forex_agg(bar: Bar) -> Event:
    return {"ev": "CA", "pair": bar.series.symbol, **_ohlcv(bar), "s": bar.start, "e": bar.end}


def crypto_trade(bar: Bar) -> Event:
    return {"ev": "XT", "pair": bar.series.symbol, "p": bar.price("c"), "t": bar.end - 1,
            "s": bar.volume, "c": [1], "i": str(bar.step), "x": 1, "r": bar.end}  # fmt: skip


def crypto_quote(bar: Bar) -> Event:
    bid, ask = bar.bid_ask()
    return {"ev": "XQ", "pair": bar.series.symbol, "bp": bid, "bs": 1.0, "ap": ask, "as": 1.0,
            "t": bar.end - 1, "x": 1, "r": bar.end}  # fmt: skip


def crypto_agg(bar: Bar) -> Event:
    return {"ev": "XA", "pair": bar.series.symbol, **_ohlcv(bar), "vw": bar.price("c"), "z": 1,
            "s": bar.start, "e": bar.end}  # fmt: skip


BUILDERS: dict[str, dict[str, Callable[[Bar], Event]]] = {
    "stocks": {"T": stock_trade, "Q": stock_quote, "A": stock_agg("A"), "AM": stock_agg("AM")},
    "forex": {"C": forex_quote, "CA": forex_agg},
    "crypto": {"XT": crypto_trade, "XQ": crypto_quote, "XA": crypto_agg},
}
"""market -> channel -> the event one bar makes on it."""
