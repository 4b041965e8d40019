"""Group 4 of the spec, modification: TC-E30/E31 (limit price), TC-E32/E33 (cancel-replace),
TC-E34/E35 (stop trigger), and GC-M1 (quantity), each checked with the venue's own status
report after the node has seen OrderUpdated (or the new order accepted).
"""

from __future__ import annotations

from nautilus_trader.model.enums import OrderSide, OrderStatus, OrderType
from nautilus_trader.model.objects import Price
from nautilus_trader.model.orders import Order

from execution_engine.conformance.card import Card
from execution_engine.conformance.cards_limit import cancel, rest
from execution_engine.conformance.cards_stop import rest_stop
from execution_engine.conformance.context import PASSIVE_OFFSET, CardContext

GROUP = "4 modification"


def _updated(ctx: CardContext, order: Order, what: str, now: object) -> Order:
    """Wait for the node's OrderUpdated showing `now` as `what`; the cached order."""

    def shows() -> bool:
        cached = ctx.cached(order)
        updated = ctx.desk.updated.get(order.client_order_id)
        return bool(updated) and cached is not None and getattr(cached, what) == now

    def why_not() -> str:
        refused = ctx.desk.modify_rejected.get(order.client_order_id)
        cached = ctx.cached(order)
        held = None if cached is None else getattr(cached, what)
        return f"modify rejected: {refused[-1]}" if refused else f"{what} is still {held}"

    ctx.wait(shows, f"OrderUpdated with {what} {now}", why_not)
    cached = ctx.cached(order)
    assert cached is not None  # shows() held
    return cached


def _modify_price(ctx: CardContext, side: OrderSide) -> str:
    order = rest(ctx, side)
    new = ctx.away(side, PASSIVE_OFFSET * 2)
    ctx.desk.modify_order(order, price=new)
    updated = _updated(ctx, order, "price", new)
    venue = ctx.venue_report(updated)
    ctx.require(venue.price == new, f"the venue holds price {venue.price}, modified to {new}")
    cancel(ctx, updated)
    return f"{side.name} limit moved {order.price} -> {new} at the venue"


def _e30(ctx: CardContext) -> str:
    return _modify_price(ctx, OrderSide.BUY)


def _e31(ctx: CardContext) -> str:
    return _modify_price(ctx, OrderSide.SELL)


def _m1(ctx: CardContext) -> str:
    order = rest(ctx, OrderSide.BUY)
    new = ctx.instrument.make_qty(ctx.qty.as_decimal() * 2)
    ctx.desk.modify_order(order, quantity=new)
    updated = _updated(ctx, order, "quantity", new)
    venue = ctx.venue_report(updated)
    ctx.require(venue.quantity == new, f"the venue holds {venue.quantity}, modified to {new}")
    cancel(ctx, updated)
    return f"limit quantity changed {ctx.qty} -> {new} at the venue"


def _modify_trigger(ctx: CardContext) -> str:
    order = rest_stop(ctx, OrderSide.BUY, with_limit=False)
    new = ctx.away(OrderSide.SELL, PASSIVE_OFFSET * 2)
    ctx.desk.modify_order(order, trigger_price=new)
    updated = _updated(ctx, order, "trigger_price", new)
    venue = ctx.venue_report(updated)
    held = venue.trigger_price
    ctx.require(held == new, f"the venue holds trigger {held}, modified to {new}")
    cancel(ctx, updated)
    return f"stop trigger moved {order.trigger_price} -> {new} at the venue"


def _cancel_replace(ctx: CardContext, original: Order, replacement: Price) -> str:
    """Cancel `original`, send the same order at `replacement`; both checked."""
    cancel(ctx, original)
    is_stop = original.order_type is OrderType.STOP_MARKET
    if not is_stop:
        order = ctx.desk.limit(original.side, ctx.qty, replacement)
    else:
        order = ctx.desk.stop_order(original.side, ctx.qty, replacement)
    accepted = ctx.expect_status(order, OrderStatus.ACCEPTED)
    ctx.require(
        accepted.client_order_id != original.client_order_id, "the replacement reused the id"
    )
    venue = ctx.venue_report(accepted)
    held = venue.trigger_price if is_stop else venue.price
    ctx.require(held == replacement, f"the venue holds {held}, the replacement is {replacement}")
    cancel(ctx, accepted)
    return f"{original.client_order_id} canceled, {accepted.client_order_id} at {replacement}"


def _e32(ctx: CardContext) -> str:
    return _cancel_replace(
        ctx, rest(ctx, OrderSide.BUY), ctx.away(OrderSide.BUY, PASSIVE_OFFSET * 2)
    )


def _e33(ctx: CardContext) -> str:
    return _cancel_replace(
        ctx, rest(ctx, OrderSide.SELL), ctx.away(OrderSide.SELL, PASSIVE_OFFSET * 2)
    )


def _e35(ctx: CardContext) -> str:
    stop = rest_stop(ctx, OrderSide.BUY, with_limit=False)
    return _cancel_replace(ctx, stop, ctx.away(OrderSide.SELL, PASSIVE_OFFSET * 2))


CARDS = (
    Card("TC-E30", "Modify limit BUY price", GROUP, _e30),
    Card("TC-E31", "Modify limit SELL price", GROUP, _e31),
    Card("GC-M1", "Modify limit quantity", GROUP, _m1),
    Card("TC-E32", "Cancel-replace limit BUY", GROUP, _e32),
    Card("TC-E33", "Cancel-replace limit SELL", GROUP, _e33),
    Card("TC-E34", "Modify stop trigger price", GROUP, _modify_trigger),
    Card("TC-E35", "Cancel-replace stop order", GROUP, _e35),
)
