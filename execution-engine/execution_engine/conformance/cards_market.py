"""Group 1 of the spec, market orders: TC-E01..E04 and TC-E06.

A market order must fill in full (partial fills summing to the quantity are fine), at a price
inside the touch range seen while it ran, and move the net position by its quantity.
"""

from __future__ import annotations

from nautilus_trader.model.enums import OrderSide, OrderStatus, TimeInForce

from execution_engine.conformance.card import Card
from execution_engine.conformance.context import CardContext

GROUP = "1 market orders"


def fill_market(ctx: CardContext, side: OrderSide, tif: TimeInForce = TimeInForce.GTC) -> str:
    """Submit a market order of the card quantity and check its fill and the position."""
    before, since = ctx.desk.net_position(), len(ctx.desk.quotes)
    order = ctx.desk.market(side, ctx.qty, tif)
    filled = ctx.expect_status(order, OrderStatus.FILLED)
    ctx.require(filled.filled_qty == ctx.qty, f"filled {filled.filled_qty}, ordered {ctx.qty}")
    low, high = ctx.touch_range(since)
    avg = ctx.avg_px(filled)
    ctx.require(low <= avg <= high, f"filled at {avg}, outside the market's {low}..{high}")
    if tif is not TimeInForce.GTC:  # the TIF under test must have reached the venue
        held = ctx.venue_report(filled).time_in_force
        ctx.require(held is tif, f"the venue holds the order as {held.name}, sent {tif.name}")
    signed = ctx.qty.as_decimal() if side is OrderSide.BUY else -ctx.qty.as_decimal()
    expected, after = before + signed, ctx.desk.net_position()
    ctx.require(after == expected, f"net position {after} after the fill, expected {expected}")
    return f"{side.name} {ctx.qty} {tif.name} filled at {avg}; net position {after}"


def _e01(ctx: CardContext) -> str:
    return fill_market(ctx, OrderSide.BUY)


def _e02(ctx: CardContext) -> str:
    return fill_market(ctx, OrderSide.SELL)


def _e03(ctx: CardContext) -> str:
    return fill_market(ctx, OrderSide.BUY, TimeInForce.IOC)


def _e04(ctx: CardContext) -> str:
    return fill_market(ctx, OrderSide.SELL, TimeInForce.FOK)


def _e06(ctx: CardContext) -> str:
    """Close the position with a market order on the opposite side (one is opened first
    when the card runs alone and the account is flat)."""
    if ctx.desk.net_position() == 0:
        fill_market(ctx, OrderSide.BUY)
    net = ctx.desk.net_position()
    side = OrderSide.SELL if net > 0 else OrderSide.BUY
    order = ctx.desk.market(side, ctx.instrument.make_qty(abs(net)))
    ctx.expect_status(order, OrderStatus.FILLED)
    after = ctx.desk.net_position()
    ctx.require(after == 0, f"net position {after} after closing {net}, expected 0")
    return f"closed {net} with a {side.name} market order; flat"


CARDS = (
    Card("TC-E01", "Market BUY - submit and fill", GROUP, _e01),
    Card("TC-E02", "Market SELL - submit and fill", GROUP, _e02),
    Card("TC-E03", "Market order with IOC TIF", GROUP, _e03),
    Card("TC-E04", "Market order with FOK TIF", GROUP, _e04),
    Card("TC-E06", "Close position via market order", GROUP, _e06),
)
