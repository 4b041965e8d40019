"""What the host owns at the venue: account value at given prices, and the units each
instrument holds or has on the way. Decimals throughout (Money, Price, Quantity values).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId, StrategyId
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.orders import Order


class HostAccount:
    """Reads the strategy's portfolio and cache (available once the strategy is registered)."""

    def __init__(
        self,
        portfolio: Any,
        cache: Any,
        strategy_id: StrategyId,
        ids: list[InstrumentId],
        currency: Currency,
    ) -> None:
        self._portfolio = portfolio
        self._cache = cache
        self._strategy_id = strategy_id
        self._ids = ids
        self._currency = currency  # the account's, when it has no base currency
        self._working: list[list[Order]] = [[] for _ in ids]  # orders not yet closed

    def equity(self, prices: list[Decimal]) -> Decimal | None:
        """Balance plus unrealized P&L at `prices` (ADR 0002 §9); None before the venue
        has opened the account."""
        account = self._portfolio.account(self._ids[0].venue)
        if account is None:
            return None
        balance = account.balance_total(account.base_currency or self._currency)
        value = Decimal(0) if balance is None else balance.as_decimal()
        for col, iid in enumerate(self._ids):
            positions = self._cache.positions_open(instrument_id=iid, strategy_id=self._strategy_id)
            for position in positions:
                units = position.quantity.as_decimal()
                signed = -units if position.is_short else units
                # avg_px_open is a float in NautilusTrader; its repr is the price it stands for.
                value += signed * (prices[col] - Decimal(repr(position.avg_px_open)))
        return value

    def positions(self) -> list[float]:
        """Net units per instrument (for the records)."""
        return [float(self._portfolio.net_position(iid)) for iid in self._ids]

    def net_units(self) -> list[Decimal]:
        """Net units per instrument, filled only (the margin check and the weights)."""
        return [Decimal(self._portfolio.net_position(iid)) for iid in self._ids]

    def track(self, col: int, order: Order) -> None:
        """Count `order` as on the way until it is closed (filled, canceled, rejected, ...)."""
        self._working[col].append(order)

    def held_units(self, col: int) -> Decimal:
        """Net position plus what this host's unfinished orders will still add.

        Counts every order not yet closed: waiting for the risk engine, in flight, accepted,
        partially filled (a fast feed can deliver the next bar before the last fill). The
        host tracks its own working orders: scanning the cache's order history instead
        costs O(orders so far) per decision.
        """
        held = Decimal(self._portfolio.net_position(self._ids[col]))
        working = [o for o in self._working[col] if not o.is_closed]
        self._working[col] = working
        for order in working:
            leaves = order.leaves_qty.as_decimal()
            held += leaves if order.side == OrderSide.BUY else -leaves
        return held
