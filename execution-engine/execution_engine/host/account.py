"""What the host owns at the venue: account value at given prices, and the units each
instrument holds or has on the way. Decimals throughout (Money, Price, Quantity values).

`Holdings` is one read of the venue's account and positions: a bar close marks the previous
bar and checks the margin at its own closes from the same read (nothing fills between the
two), and a flat column's positions are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId, StrategyId
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.orders import Order


@dataclass(frozen=True)
class Holdings:
    """The account as the venue has it at one moment: `balance` (None before the venue
    has opened the account), net units per column, and this strategy's open positions as
    (column, signed units, average open price)."""

    balance: Decimal | None
    net: list[Decimal]
    open: list[tuple[int, Decimal, Decimal]]
    # The net units as the marks record them, converted once per read, not once per bar.
    net_floats: list[float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "net_floats", [float(units) for units in self.net])

    def equity(self, prices: list[Decimal]) -> Decimal | None:
        """Balance plus unrealized P&L at `prices` (ADR 0002 §9); None without an account."""
        if self.balance is None:
            return None
        value = self.balance
        for col, units, avg_px in self.open:
            value += units * (prices[col] - avg_px)
        return value


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
        self._venue = ids[0].venue  # a new Venue object at each `.venue` read
        self._currency = currency  # the account's, when it has no base currency
        self._working: list[list[Order]] = [[] for _ in ids]  # orders not yet closed
        # The last read and what it was read at: the account's newest event, this host's
        # fill count and the net units. A balance change (fill, commission, financing) is a
        # new account event, this strategy's positions change only by its own fills, and the
        # net units (every strategy's) are compared as they are: an unchanged key is an
        # unchanged read, whatever order the venue's events arrive in.
        self._read: Holdings | None = None
        self._read_event: object = None
        self._read_fills = -1
        self._fills = 0

    def filled(self) -> None:
        """One of this host's orders filled: its positions changed (the next read is fresh)."""
        self._fills += 1

    def holdings(self) -> Holdings:
        """The account as it stands; the previous read while nothing changed since."""
        net = self.net_units()
        account = self._portfolio.account(self._venue)
        if account is None:
            return Holdings(None, net, [])
        event, read = account.last_event, self._read
        if (
            read is None
            or event is not self._read_event
            or self._fills != self._read_fills
            or net != read.net
        ):
            read = self._read = self._fresh(account, net)
            self._read_event, self._read_fills = event, self._fills
        return read

    def _fresh(self, account: Any, net: list[Decimal]) -> Holdings:
        balance = account.balance_total(account.base_currency or self._currency)
        opened = []
        for col, iid in enumerate(self._ids):
            # Counting is a fifth of the cost of listing: a flat column is not listed.
            if not self._cache.positions_open_count(
                instrument_id=iid, strategy_id=self._strategy_id
            ):
                continue
            for position in self._cache.positions_open(
                instrument_id=iid, strategy_id=self._strategy_id
            ):
                units = position.quantity.as_decimal()
                # avg_px_open is a float in NautilusTrader; its repr is the price it stands for.
                avg_px = Decimal(repr(position.avg_px_open))
                opened.append((col, -units if position.is_short else units, avg_px))
        return Holdings(Decimal(0) if balance is None else balance.as_decimal(), net, opened)

    def equity(self, prices: list[Decimal]) -> Decimal | None:
        """Balance plus unrealized P&L at `prices` (ADR 0002 §9); None before the venue
        has opened the account."""
        return self.holdings().equity(prices)

    def net_units(self) -> list[Decimal]:
        """Net units per instrument, filled only (the margin check and the weights)."""
        # Portfolio.net_position is a Decimal already (NautilusTrader's documented return).
        net_position = self._portfolio.net_position
        return [net_position(iid) for iid in self._ids]

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
