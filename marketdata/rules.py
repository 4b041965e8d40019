"""The row rules for bars and ticks, each defined once as a vectorised mask of the rows that
break it.

Every checker judges rows with these: the quality report (`marketdata.quality`), repair
(`marketdata.repair`), tick files (`marketdata.loaders`), the live tick validator
(`marketdata.ticks.validate`) and PostgreSQL ingestion (`live.marketdata.validate`). Each caller
decides only what a broken row means to it (a report entry, a repair, a rejected batch, a dropped
tick) and how to word it.

NaN compares false, so the comparison rules never flag a NaN: missing values are `non_finite`'s.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "ask_below_bid",
    "bad_price",
    "bad_volume",
    "earlier_than_latest",
    "earlier_than_previous",
    "high_below_body",
    "high_below_low",
    "implausible_price",
    "low_above_body",
    "negative",
    "non_finite",
    "non_positive",
    "not_after_previous",
]

# Finite positive prices outside this range are a scale error (a price in the wrong unit, a
# file multiplied by 1e15), not a market: no instrument trades above 1e12 or below 1e-12 in its
# quote currency, and an engine given them books nothing (cash / price rounds to no units).
PLAUSIBLE_PRICES = (1e-12, 1e12)

Mask = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Stamps = npt.NDArray[np.int64]


def non_finite(*columns: Floats) -> Mask:
    """Rows where any of `columns` is NaN or ±inf."""
    return _any([~np.isfinite(column) for column in columns])


def non_positive(*prices: Floats) -> Mask:
    """Rows where any of `prices` is zero or negative."""
    return _any([price <= 0 for price in prices])


def negative(values: Floats) -> Mask:
    return values < 0


def bad_price(*prices: Floats) -> Mask:
    """Rows where any of `prices` is not a finite price > 0."""
    return non_finite(*prices) | non_positive(*prices)


def implausible_price(*prices: Floats) -> Mask:
    """Rows where any of `prices` is finite and positive but outside PLAUSIBLE_PRICES (NaN, inf
    and non-positive prices are `non_finite`'s and `non_positive`'s)."""
    lowest, highest = PLAUSIBLE_PRICES
    return _any([np.isfinite(p) & (p > 0) & ((p < lowest) | (p > highest)) for p in prices])


def bad_volume(volume: Floats) -> Mask:
    """Rows whose volume (or tick size) is not a finite number >= 0."""
    return non_finite(volume) | negative(volume)


def high_below_low(high: Floats, low: Floats) -> Mask:
    return high < low


def high_below_body(open_: Floats, high: Floats, close: Floats) -> Mask:
    """high < max(open, close)."""
    return high < np.maximum(open_, close)


def low_above_body(open_: Floats, low: Floats, close: Floats) -> Mask:
    """low > min(open, close)."""
    return low > np.minimum(open_, close)


def ask_below_bid(bid: Floats, ask: Floats) -> Mask:
    return ask < bid


def earlier_than_previous(stamps: Stamps) -> Mask:
    """Rows whose timestamp is before the previous row's (time goes backwards)."""
    bad = np.zeros(len(stamps), dtype=bool)
    bad[1:] = stamps[1:] < stamps[:-1]
    return bad


def not_after_previous(stamps: Stamps) -> Mask:
    """Rows whose timestamp is not after the previous row's (backwards or repeated)."""
    bad = np.zeros(len(stamps), dtype=bool)
    bad[1:] = stamps[1:] <= stamps[:-1]
    return bad


def earlier_than_latest(stamps: Stamps, latest: int) -> Mask:
    """Rows earlier than the latest timestamp seen before them, `latest` included (a stream
    that already reached `latest`): a late row does not move the clock back for the next."""
    running_max = np.maximum.accumulate(np.concatenate(([latest], stamps)))[:-1]
    return stamps < running_max


def _any(masks: list[Mask]) -> Mask:
    """Row-wise OR of one or more masks."""
    found = masks[0].copy()
    for mask in masks[1:]:
        found |= mask
    return found
