"""Group 5 of the spec, cancellation: TC-E40 (one order), TC-E41 (all of the strategy's
open orders at once, as on stop), TC-E42 (the same, one cancel request each), TC-E44 (a
canceled order canceled again: the venue's cancel reject reaches the strategy with a
reason), GC-X1 (the same for a filled order) and GC-X2 (for an order the venue never
received: refused before it was sent).
"""

from __future__ import annotations

from nautilus_trader.model.enums import OrderSide, OrderStatus
from nautilus_trader.model.orders import Order

from execution_engine.conformance.card import Card
from execution_engine.conformance.cards_limit import cancel, rest
from execution_engine.conformance.context import CardContext

GROUP = "5 cancellation"


def _e40(ctx: CardContext) -> str:
    order = rest(ctx, OrderSide.BUY)
    canceled = cancel(ctx, order)
    event = ctx.desk.canceled.get(order.client_order_id)
    ctx.require(event is not None, "CANCELED without an OrderCanceled event")
    assert event is not None  # for mypy: require raised otherwise
    ctx.require(
        event.venue_order_id == canceled.venue_order_id,
        f"OrderCanceled names venue order {event.venue_order_id}, "
        f"the order is {canceled.venue_order_id}",
    )
    return f"{order.client_order_id} canceled (venue order {event.venue_order_id})"


def _e41(ctx: CardContext) -> str:
    orders = [rest(ctx, OrderSide.BUY), rest(ctx, OrderSide.SELL)]
    ctx.desk.cancel_all_orders(ctx.venue.instrument_id)
    for order in orders:
        ctx.expect_status(order, OrderStatus.CANCELED)
    still = ctx.node.cache.orders_open(instrument_id=ctx.venue.instrument_id)
    ctx.require(not still, f"{len(still)} orders still open after cancel-all")
    return "a buy and a sell limit canceled by one cancel-all"


def _e42(ctx: CardContext) -> str:
    orders = [rest(ctx, OrderSide.BUY), rest(ctx, OrderSide.SELL)]
    ctx.desk.cancel_each(orders)
    for order in orders:
        ctx.expect_status(order, OrderStatus.CANCELED)
    return "a buy and a sell limit canceled by one cancel request each"


def _cancel_rejected(ctx: CardContext, order: Order) -> str:
    """Cancel a closed order at the venue; its OrderCancelRejected with a reason."""
    ctx.desk.cancel_at_venue(order)
    ctx.wait(
        lambda: bool(ctx.desk.cancel_rejected.get(order.client_order_id)),
        f"OrderCancelRejected for {order.client_order_id}",
        lambda: f"{order.client_order_id} is {ctx.status(order).name}, no cancel reject",
    )
    reason = ctx.desk.cancel_rejected[order.client_order_id][-1]
    ctx.require(bool(reason.strip()), "the cancel reject has no reason")
    return reason


def _e44(ctx: CardContext) -> str:
    order = cancel(ctx, rest(ctx, OrderSide.BUY))
    reason = _cancel_rejected(ctx, order)
    still = ctx.status(order)
    ctx.require(still is OrderStatus.CANCELED, f"the order became {still.name}")
    return f"second cancel rejected: {reason}"


def _x1(ctx: CardContext) -> str:
    order = ctx.desk.market(OrderSide.BUY, ctx.qty)
    filled = ctx.expect_status(order, OrderStatus.FILLED)
    reason = _cancel_rejected(ctx, filled)
    still = ctx.status(order)
    ctx.require(still is OrderStatus.FILLED, f"the order became {still.name}")
    return f"cancel of a filled order rejected: {reason}"


def _x2(ctx: CardContext) -> str:
    never_sent = ctx.desk.order_factory.market_to_limit(
        ctx.venue.instrument_id, OrderSide.BUY, ctx.qty
    )  # FIX has no such order type: refused by the adapter, unknown to the venue
    ctx.desk.submit(never_sent)
    ctx.expect_status(never_sent, OrderStatus.DENIED, OrderStatus.REJECTED)
    reason = _cancel_rejected(ctx, never_sent)
    return f"cancel of an order the venue never received rejected: {reason}"


CARDS = (
    Card("TC-E40", "Cancel single limit order", GROUP, _e40),
    Card("TC-E41", "Cancel all open orders", GROUP, _e41),
    Card("TC-E42", "Individual cancels", GROUP, _e42),
    Card("TC-E44", "Cancel already-canceled order", GROUP, _e44),
    Card("GC-X1", "Cancel a filled order", GROUP, _x1),
    Card("GC-X2", "Cancel an order unknown to the venue", GROUP, _x2),
)
