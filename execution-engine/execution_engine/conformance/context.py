"""What a card runs with: `CardContext` (the node, its desk, the venue, the card's clock) and
the two ways a card ends other than passing: `CardFailedError` and `NotApplicableError`.

Every wait is bounded by the card's deadline (the kit's --timeout), and a wait that runs out
fails the card with what was expected AND what the node holds instead, so a broker
onboarding reads the reason and knows what to ask the broker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import GenerateOrderStatusReport
from nautilus_trader.execution.reports import OrderStatusReport
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide, OrderStatus
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.model.orders import Order

from execution_engine.conformance.desk import CardDesk
from execution_engine.conformance.venue import FaultControl, MarketControl, VenueUnderTest
from execution_engine.live.node import run_until, start_node, stop_node

# How far from the touch passive orders rest and aggressive ones cross, as a fraction of the
# price: far enough that a live market does not reach a passive order during a card.
PASSIVE_OFFSET = Decimal("0.02")
AGGRESSIVE_OFFSET = Decimal("0.005")


class CardFailedError(Exception):
    """The venue did not do what the card checks; the message is the reason."""


class NotApplicableError(Exception):
    """The card cannot run on this venue (no simulator controls, no such capability)."""


def describe(order: Order | None) -> str:
    """One line of what the node knows of an order, for a failure's reason."""
    if order is None:
        return "the node has no such order"
    return (
        f"{order.client_order_id} is {order.status_string()} "
        f"(filled {order.filled_qty} of {order.quantity})"
    )


