"""Group 2 of the spec, limit orders and their time in force: TC-E10..E19.

A passive limit (2 % away from the touch) must be accepted and rest with the venue's order
id, price, side and TIF; a marketable one fills; IOC/FOK that cannot fill end CANCELED (an
EXPIRED FOK is accepted: venues differ, the spec asks for the documented terminal event);
GTD orders carry their expiry and end EXPIRED when it passes.
"""

from __future__ import annotations

import pandas as pd
from nautilus_trader.model.enums import OrderSide, OrderStatus, TimeInForce
from nautilus_trader.model.orders import Order

from execution_engine.conformance.card import Card
from execution_engine.conformance.context import CardContext

GROUP = "2 limit orders"
_GTD_ACCEPT_MINUTES = 60  # TC-E17's expiry: far enough never to pass during the kit


def rest(
    ctx: CardContext,
    side: OrderSide,
    tif: TimeInForce = TimeInForce.GTC,
    expire_time: pd.Timestamp | None = None,
) -> Order:
    """A passive limit order, checked accepted and, by the venue's own status report,
    resting as sent (price, quantity, side, TIF, expiry); the cached order."""
    price = ctx.away(side)
    order = ctx.desk.limit(side, ctx.qty, price, tif, expire_time)
    accepted = ctx.expect_status(order, OrderStatus.ACCEPTED)
    ctx.require(accepted.venue_order_id is not None, "accepted without a venue order id")
    venue = ctx.venue_report(accepted)
    held = (venue.order_status, venue.price, venue.quantity, venue.order_side, venue.time_in_force)
    sent = (OrderStatus.ACCEPTED, price, ctx.qty, side, tif)
    ctx.require(held == sent, f"the venue holds {_terms(held)}, sent {_terms(sent)}")
    if expire_time is not None:
        kept = None if venue.expire_time is None else pd.Timestamp(venue.expire_time)
        ctx.require(kept == expire_time, f"the venue holds expiry {kept}, sent {expire_time}")
    return accepted


def _terms(terms: tuple[object, ...]) -> str:
    return " ".join(getattr(term, "name", str(term)) for term in terms)


def cancel(ctx: CardContext, order: Order) -> Order:
    """Cancel an open order and wait for CANCELED; the cached order."""
    ctx.desk.cancel_order(order)
    return ctx.expect_status(order, OrderStatus.CANCELED)


def _accept_then_cancel(ctx: CardContext, side: OrderSide, tif: TimeInForce) -> str:
    order = rest(ctx, side, tif)
    seen = f"{side.name} {tif.name} limit {order.price} accepted as {order.venue_order_id}"
    cancel(ctx, order)
    return f"{seen}, then canceled"


def _e10(ctx: CardContext) -> str:
    return _accept_then_cancel(ctx, OrderSide.BUY, TimeInForce.GTC)


def _e11(ctx: CardContext) -> str:
    return _accept_then_cancel(ctx, OrderSide.SELL, TimeInForce.GTC)


def _e19(ctx: CardContext) -> str:
    return _accept_then_cancel(ctx, OrderSide.BUY, TimeInForce.DAY)


def _e12(ctx: CardContext) -> str:
    buy, sell = rest(ctx, OrderSide.BUY), rest(ctx, OrderSide.SELL)
    for order in (buy, sell):
        cancel(ctx, order)
    return f"a buy at {buy.price} and a sell at {sell.price} rested together, then canceled"


def _marketable(ctx: CardContext, side: OrderSide, tif: TimeInForce) -> str:
    price = ctx.through(side)
    order = ctx.desk.limit(side, ctx.qty, price, tif)
    filled = ctx.expect_status(order, OrderStatus.FILLED)
    ctx.require(filled.filled_qty == ctx.qty, f"filled {filled.filled_qty} of {ctx.qty}")
    if tif is TimeInForce.FOK:
        fills = len(filled.trade_ids)
        ctx.require(fills == 1, f"a FOK order filled in {fills} fills, not one")
    return f"{side.name} {tif.name} limit at {price} filled at {ctx.avg_px(filled)}"


def _e13(ctx: CardContext) -> str:
    return _marketable(ctx, OrderSide.BUY, TimeInForce.IOC)


def _e15(ctx: CardContext) -> str:
    return _marketable(ctx, OrderSide.SELL, TimeInForce.FOK)


def _unfillable(ctx: CardContext, tif: TimeInForce, *ends: OrderStatus) -> str:
    order = ctx.desk.limit(OrderSide.BUY, ctx.qty, ctx.away(OrderSide.BUY), tif)
    closed = ctx.expect_status(order, *ends)
    ctx.require(closed.filled_qty == 0, f"filled {closed.filled_qty}, expected no fill")
    return f"passive {tif.name} limit ended {closed.status_string()} with no fill"


def _e14(ctx: CardContext) -> str:
    return _unfillable(ctx, TimeInForce.IOC, OrderStatus.CANCELED)


def _e16(ctx: CardContext) -> str:
    return _unfillable(ctx, TimeInForce.FOK, OrderStatus.CANCELED, OrderStatus.EXPIRED)


def _e17(ctx: CardContext) -> str:
    expiry = pd.Timestamp.now(tz="UTC").floor("s") + pd.Timedelta(minutes=_GTD_ACCEPT_MINUTES)
    order = rest(ctx, OrderSide.BUY, TimeInForce.GTD, expiry)
    cancel(ctx, order)
    return f"GTD limit accepted with expiry {expiry.isoformat()}, then canceled"


def _e18(ctx: CardContext) -> str:
    seconds = ctx.venue.capabilities.gtd_expiry_seconds
    expiry = pd.Timestamp.now(tz="UTC").floor("ms") + pd.Timedelta(seconds=seconds)
    order = rest(ctx, OrderSide.BUY, TimeInForce.GTD, expiry)
    expired = ctx.expect_status(order, OrderStatus.EXPIRED)
    ctx.require(expired.filled_qty == 0, f"filled {expired.filled_qty} before it expired")
    return f"GTD limit expired {seconds:g} s after it was sent"


CARDS = (
    Card("TC-E10", "Limit BUY GTC", GROUP, _e10),
    Card("TC-E11", "Limit SELL GTC", GROUP, _e11),
    Card("TC-E12", "Limit BUY and SELL pair", GROUP, _e12),
    Card("TC-E13", "Limit IOC aggressive fill", GROUP, _e13),
    Card("TC-E14", "Limit IOC passive no fill", GROUP, _e14),
    Card("TC-E15", "Limit FOK fill", GROUP, _e15),
    Card("TC-E16", "Limit FOK no fill", GROUP, _e16),
    Card("TC-E17", "Limit GTD", GROUP, _e17),
    Card("TC-E18", "Limit GTD expiry", GROUP, _e18),
    Card("TC-E19", "Limit DAY", GROUP, _e19),
)
