"""What the simulated venue can book, checked before an engine or a node starts.

NautilusTrader keeps money and quantities as bounded fixed-point numbers, and money to the
currency's minor unit (0.01 USD, 1 JPY). A starting balance beyond MONEY_MAX, an order size
beyond QUANTITY_MAX or a spread that quotes a bid at or below zero otherwise fails deep inside
the engine, mid-run, as a bare ValueError; a balance below one minor unit silently becomes 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
from nautilus_trader.model.objects import MONEY_MAX, QUANTITY_MAX, Currency


class VenueLimitError(ValueError):
    """A setting the venue cannot represent (bad input)."""


def check_cash(cash: float, currency: Currency) -> None:
    minor = 10.0**-currency.precision
    if not (math.isfinite(cash) and minor <= cash <= MONEY_MAX):
        raise VenueLimitError(
            f"cash {cash:g} {currency.code}: the venue books a starting balance from "
            f"{minor:g} to {MONEY_MAX:,.0f} {currency.code}"
        )


def check_units(units: float) -> None:
    """UNITS sizing orders up to `units` at |target| = 1."""
    if not (math.isfinite(units) and units <= QUANTITY_MAX):
        raise VenueLimitError(
            f"units {units:g}: the venue takes orders of at most {QUANTITY_MAX:,.0f} units"
        )


def check_spread(spread: float, frames: Iterable[pd.DataFrame]) -> None:
    """Half the spread is taken off the price for the bid: it must stay above zero."""
    lowest = min(float(frame["low"].min()) for frame in frames)
    if spread / 2 >= lowest:
        raise VenueLimitError(
            f"spread {spread:g}: half of it is at least the lowest price in the data "
            f"({lowest:g}), so the venue would quote a bid at or below zero"
        )