class CardContext:
    def __init__(
        self, venue: VenueUnderTest, state_dir: Path, timeout: float, node: TradingNode
    ) -> None:
        self.venue = venue
        self.state_dir = state_dir
        self.timeout = timeout
        self.node = node
        self.desk = _desk_of(node)
        self._deadline = time.monotonic() + timeout

    # --- the card's clock -------------------------------------------------------------------
    def begin(self) -> None:
        """Start a card's time budget."""
        self._deadline = time.monotonic() + self.timeout

    def left(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def wait(
        self, condition: Callable[[], bool], expected: str, why_not: Callable[[], str]
    ) -> None:
        """Run the node until `condition` holds; CardFailedError naming `expected` and what
        `why_not` says of the node's state once the card's time is up."""
        try:
            run_until(self.node, condition, timeout=self.left())
        except TimeoutError:
            raise CardFailedError(
                f"expected {expected} within {self.timeout:g} s; {why_not()}"
            ) from None

    # --- orders -----------------------------------------------------------------------------
    def cached(self, order: Order) -> Order | None:
        found: Order | None = self.node.cache.order(order.client_order_id)
        return found

    def status(self, order: Order) -> OrderStatus:
        cached = self.cached(order)
        return OrderStatus.INITIALIZED if cached is None else cached.status

    def expect_status(self, order: Order, *statuses: OrderStatus) -> Order:
        """Wait until the order is in one of `statuses`; the cached order. An order that
        closes in another status fails the card at once, with the venue's reason
        (rejection, denial) when there is one."""
        names = " or ".join(s.name for s in statuses)

        def settled() -> bool:
            cached = self.cached(order)
            return cached is not None and (cached.status in statuses or cached.is_closed)

        self.wait(settled, f"{order.client_order_id} {names}", lambda: self._why(order))
        cached = self.cached(order)
        assert cached is not None  # settled() held
        if cached.status not in statuses:
            raise CardFailedError(f"expected {names}; {self._why(order)}")
        return cached

    def _why(self, order: Order) -> str:
        line = describe(self.cached(order))
        reason = self.desk.rejected.get(order.client_order_id) or self.desk.denied.get(
            order.client_order_id
        )
        return f"{line}: {reason}" if reason else line

    def venue_report(self, order: Order) -> OrderStatusReport:
        """What the venue itself says of `order` (the client's order status query, as
        reconciliation asks it), not what the node's cache holds."""
        clients = self.node.kernel.exec_engine.get_clients_for_orders([order])
        if not clients:
            raise CardFailedError(f"no execution client for {order.instrument_id}")
        command = GenerateOrderStatusReport(
            order.instrument_id,
            order.client_order_id,
            order.venue_order_id,
            UUID4(),
            self.node.kernel.clock.timestamp_ns(),
        )
        asking = next(iter(clients)).generate_order_status_report(command)
        loop = self.node.get_event_loop()
        assert loop is not None  # every built node has one (execution_engine.live.node)
        try:
            report: OrderStatusReport | None = loop.run_until_complete(
                asyncio.wait_for(asking, timeout=max(self.left(), 0.1))
            )
        except TimeoutError:
            raise CardFailedError(f"the venue did not answer a status query for {order}") from None
        except Exception as exc:  # the adapter's report building: a finding, not a kit bug
            name = type(exc).__name__
            raise CardFailedError(
                f"the adapter's order status report failed: {name}: {exc}"
            ) from None
        if report is None:
            raise CardFailedError(
                f"no status for {order.client_order_id} from the venue (unanswered, or "
                "answered under another ClOrdID)"
            )
        return report

    def avg_px(self, order: Order) -> Decimal:
        """The order's average fill price at the instrument's precision (NautilusTrader keeps
        it as a float; rounded, a fill at the touch compares equal to the touch)."""
        rounded: Decimal = self.price(Decimal(repr(order.avg_px))).as_decimal()
        return rounded

    def require(self, holds: bool, reason: str) -> None:
        """CardFailedError(reason) unless `holds`."""
        if not holds:
            raise CardFailedError(reason)

    # --- the market -------------------------------------------------------------------------
    @property
    def instrument(self) -> Instrument:
        found: Instrument | None = self.node.cache.instrument(self.venue.instrument_id)
        if found is None:
            raise CardFailedError(f"the node has no instrument {self.venue.instrument_id}")
        return found

    @property
    def qty(self) -> Quantity:
        return self.instrument.make_qty(self.venue.capabilities.order_qty)

    def quote(self) -> QuoteTick:
        tick: QuoteTick | None = self.node.cache.quote_tick(self.venue.instrument_id)
        if tick is None:
            raise CardFailedError(f"no quote for {self.venue.instrument_id} from the venue")
        return tick

    def away(self, side: OrderSide, fraction: Decimal = PASSIVE_OFFSET) -> Price:
        """A price `fraction` away from the touch on the passive side: below the bid for a
        buy, above the ask for a sell."""
        tick = self.quote()
        if side is OrderSide.BUY:
            return self.price(tick.bid_price.as_decimal() * (1 - fraction))
        return self.price(tick.ask_price.as_decimal() * (1 + fraction))

    def through(self, side: OrderSide, fraction: Decimal = AGGRESSIVE_OFFSET) -> Price:
        """A price `fraction` through the touch: above the ask for a buy, below the bid for
        a sell (a limit there is marketable)."""
        tick = self.quote()
        if side is OrderSide.BUY:
            return self.price(tick.ask_price.as_decimal() * (1 + fraction))
        return self.price(tick.bid_price.as_decimal() * (1 - fraction))

    def price(self, value: Decimal) -> Price:
        price: Price = self.instrument.make_price(value)
        return price

    def touch_range(self, since: int) -> tuple[Decimal, Decimal]:
        """(lowest bid, highest ask) of the quotes seen since quote number `since`."""
        seen = self.desk.quotes[since:] or self.desk.quotes[-1:]
        if not seen:
            raise CardFailedError("no quote from the venue")
        return (
            min(q.bid_price.as_decimal() for q in seen),
            max(q.ask_price.as_decimal() for q in seen),
        )

    # --- simulator controls -----------------------------------------------------------------
    def market_control(self) -> MarketControl:
        market = self.venue.market
        if market is None:
            raise NotApplicableError("needs a venue whose prices the kit sets (a simulator)")
        return market

    def fault_control(self) -> FaultControl:
        faults = self.venue.faults
        if faults is None:
            raise NotApplicableError("needs a simulator's fault controls (drop, gap, duplicate)")
        return faults

    # --- the node ---------------------------------------------------------------------------
    def restart_node(self) -> None:
        """Stop the node and start a new one on the same state folder (an empty cache): what
        it knows comes from the venue's reconciliation. Later cards use the new node."""
        stop_node(self.node)
        desk = CardDesk(self.venue.instrument_id, self.venue.client_id)
        self.node = self.venue.build_node(self.state_dir, [desk])
        self.desk = desk
        start_node(self.node)
        first_quote(self)


def first_quote(ctx: CardContext) -> None:
    """Wait for the desk's first quote (the subscription's snapshot)."""
    ctx.wait(
        lambda: bool(ctx.desk.quotes),
        f"a quote for {ctx.venue.instrument_id}",
        lambda: "the venue sent none (market data subscription)",
    )


def _desk_of(node: TradingNode) -> CardDesk:
    for strategy in node.trader.strategies():
        if isinstance(strategy, CardDesk):
            return strategy
    raise RuntimeError("the node was built without the kit's CardDesk")
