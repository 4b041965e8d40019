"""Our bar frames (strategies.bars convention) → NautilusTrader `Bar`s and opening quotes.

Timestamps: a frame is labelled by bar OPEN time; a NautilusTrader bar is stamped at its
CLOSE (ts_event = ts_init = open + interval), which is when its data is knowable. The
interval is the smallest spacing in the index, so close(t) <= open(t+1) even across gaps.

Opening quotes: for next-open fills we also emit, per bar, a `QuoteTick` at open(t) + 1 ns
with bid/ask around the bar's open. NautilusTrader processes bar data as O→H→L→C and
matches a market order against the book as it stands when the order arrives; with bars
only, an order sent at bar t's close fills at close[t]. The opening quote moves the book
to open[t+1] before the host executes, so a decision at t's close fills at t+1's open
(ADR 0002 §4). Costs that the contract expresses as price adjustments (spread and
slippage, §6) are carried in that quote's bid/ask, so fill prices match the contract.

Volume: by default bars carry a volume and quotes a size so large that volume never limits
a fill. With `volume_limit` (a fraction of the bar's volume) the bars carry their own
volume and every quote's size is `volume_limit` × its bar's volume, rounded down to the
size precision: the most one market order can take at that quote (the venue's L1 book
holds that size; see execution_engine.backtest.engine for how the rest is canceled).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from nautilus_trader.model.data import Bar, BarSpecification, BarType, QuoteTick
from nautilus_trader.model.enums import AggregationSource, BarAggregation, PriceType
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Price, Quantity

# Quote sizes large enough that a market order never walks past the top of the book.
_QUOTE_SIZE = 10_000_000_000
_BAR_VOLUME = 10_000_000_000
OPEN_QUOTE_OFFSET_NS = 1

_UNITS: tuple[tuple[int, BarAggregation], ...] = (
    (86_400, BarAggregation.DAY),
    (3_600, BarAggregation.HOUR),
    (60, BarAggregation.MINUTE),
    (1, BarAggregation.SECOND),
)


class BarConversionError(ValueError):
    """Bars that cannot be expressed as NautilusTrader bars (e.g. sub-second spacing)."""


@dataclass(frozen=True)
class BarFeed:
    """Everything fed to a venue for one instrument."""

    bar_type: BarType
    bars: list[Bar]
    open_quotes: list[QuoteTick]


def bar_interval_ns(index: pd.Index) -> int:
    """The smallest spacing between bars (ns); one day for a single bar."""
    if len(index) < 2:
        return 86_400 * 10**9
    step = int(np.diff(pd.DatetimeIndex(index).asi8).min())
    if step <= 0 or step % 10**9:
        raise BarConversionError(f"bar spacing of {step} ns is not a whole number of seconds")
    return step


def bar_spec(interval_ns: int) -> BarSpecification:
    seconds = interval_ns // 10**9
    for unit, aggregation in _UNITS:
        if seconds % unit == 0:
            return BarSpecification(seconds // unit, aggregation, PriceType.MID)
    raise BarConversionError(f"no bar specification for {seconds} s")  # unreachable: unit 1


def bar_type_for(instrument: Instrument, interval_ns: int) -> BarType:
    return BarType(instrument.id, bar_spec(interval_ns), AggregationSource.EXTERNAL)


def round_to_precision(bars: pd.DataFrame, precision: int) -> pd.DataFrame:
    """Prices as the venue sees them: rounded to the instrument's price precision."""
    out = bars.copy()
    for col in ("open", "high", "low", "close"):
        out[col] = out[col].round(precision)
    return out


