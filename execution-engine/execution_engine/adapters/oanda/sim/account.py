"""The account's valuation: unrealized P/L, margin used and available, NAV and the margin
closeout percent, all in the home currency (amounts in other currencies converted at mid).

Margin per instrument is on the larger side (hedged units do not add margin twice); the
closeout margin is half the margin used, so the account is closed out when its NAV falls
to half the margin its positions use (marginCloseoutPercent >= 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from execution_engine.adapters.oanda.sim.market import Market
from execution_engine.adapters.oanda.sim.trades import Trade, TradeBook

CLOSEOUT_SHARE = Decimal("0.5")


def home_rate(currency: str, home: str, market: Market) -> Decimal:
    """Home-currency value of one unit of `currency` (at the mid)."""
    if currency == home:
        return Decimal(1)
    direct, inverse = f"{currency}_{home}", f"{home}_{currency}"
    if direct in market.quotes:
        return market.quotes[direct].mid
    if inverse in market.quotes:
        return 1 / market.quotes[inverse].mid
    return Decimal(1)  # no route: an unknown currency counts at par rather than failing


def close_price(trade: Trade, market: Market) -> Decimal:
    """Where the trade would close now: a long sells at the bid, a short buys at the ask."""
    quote = market.quotes[trade.instrument]
    return quote.bid if trade.current_units > 0 else quote.ask


def realized(
    units: Decimal, open_price: Decimal, price: Decimal, instrument: str, home: str, market: Market
) -> Decimal:
    """P/L in home currency of `units` (signed like their trade) closed at `price`."""
    quote_currency = instrument.split("_")[1]
    return (price - open_price) * units * home_rate(quote_currency, home, market)


def unrealized(trade: Trade, home: str, market: Market) -> Decimal:
    return realized(
        trade.current_units, trade.price, close_price(trade, market), trade.instrument, home, market
    )


def margin_for(instrument: str, units: Decimal, home: str, market: Market) -> Decimal:
    """Margin of `units` (absolute) of an instrument at its margin rate."""
    spec = market.specs[instrument]
    return abs(units) * home_rate(spec.base, home, market) * spec.margin_rate


def instrument_margin(book: TradeBook, instrument: str, home: str, market: Market) -> Decimal:
    long, short = book.side_units(instrument)
    return margin_for(instrument, max(long, -short), home, market)


def trade_margin(trade: Trade, home: str, market: Market) -> Decimal:
    return margin_for(trade.instrument, trade.current_units, home, market)


@dataclass(frozen=True)
class Valuation:
    """The account's state numbers at the current quotes."""

    balance: Decimal
    unrealized_pl: Decimal
    margin_used: Decimal
    position_value: Decimal

    @property
    def nav(self) -> Decimal:
        return self.balance + self.unrealized_pl

    @property
    def margin_available(self) -> Decimal:
        return max(self.nav - self.margin_used, Decimal(0))

    @property
    def closeout_margin_used(self) -> Decimal:
        return self.margin_used * CLOSEOUT_SHARE

    @property
    def closeout_percent(self) -> Decimal:
        if self.margin_used == 0:
            return Decimal(0)
        if self.nav <= 0:
            return Decimal(1)
        return self.closeout_margin_used / self.nav


def value(book: TradeBook, balance: Decimal, home: str, market: Market) -> Valuation:
    trades = book.open_trades()
    instruments = {trade.instrument for trade in trades}
    pl = sum((unrealized(trade, home, market) for trade in trades), Decimal(0))
    margin = sum((instrument_margin(book, name, home, market) for name in instruments), Decimal(0))
    position_value = sum(
        (
            abs(t.current_units) * home_rate(market.specs[t.instrument].base, home, market)
            for t in trades
        ),
        Decimal(0),
    )
    return Valuation(balance, pl, margin, position_value)
