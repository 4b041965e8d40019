"""The executor: due targets → sized orders, in column order, at the execution prices
(ADR 0002 §5, §10, §12).

Equity is valued once at the execution prices; each order then removes what its own fill
will cost (half-spread, slippage, fees) before the next one is sized, as the contract's
sequential execution does. The account cuts an order before it is rounded to the size
step: a cash account's buy to what the cash pays for, costs reserved (size · (P_buy ·
(1 + commission) + per unit) ≤ cash, P_buy the opening ask); a margin account's to the
initial margin the equity covers (`MarginMonitor.fits`). Orders the sizer or the notional
cap refuse are reported, not sent. A stop-out liquidates every position, uncut.
Decimals throughout: prices, quantities and money never pass through a float.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.objects import Quantity

from execution_engine.host.account import HostAccount
from execution_engine.host.margin import MarginMonitor
from execution_engine.host.notional import NotionalCap
from execution_engine.host.rebalance import Due
from execution_engine.host.reporter import HostReporter
from execution_engine.host.sizing import Sizer


@dataclass(frozen=True)
class Quote:
    """The opening quote an order will fill at (next-open execution)."""

    bid: Decimal
    ask: Decimal

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2

    def fill(self, order: Decimal) -> Decimal:
        return self.ask if order > 0 else self.bid


@dataclass(frozen=True)
class PlannedOrder:
    col: int
    side: OrderSide
    quantity: Quantity
    price: Decimal  # the price it was sized at
    reason: str = "target"  # why: "target", "rebalance" (§13) or "stop_out" (§12)
    limited: bool = False  # cut by the cash or the initial margin (§12)


@dataclass(frozen=True)
class Fees:
    """What a fill costs besides its price: `rates[col]` (the instrument's taker fee, a
    fraction of notional) and `per_unit` (account currency per unit)."""

    rates: list[Decimal]
    per_unit: Decimal = Decimal(0)

    def of(self, col: int, order: Decimal, fill: Decimal) -> Decimal:
        return abs(order) * (fill * self.rates[col] + self.per_unit)


@dataclass
class _Book:
    """The account while one bar's orders are planned: equity at the execution prices, cash
    and the units each order leaves, each order's costs taken off before the next."""

    equity: Decimal
    cash: Decimal
    positions: list[Decimal]


class Executor:
    """`client_order_id(col)` names the order the current decision sends for column `col`
    (a denial is reported under that id). `margin` (a margin account) cuts orders to the
    initial margin; without it the account is a cash account (no shorts, buys reserve
    their costs, ADR 0002 §12)."""

    def __init__(
        self,
        account: HostAccount,
        sizer: Sizer,
        cap: NotionalCap,
        fees: Fees,
        reporter: HostReporter,
        client_order_id: Callable[[int], str],
        margin: MarginMonitor | None,
    ) -> None:
        self._account = account
        self._sizer = sizer
        self._cap = cap
        self._fees = fees
        self._reporter = reporter
        self._client_order_id = client_order_id
        self._margin = margin

    def plan(
        self, due: dict[int, Due], prices: list[Decimal], quotes: list[Quote] | None
    ) -> list[PlannedOrder]:
        """The orders for every due target; `quotes` (next open) or None (bar close: the
        order fills at `prices`)."""
        book = self._book(prices)
        if book is None:
            return []
        planned = []
        for col in sorted(due):
            sized = self._sized(col, due[col].target, book, prices, quotes)
            if sized is None:
                continue
            order, limited = sized
            if (denial := self._cap.denial(order, prices[col])) is not None:
                self._reporter.denied(self._client_order_id(col), col, denial)
                continue
            planned.append(self._booked(col, order, book, prices, quotes, due[col].reason, limited))
        return planned

    def liquidate(self, prices: list[Decimal], quotes: list[Quote] | None) -> list[PlannedOrder]:
        """Orders flattening every position (a stop-out): never cut, capped or denied here."""
        book = self._book(prices)
        if book is None:
            return []
        return [
            self._booked(col, -held, book, prices, quotes, "stop_out")
            for col, held in enumerate(list(book.positions))
            if held != 0
        ]

    def _book(self, prices: list[Decimal]) -> _Book | None:
        equity = self._account.equity(prices)
        if equity is None:
            self._reporter.problem("not_executed", None, "the venue has no account yet")
            return None
        positions = [self._account.held_units(col) for col in range(len(prices))]
        cash = equity - sum((q * p for q, p in zip(positions, prices, strict=True)), Decimal(0))
        return _Book(equity, cash, positions)

    def _sized(
        self,
        col: int,
        target: float,
        book: _Book,
        prices: list[Decimal],
        quotes: list[Quote] | None,
    ) -> tuple[Decimal, bool] | None:
        """The signed units to trade for `target`, after the account's cut, and whether it
        cut them; None: nothing to trade."""
        held = book.positions[col]
        cut: list[str] = []

        def limit(desired: Decimal) -> Decimal:
            allowed = self._allowed(col, desired, book, prices, quotes)
            if allowed != desired:
                cut.append(f"{desired:.6g} units cut to {allowed:.6g}")
            return allowed

        sized = self._sizer.order(col, target, book.equity, prices[col], held, limit)
        if cut and self._margin is not None:
            # Reported as ADR 0002 §12 names it. A cash account's reserve cuts every full
            # buy by design: the order's `limited` flag says so, without a warning each time.
            self._reporter.problem("margin_limited", col, cut[0])
        if sized.problem is not None:
            self._reporter.problem(sized.problem[0], col, sized.problem[1])
        return (sized.order, bool(cut)) if sized.tradable else None

    def _allowed(
        self,
        col: int,
        desired: Decimal,
        book: _Book,
        prices: list[Decimal],
        quotes: list[Quote] | None,
    ) -> Decimal:
        """`desired` units cut to what the account allows (ADR 0002 §12)."""
        if self._margin is not None:
            return self._margin.fits(col, desired, book.positions, prices, book.equity)
        held = book.positions[col]
        buy = desired - held
        if buy <= 0:
            return desired
        fill = prices[col] if quotes is None else quotes[col].ask
        per_unit = fill * (1 + self._fees.rates[col]) + self._fees.per_unit
        affordable = max(book.cash, Decimal(0)) / per_unit
        return desired if buy <= affordable else held + affordable

    def _booked(
        self,
        col: int,
        order: Decimal,
        book: _Book,
        prices: list[Decimal],
        quotes: list[Quote] | None,
        reason: str,
        limited: bool = False,
    ) -> PlannedOrder:
        """Take `order`'s fill costs off the book (the next order is sized after them)."""
        price = prices[col]
        fill = price if quotes is None else quotes[col].fill(order)
        fee = self._fees.of(col, order, fill)
        book.equity -= order * (fill - price) + fee
        book.cash -= order * fill + fee
        book.positions[col] += order
        side = OrderSide.BUY if order > 0 else OrderSide.SELL
        quantity = Quantity(abs(order), self._sizer.precision(col))
        return PlannedOrder(col, side, quantity, price, reason, limited)