def to_feed(
    frame: pd.DataFrame,
    instrument: Instrument,
    interval_ns: int,
    *,
    spread: float = 0.0,
    slippage: float = 0.0,
    with_open_quotes: bool = True,
    volume_limit: float | None = None,
) -> BarFeed:
    """Convert one instrument's bars; rows with a missing price are skipped (a data gap).
    `volume_limit`: the bars keep their volume and the opening quotes offer that fraction
    of it (None: unlimited)."""
    bar_type = bar_type_for(instrument, interval_ns)
    prec = instrument.price_precision
    data = frame[["open", "high", "low", "close"]].to_numpy(dtype=np.float64)
    keep = ~np.isnan(data).any(axis=1)
    opens_ns = pd.DatetimeIndex(frame.index).asi8[keep]
    o, h, low, c = (np.round(data[keep, i], prec) for i in range(4))
    # Bar prices must be self-consistent after rounding or NautilusTrader rejects them.
    h = np.maximum.reduce([h, o, c])
    low = np.minimum.reduce([low, o, c])
    volumes = bar_volumes(frame, keep, volume_limit)
    unlimited = Quantity(_BAR_VOLUME, instrument.size_precision)
    size_prec = instrument.size_precision
    bars = [
        Bar(
            bar_type,
            Price(o[i], prec),
            Price(h[i], prec),
            Price(low[i], prec),
            Price(c[i], prec),
            unlimited if volumes is None else Quantity(volumes[i], size_prec),
            int(opens_ns[i]) + interval_ns,
            int(opens_ns[i]) + interval_ns,
        )
        for i in range(len(o))
    ]
    stamps = opens_ns + OPEN_QUOTE_OFFSET_NS
    sizes = None if volumes is None or volume_limit is None else volumes * volume_limit
    quotes = cost_quotes(instrument, stamps, o, spread, slippage, sizes) if with_open_quotes else []
    return BarFeed(bar_type, bars, quotes)


def bar_volumes(
    frame: pd.DataFrame, keep: np.ndarray, volume_limit: float | None
) -> np.ndarray | None:
    """The kept rows' volumes when `volume_limit` is set (None: volume is not used)."""
    if volume_limit is None:
        return None
    if not 0.0 < volume_limit <= 1.0:
        raise BarConversionError(
            f"volume_limit must be a fraction of the bar's volume in (0, 1], got {volume_limit!r}"
        )
    volumes: np.ndarray = frame["volume"].to_numpy(dtype=np.float64)[keep]
    bad = ~np.isfinite(volumes) | (volumes < 0)
    if bad.any():
        row = int(np.argmax(bad))
        raise BarConversionError(
            f"volume_limit needs every bar's volume: {volumes[row]!r} at {frame.index[keep][row]}"
        )
    return volumes


def cost_quotes(
    instrument: Instrument,
    stamps_ns: np.ndarray,
    prices: np.ndarray,
    spread: float,
    slippage: float,
    sizes: np.ndarray | None = None,
) -> list[QuoteTick]:
    """Quotes around `prices` at `stamps_ns` whose bid and ask carry the costs (ADR 0002 §6:
    ask = p·(1+slippage) + spread/2, bid = p·(1-slippage) - spread/2, on the tick): the
    opening quotes of a backtest, the closing quotes of a paper session. `sizes`: each
    quote's bid and ask size, rounded down to the size precision (None: unlimited)."""
    prec = instrument.price_precision
    size_prec = instrument.size_precision
    unlimited = Quantity(_QUOTE_SIZE, size_prec)
    ask = np.round(prices * (1.0 + slippage) + spread / 2.0, prec)
    bid = np.round(prices * (1.0 - slippage) - spread / 2.0, prec)
    if sizes is not None:
        sizes = np.floor(sizes * 10.0**size_prec) / 10.0**size_prec  # at most, never more
    return [
        QuoteTick(
            instrument.id,
            Price(bid[i], prec),
            Price(ask[i], prec),
            unlimited if sizes is None else Quantity(sizes[i], size_prec),
            unlimited if sizes is None else Quantity(sizes[i], size_prec),
            int(stamps_ns[i]),
            int(stamps_ns[i]),
        )
        for i in range(len(prices))
    ]
