"""The simulator's prices: bid/ask quotes replayed from bars.

Each bar becomes four quotes, at its open, high, low and close (the O→H→L→C path
NautilusTrader also walks through a bar), with bid and ask half a spread either side,
quantized to the instrument's price precision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd

from marketdata import load_bars

_PATH = ("open", "high", "low", "close")


@dataclass(frozen=True)
class Quote:
    symbol: str
    bid: Decimal
    ask: Decimal
    ts: dt.datetime
    size: Decimal | None = None  # None: the simulator's configured top-of-book size


def quotes_from_bars(
    bars: pd.DataFrame, symbol: str, spread: Decimal, precision: int
) -> Iterator[Quote]:
    """Four quotes per bar; `spread` in price units (the full bid-ask width)."""
    step = Decimal(1).scaleb(-precision)
    half = spread / 2
    for stamp, row in zip(bars.index, bars[list(_PATH)].itertuples(index=False), strict=True):
        moment = pd.Timestamp(stamp).to_pydatetime()
        for price in row:
            mid = Decimal(repr(float(price)))  # the CSV's digits, not binary noise
            yield Quote(symbol, (mid - half).quantize(step), (mid + half).quantize(step), moment)


def quotes_from_bar_file(path: Path, symbol: str, spread: Decimal, precision: int) -> list[Quote]:
    """Quotes from a bars file in any format marketdata reads (DataError on bad input)."""
    return list(quotes_from_bars(load_bars(path), symbol, spread, precision))
