"""The terminal's view of prices: the last tick per symbol, the subscriptions, one-minute
bars built from the ticks (on the bid, as MetaTrader draws them), and conversion of money
between currencies through the symbols' current prices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from execution_engine.adapters.mt5.sim.config import SymbolSpec

MINUTE_MS = 60_000
TIMEFRAME_MS = {
    "M1": MINUTE_MS,
    "M5": 5 * MINUTE_MS,
    "M15": 15 * MINUTE_MS,
    "M30": 30 * MINUTE_MS,
    "H1": 60 * MINUTE_MS,
    "H4": 240 * MINUTE_MS,
    "D1": 1440 * MINUTE_MS,
}
_MAX_BARS = 100_000  # one-minute bars kept per symbol (about ten weeks of FX)


@dataclass(frozen=True)
class Tick:
    symbol: str
    time_ms: int
    bid: Decimal
    ask: Decimal

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2


@dataclass
class Bar:
    time_ms: int  # the bar's open time
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    tick_volume: int
    spread: int  # points, at the bar's last tick

    def add(self, tick: Tick, spread: int) -> None:
        self.high = max(self.high, tick.bid)
        self.low = min(self.low, tick.bid)
        self.close = tick.bid
        self.tick_volume += 1
        self.spread = spread


class NoQuoteError(Exception):
    """A price (or a conversion rate) is needed and no tick has come for it yet."""


class Market:
    def __init__(self, specs: tuple[SymbolSpec, ...]) -> None:
        self.specs = {spec.name: spec for spec in specs}
        self.ticks: dict[str, Tick] = {}
        self.subscribed: set[str] = set()
        self.bars: dict[str, list[Bar]] = {name: [] for name in self.specs}

    def tick(self, symbol: str) -> Tick:
        tick = self.ticks.get(symbol)
        if tick is None:
            raise NoQuoteError(symbol)
        return tick

    def record(self, tick: Tick) -> list[tuple[str, Bar]]:
        """Take a tick in; the bars it closed (by timeframe) when it opened a new minute."""
        self.ticks[tick.symbol] = tick
        spec = self.specs[tick.symbol]
        spread = int((tick.ask - tick.bid) / spec.point)
        bars = self.bars[tick.symbol]
        start = tick.time_ms - tick.time_ms % MINUTE_MS
        if bars and bars[-1].time_ms >= start:
            bars[-1].add(tick, spread)
            return []
        closed = self._closed_by(bars, start)
        bars.append(Bar(start, tick.bid, tick.bid, tick.bid, tick.bid, 1, spread))
        if len(bars) > _MAX_BARS:
            del bars[0]
        return closed

    def _closed_by(self, bars: list[Bar], start: int) -> list[tuple[str, Bar]]:
        """The bar of each timeframe that a new minute at `start` ends."""
        if not bars:
            return []
        last = bars[-1].time_ms
        closed = []
        for name, length in TIMEFRAME_MS.items():
            bucket = last - last % length
            if start - start % length != bucket:
                closed.append((name, _merge(_tail(bars, bucket), bucket)))
        return closed

    def rates(self, symbol: str, timeframe_ms: int, count: int, to_ms: int | None) -> list[Bar]:
        """The last `count` bars of `timeframe_ms` opened at or before `to_ms`, oldest first."""
        bars = self.bars[symbol]
        end = len(bars)
        while end and to_ms is not None and bars[end - 1].time_ms > to_ms:
            end -= 1
        merged: list[Bar] = []
        while end and len(merged) < count:
            last = bars[end - 1].time_ms
            bucket = last - last % timeframe_ms
            first = end
            while first and bars[first - 1].time_ms >= bucket:
                first -= 1
            merged.append(_merge(bars[first:end], bucket))
            end = first
        return merged[::-1]

    def convert(self, amount: Decimal, source: str, target: str) -> Decimal:
        """`amount` of `source` currency in `target`, at the mid of a symbol joining them."""
        if source == target or amount == 0:
            return amount
        for spec in self.specs.values():
            if spec.currency_base == source and spec.currency_profit == target:
                return amount * self.tick(spec.name).mid
            if spec.currency_base == target and spec.currency_profit == source:
                return amount / self.tick(spec.name).mid
        raise NoQuoteError(f"{source}{target}")


def _tail(bars: list[Bar], since: int) -> list[Bar]:
    """The bars opened at or after `since`, found from the end of `bars`."""
    first = len(bars)
    while first and bars[first - 1].time_ms >= since:
        first -= 1
    return bars[first:]


def _merge(minutes: list[Bar], start: int) -> Bar:
    """One bar of a longer timeframe from its one-minute bars (oldest first)."""
    return Bar(
        start,
        minutes[0].open,
        max(bar.high for bar in minutes),
        min(bar.low for bar in minutes),
        minutes[-1].close,
        sum(bar.tick_volume for bar in minutes),
        minutes[-1].spread,
    )
