"""The executor: due targets → sized orders, in column order, at the execution prices
(ADR 0002 §5, §10).

Equity is valued once at the execution prices; each order then removes what its own fill
will cost (half-spread, slippage, fee) before the next one is sized, as the contract's
sequential execution does. Orders the sizer or the notional cap refuse are reported, not
sent. Decimals throughout: prices, quantities and money never pass through a float.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.objects import Quantity

from execution_engine.host.account import HostAccount
from execution_engine.host.notional import NotionalCap
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


class Executor:
    """`client_order_id(col)` names the order the current decision sends for column `col`
    (a denial is reported under that id); `fee_rates[col]` is the instrument's taker fee."""

    def __init__(
        self,
        account: HostAccount,
        sizer: Sizer,
        cap: NotionalCap,
        fee_rates: list[Decimal],
        reporter: HostReporter,
        client_order_id: Callable[[int], str],
    ) -> None:
        self._account = account
        self._sizer = sizer
        self._cap = cap
        self._fee_rates = fee_rates
        self._reporter = reporter
        self._client_order_id = client_order_id

    def plan(
        self, due: dict[int, float], prices: list[Decimal], quotes: list[Quote] | None
    ) -> list[PlannedOrder]:
        """The orders for every due target; `quotes` (next open) or None (bar close: the
        order fills at `prices`)."""
        equity = self._account.equity(prices)
        if equity is None:
            self._reporter.problem("not_executed", None, "the venue has no account yet")
            return []
        planned = []
        for col in sorted(due):
            price = prices[col]
            held = self._account.held_units(col)
            sized = self._sizer.order(col, due[col], equity, price, held)
            if sized.problem is not None:
                self._reporter.problem(sized.problem[0], col, sized.problem[1])
            if not sized.tradable:
                continue
            order = sized.order
            if (reason := self._cap.denial(order, price)) is not None:
                self._reporter.denied(self._client_order_id(col), col, reason)
                continue
            fill = price if quotes is None else quotes[col].fill(order)
            fee = abs(order) * fill * self._fee_rates[col]
            equity -= order * (fill - price) + fee
            side = OrderSide.BUY if order > 0 else OrderSide.SELL
            quantity = Quantity(abs(order), self._sizer.precision(col))
            planned.append(PlannedOrder(col, side, quantity, price))
        return planned
