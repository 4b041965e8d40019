"""One ticker's bars as numpy arrays, and how a bar file's instrument becomes a Polygon ticker.

Polygon names forex tickers "C:EURUSD" (WebSocket pair "EUR/USD"), crypto "X:BTCUSD"
(pair "BTC-USD") and stocks by their symbol ("AAPL").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
CRYPTO_BASES = frozenset({"BTC", "ETH", "SOL", "LTC", "XRP", "DOGE", "ADA", "DOT", "BCH", "AVAX"})
MARKET_OF_PREFIX = {"C:": "forex", "X:": "crypto"}
REFERENCE_MARKET = {"forex": "fx", "crypto": "crypto", "stocks": "stocks"}
DEFAULT_DIGITS = {"forex": 5, "crypto": 2, "stocks": 2}


class SeriesError(ValueError):
    """Bars the simulator cannot serve (empty, unsorted, a ticker it cannot name)."""


@dataclass(frozen=True)
class Series:
    """A ticker's bars: `t` are window starts in Unix ms, sorted and unique."""

    ticker: str
    resolution_ms: int
    t: Ints
    o: Floats
    h: Floats
    low: Floats
    c: Floats
    v: Floats
    spread: Floats | None = None
    digits: int = 5
    cache: dict[tuple[int, str], Series] = field(default_factory=dict, compare=False, repr=False)

    @property
    def market(self) -> str:
        return MARKET_OF_PREFIX.get(self.ticker[:2], "stocks")

    @property
    def symbol(self) -> str:
        """The name the WebSocket feed uses: EUR/USD, BTC-USD or AAPL."""
        body = self.ticker[2:] if self.market != "stocks" else self.ticker
        if self.market == "stocks":
            return body
        base, quote = body[:-3], body[-3:]
        return f"{base}/{quote}" if self.market == "forex" else f"{base}-{quote}"

    @property
    def currencies(self) -> tuple[str, str]:
        """(base, quote) of a forex or crypto ticker."""
        body = self.ticker[2:]
        return body[:-3], body[-3:]

    def __len__(self) -> int:
        return len(self.t)


def polygon_ticker(instrument: str) -> str:
    """EURUSD -> C:EURUSD, BTCUSD -> X:BTCUSD, AAPL -> AAPL; a prefixed name stays as it is."""
    name = instrument.upper().removesuffix("-SYNTHETIC").replace("/", "").replace("-", "")
    if name[:2] in MARKET_OF_PREFIX:
        return name
    if len(name) >= 6 and name[:-3] in CRYPTO_BASES:
        return f"X:{name}"
    if len(name) == 6 and name.isalpha():
        return f"C:{name}"
    if not name or not name.replace(".", "").isalnum():
        raise SeriesError(f"instrument {instrument!r} does not name a Polygon ticker")
    return name


def series_from_bars(bars: pd.DataFrame, ticker: str, resolution_ms: int) -> Series:
    """A Series from Gauntlet's bar convention (UTC index, open/high/low/close/volume)."""
    if bars.empty:
        raise SeriesError(f"no bars for {ticker}")
    stamps = pd.DatetimeIndex(bars.index).as_unit("ms").asi8.astype(np.int64)
    if np.any(np.diff(stamps) <= 0):
        raise SeriesError(f"bars for {ticker} are not in time order without repeats")
    spread = bars["spread"].to_numpy(np.float64) if "spread" in bars else None
    market = MARKET_OF_PREFIX.get(ticker[:2], "stocks")
    return Series(
        ticker=ticker, resolution_ms=resolution_ms, t=stamps,
        o=_col(bars, "open"), h=_col(bars, "high"), low=_col(bars, "low"),
        c=_col(bars, "close"), v=_col(bars, "volume"), spread=spread,
        digits=DEFAULT_DIGITS[market],
    )  # fmt: skip


def _col(bars: pd.DataFrame, name: str) -> Floats:
    if name not in bars:
        return np.zeros(len(bars)) if name == "volume" else bars["close"].to_numpy(np.float64)
    return bars[name].to_numpy(np.float64)
