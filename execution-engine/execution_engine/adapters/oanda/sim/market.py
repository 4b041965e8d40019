"""The simulator's market: bid/ask quotes replayed from bars, one series per instrument.

Each bar gives four mids (open, high, low, close: the O->H->L->C path), scaled per
instrument (config.InstrumentSpec.scale) and quantized to its display precision, with the
bid and ask half the instrument's spread either side. The replay walks the series in a
loop; `set_quote` (the simulator's push_quote) overrides the current quote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from execution_engine.adapters.oanda.sim.config import InstrumentSpec
from execution_engine.adapters.oanda.sim.wire import dec, now_ns, rfc3339
from marketdata import load_bars

_PATH = ("open", "high", "low", "close")
LIQUIDITY = 10_000_000


@dataclass(frozen=True)
class Bar:
    """One bar of the replayed file: UNIX nanoseconds and the EUR/USD-scale mids."""

    ts: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


@dataclass(frozen=True)
class Quote:
    bid: Decimal
    ask: Decimal
    ts: int

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2


def read_bars(path: Path, limit: int | None = None) -> list[Bar]:
    """The bars of a file marketdata reads (marketdata.DataError on bad input)."""
    frame = load_bars(path)
    if limit is not None:
        frame = frame.iloc[:limit]
    return bars_from_frame(frame)


def bars_from_frame(frame: pd.DataFrame) -> list[Bar]:
    stamps: Sequence[int] = (
        frame.index.asi8.tolist()
        if isinstance(frame.index, pd.DatetimeIndex)
        else list(range(len(frame)))
    )
    volumes: Sequence[Any] = (
        frame["volume"].tolist() if "volume" in frame.columns else [0] * len(frame)
    )
    bars = []
    for stamp, row, volume in zip(
        stamps, frame[list(_PATH)].itertuples(index=False), volumes, strict=True
    ):
        o, h, low, c = (Decimal(repr(float(price))) for price in row)
        bars.append(Bar(int(stamp), o, h, low, c, int(float(volume or 0))))
    return bars


def quote_series(bars: Sequence[Bar], spec: InstrumentSpec) -> list[tuple[Decimal, Decimal]]:
    """(bid, ask) pairs, four per bar, at the instrument's precision."""
    half = spec.spread / 2
    tick = spec.tick
    series = []
    for bar in bars:
        for mid in (bar.open, bar.high, bar.low, bar.close):
            scaled = mid * spec.scale
            series.append(((scaled - half).quantize(tick), (scaled + half).quantize(tick)))
    return series


def price_fields(spec: InstrumentSpec, bid: Decimal, ask: Decimal, tradeable: bool) -> str:
    """The ClientPrice JSON after its `time` value, starting `","bids"...` up to the `}`."""
    b, a = dec(bid), dec(ask)
    status = "tradeable" if tradeable else "non-tradeable"
    return (
        f'","bids":[{{"price":"{b}","liquidity":{LIQUIDITY}}}],'
        f'"asks":[{{"price":"{a}","liquidity":{LIQUIDITY}}}],'
        f'"closeoutBid":"{b}","closeoutAsk":"{a}","status":"{status}",'
        f'"tradeable":{"true" if tradeable else "false"},"instrument":"{spec.name}"}}'
    )


def price_line(spec: InstrumentSpec, quote: Quote, tradeable: bool) -> bytes:
    """One pricing-stream line (with its newline), stamped with the quote's time."""
    fields = price_fields(spec, quote.bid, quote.ask, tradeable)
    return f'{{"type":"PRICE","time":"{rfc3339(quote.ts)}{fields}\n'.encode()


class Market:
    """Current quotes of every instrument, the replay position, and halted instruments."""

    def __init__(self, specs: Mapping[str, InstrumentSpec], bars: Sequence[Bar]) -> None:
        self.specs = dict(specs)
        self.bars = list(bars)
        self.series = {name: quote_series(self.bars, spec) for name, spec in self.specs.items()}
        self.halted: set[str] = set()
        self.position = 0
        stamp = now_ns()
        self.quotes: dict[str, Quote] = {}
        for name, series in self.series.items():
            bid, ask = series[0] if series else (Decimal(1), Decimal(1) + self.specs[name].spread)
            self.quotes[name] = Quote(bid, ask, stamp)
        self._fast_lines: dict[str, list[bytes]] = {}

    def advance(self) -> list[str]:
        """Move every instrument to its next replayed quote; the instruments that changed."""
        length = len(self.bars) * 4
        if length == 0:
            return []
        self.position = (self.position + 1) % length
        stamp = now_ns()
        for name, series in self.series.items():
            bid, ask = series[self.position]
            self.quotes[name] = Quote(bid, ask, stamp)
        return list(self.series)

    def set_quote(self, instrument: str, bid: Decimal, ask: Decimal) -> None:
        self.quotes[instrument] = Quote(bid, ask, now_ns())

    def tradeable(self, instrument: str) -> bool:
        return instrument not in self.halted

    def price(self, instrument: str) -> dict[str, Any]:
        """The ClientPrice of the pricing snapshot."""
        quote = self.quotes[instrument]
        b, a = dec(quote.bid), dec(quote.ask)
        bucket = {"liquidity": LIQUIDITY}
        return {
            "type": "PRICE", "instrument": instrument, "time": rfc3339(quote.ts),
            "tradeable": self.tradeable(instrument), "status":
            "tradeable" if self.tradeable(instrument) else "non-tradeable",
            "bids": [{"price": b, **bucket}], "asks": [{"price": a, **bucket}],
            "closeoutBid": b, "closeoutAsk": a,
        }  # fmt: skip

    def line(self, instrument: str) -> bytes:
        return price_line(
            self.specs[instrument], self.quotes[instrument], self.tradeable(instrument)
        )

    def fast_lines(self, instrument: str) -> list[bytes]:
        """The replayed series as pricing-stream line tails (after `time`), built once."""
        lines = self._fast_lines.get(instrument)
        if lines is None:
            spec = self.specs[instrument]
            lines = [
                (price_fields(spec, bid, ask, True) + "\n").encode()
                for bid, ask in self.series[instrument]
            ]
            self._fast_lines[instrument] = lines
        return lines
