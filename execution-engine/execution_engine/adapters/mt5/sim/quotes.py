"""The simulated broker's price feed: bid/ask quotes replayed from bars.

Each bar gives four quotes, at its open, high, low and close (the O→H→L→C path), the bar's
price taken as the bid (MetaTrader draws bars on the bid) and the ask `spread_points` above.
The replay pushes them into the engine every `interval` seconds, stamped with the wall
clock: the bars give prices, the terminal's own time gives their moment, as a live feed's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd

from execution_engine.adapters.mt5.sim.config import SymbolSpec
from marketdata import load_bars

_PATH = ("open", "high", "low", "close")


@dataclass(frozen=True)
class Quote:
    bid: Decimal
    ask: Decimal


def quotes_from_bars(bars: pd.DataFrame, spec: SymbolSpec, spread_points: int) -> list[Quote]:
    spread = spread_points * spec.point
    quotes = []
    for row in bars[list(_PATH)].itertuples(index=False):
        for price in row:
            bid = Decimal(repr(float(price))).quantize(spec.point)  # the file's digits
            quotes.append(Quote(bid, bid + spread))
    return quotes


def quotes_from_bar_file(path: Path, spec: SymbolSpec, spread_points: int) -> list[Quote]:
    """Quotes from a bars file in any format marketdata reads (DataError on bad input)."""
    return quotes_from_bars(load_bars(path), spec, spread_points)


class QuoteReplay:
    """A thread that hands `quotes` to `push` one every `interval` seconds, once through."""

    def __init__(
        self, quotes: Sequence[Quote], interval: float, push: Callable[[Quote], None]
    ) -> None:
        self._quotes = list(quotes)
        self._interval = interval
        self._push = push
        self._stop = threading.Event()
        self.finished = threading.Event()
        self.pushed = 0
        self._thread = threading.Thread(target=self._run, name="mt-sim-quotes", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            for quote in self._quotes:
                if self._stop.wait(self._interval):
                    return
                self._push(quote)
                self.pushed += 1
        finally:
            self.finished.set()
