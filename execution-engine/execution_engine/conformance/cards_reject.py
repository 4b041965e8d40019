"""Rejections: the spec's group 8 cards that apply to every adapter (TC-E72 unsupported
order type, TC-E73 unsupported time in force: refused before the venue, with a reason) and
Gauntlet's venue-side ones: an order above the venue's size limit (GC-R1), on an instrument
the venue does not list (GC-R2), and the simulator's configured reject (GC-R3). Each must
end REJECTED (or DENIED, before the venue) with the reason reaching the strategy.
"""

from __future__ import annotations

from nautilus_trader.model.enums import OrderSide, OrderStatus, TimeInForce
from nautilus_trader.model.orders import Order

from execution_engine.conformance.card import Card
from execution_engine.conformance.context import CardContext, NotApplicableError

GROUP = "8 rejection"
_FAULT_TEXT = "conformance kit: configured reject"


def refused(ctx: CardContext, order: Order, *statuses: OrderStatus) -> str:
    """Wait for the order to end in `statuses`; the reason the strategy was given."""
    ctx.expect_status(order, *statuses)
    reason = ctx.desk.rejected.get(order.client_order_id) or ctx.desk.denied.get(
        order.client_order_id, ""
    )
    ctx.require(bool(reason.strip()), f"{order.client_order_id} refused without a reason")
    return reason


def _before_venue(ctx: CardContext, order: Order) -> str:
    ctx.desk.submit(order)
    reason = refused(ctx, order, OrderStatus.DENIED, OrderStatus.REJECTED)
    faults = ctx.venue.faults
    if faults is not None:  # a simulator can say whether it reached the venue
        reached = faults.orders_received(order.client_order_id.value)
        ctx.require(reached == 0, f"refused, yet it reached the venue {reached} time(s)")
    return reason


def _e72(ctx: CardContext) -> str:
    order = ctx.desk.order_factory.market_to_limit(ctx.venue.instrument_id, OrderSide.BUY, ctx.qty)
    return f"MARKET_TO_LIMIT refused: {_before_venue(ctx, order)}"


def _e73(ctx: CardContext) -> str:
    order = ctx.desk.order_factory.market(
        ctx.venue.instrument_id, OrderSide.BUY, ctx.qty, time_in_force=TimeInForce.AT_THE_OPEN
    )
    return f"AT_THE_OPEN refused: {_before_venue(ctx, order)}"


def _r1(ctx: CardContext) -> str:
    oversize = ctx.venue.capabilities.oversize_qty
    if oversize is None:
        raise NotApplicableError(
            "the venue names no quantity it refuses (capabilities.oversize_qty)"
        )
    order = ctx.desk.limit(
        OrderSide.BUY, ctx.instrument.make_qty(oversize), ctx.away(OrderSide.BUY)
    )
    return f"{oversize} refused: {refused(ctx, order, OrderStatus.REJECTED)}"


def _r2(ctx: CardContext) -> str:
    unlisted = ctx.venue.capabilities.unlisted_instrument
    if unlisted is None:
        raise NotApplicableError("the venue names no instrument it does not list")
    order = ctx.desk.market(OrderSide.BUY, ctx.qty, instrument_id=unlisted)
    return f"{unlisted} refused: {refused(ctx, order, OrderStatus.REJECTED)}"


def _r3(ctx: CardContext) -> str:
    ctx.fault_control().reject_next_order(_FAULT_TEXT)
    order = ctx.desk.market(OrderSide.BUY, ctx.qty)
    reason = refused(ctx, order, OrderStatus.REJECTED)
    ctx.require(_FAULT_TEXT in reason, f"rejected with {reason!r}, not the venue's reason")
    return f"rejected with the venue's reason: {reason}"


CARDS = (
    Card("TC-E72", "Unsupported order type", GROUP, _e72),
    Card("TC-E73", "Unsupported TIF", GROUP, _e73),
    Card("GC-R1", "Quantity above the venue's limit - rejected", GROUP, _r1),
    Card("GC-R2", "Instrument the venue does not list - rejected", GROUP, _r2),
    Card("GC-R3", "Venue's configured reject - rejected with reason", GROUP, _r3,
         simulator_only=True),
)  # fmt: skip
