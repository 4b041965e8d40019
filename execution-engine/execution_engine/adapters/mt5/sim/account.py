"""The account: balance, open positions, and what the trade server derives from them at the
current prices (a position's profit in the account currency, equity = balance + floating
profit + swaps, margin, free margin, margin level).

Margin uses MetaTrader's Forex formula, volume × contract size / leverage in the margin
currency (or volume × `margin_initial` when the symbol sets it), converted to the account
currency at the current mid. On a hedging account each position carries its full margin
(the simulator does not apply a reduced hedged-margin rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from execution_engine.adapters.mt5.codes import PositionType
from execution_engine.adapters.mt5.sim.config import EngineConfig, SymbolSpec
from execution_engine.adapters.mt5.sim.formats import cents, fixed, money
from execution_engine.adapters.mt5.sim.market import Market, NoQuoteError


@dataclass
class Position:
    ticket: int  # = identifier: the ticket of the order that opened it
    symbol: str
    type: PositionType
    volume: Decimal
    price_open: Decimal
    magic: int
    comment: str
    time_ms: int
    time_update_ms: int
    sl: Decimal = Decimal(0)
    tp: Decimal = Decimal(0)
    swap: Decimal = Decimal(0)  # accumulated at rollovers, in the account currency

    @property
    def is_buy(self) -> bool:
        return self.type == PositionType.BUY


def close_price(position: Position, market: Market) -> Decimal:
    """A buy closes on the bid, a sell on the ask."""
    tick = market.tick(position.symbol)
    return tick.bid if position.is_buy else tick.ask


def profit_at(
    position: Position, price: Decimal, volume: Decimal, spec: SymbolSpec, market: Market, ccy: str
) -> Decimal:
    """The profit of closing `volume` of `position` at `price`, in the account currency."""
    move = price - position.price_open if position.is_buy else position.price_open - price
    return market.convert(move * spec.contract_size * volume, spec.currency_profit, ccy)


def margin_of(spec: SymbolSpec, volume: Decimal, config: EngineConfig, market: Market) -> Decimal:
    """The margin `volume` lots of `spec` take, in the account currency."""
    if spec.margin_initial > 0:
        in_margin_ccy = volume * spec.margin_initial
    else:
        in_margin_ccy = volume * spec.contract_size / config.leverage
    return market.convert(in_margin_ccy, spec.currency_margin, config.currency)


@dataclass(frozen=True)
class Snapshot:
    balance: Decimal
    equity: Decimal
    margin: Decimal

    @property
    def free(self) -> Decimal:
        return self.equity - self.margin

    @property
    def level(self) -> Decimal:
        """Equity over margin in percent; 0 with no margin used (as MT5 reports it)."""
        return self.equity / self.margin * 100 if self.margin > 0 else Decimal(0)

    def row(self) -> dict[str, Any]:
        return {
            "balance": money(self.balance),
            "equity": money(self.equity),
            "margin": money(self.margin),
            "margin_free": money(self.free),
            "margin_level": money(self.level),
        }


class Account:
    def __init__(self, config: EngineConfig, market: Market) -> None:
        self.config = config
        self.market = market
        self.balance = config.balance
        self.positions: dict[int, Position] = {}

    def floating(self, position: Position) -> Decimal:
        """The position's profit at the current price (0 while a conversion lacks a quote)."""
        spec = self.market.specs[position.symbol]
        try:
            price = close_price(position, self.market)
            return cents(
                profit_at(position, price, position.volume, spec, self.market, self.config.currency)
            )
        except NoQuoteError:
            return Decimal(0)

    def margin(self) -> Decimal:
        total = Decimal(0)
        for position in self.positions.values():
            spec = self.market.specs[position.symbol]
            try:
                total += margin_of(spec, position.volume, self.config, self.market)
            except NoQuoteError:
                continue
        return cents(total)

    def snapshot(self) -> Snapshot:
        floating = sum(
            (self.floating(p) + p.swap for p in self.positions.values()), start=Decimal(0)
        )
        return Snapshot(self.balance, self.balance + floating, self.margin())

    def position_row(self, position: Position) -> dict[str, Any]:
        spec = self.market.specs[position.symbol]
        try:
            current = close_price(position, self.market)
        except NoQuoteError:
            current = position.price_open
        return {
            "ticket": position.ticket,
            "identifier": position.ticket,
            "symbol": position.symbol,
            "type": position.type.value,
            "volume": fixed(position.volume, spec.volume_digits),
            "price_open": fixed(position.price_open, spec.digits),
            "price_current": fixed(current, spec.digits),
            "sl": fixed(position.sl, spec.digits),
            "tp": fixed(position.tp, spec.digits),
            "swap": money(position.swap),
            "profit": money(self.floating(position)),
            "magic": position.magic,
            "comment": position.comment,
            "time_ms": position.time_ms,
            "time_update_ms": position.time_update_ms,
        }
