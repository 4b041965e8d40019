"""Group 3 of the spec, stop orders: TC-E20..E23 (accepted, resting untriggered, as the
venue reports them), and GC-S1: a stop the market reaches fills (simulator: the kit moves
the price, which a live market will not do on cue).
"""

from __future__ import annotations

from nautilus_trader.model.enums import OrderSide, OrderStatus, OrderType
from nautilus_trader.model.objects import Price
from nautilus_trader.model.orders import Order

from execution_engine.conformance.card import Card
from execution_engine.conformance.cards_limit import cancel
from execution_engine.conformance.context import PASSIVE_OFFSET, CardContext

GROUP = "3 stop orders"


def stop_prices(
    ctx: CardContext, side: OrderSide, *, with_limit: bool = True
) -> tuple[Price, Price]:
    """(trigger, limit) for a stop that the current market does not trigger: a buy stop
    above the ask, a sell stop below the bid, the limit a further step beyond (or, for a
    stop-limit on a venue that holds the limit inside the stop, the two swapped)."""
    opposite = OrderSide.SELL if side is OrderSide.BUY else OrderSide.BUY
    near, far = ctx.away(opposite), ctx.away(opposite, PASSIVE_OFFSET * 2)
    inside = with_limit and ctx.venue.capabilities.stop_limit_inside
    return (far, near) if inside else (near, far)


def rest_stop(ctx: CardContext, side: OrderSide, *, with_limit: bool) -> Order:
    """A resting stop (stop-limit when `with_limit`), checked with the venue; cached order."""
    trigger, limit = stop_prices(ctx, side, with_limit=with_limit)
    order = ctx.desk.stop_order(side, ctx.qty, trigger, limit if with_limit else None)
    accepted = ctx.expect_status(order, OrderStatus.ACCEPTED)
    venue = ctx.venue_report(accepted)
    kind = OrderType.STOP_LIMIT if with_limit else OrderType.STOP_MARKET
    held = (venue.order_status, venue.order_type, venue.trigger_price, venue.order_side)
    sent = (OrderStatus.ACCEPTED, kind, trigger, side)
    ctx.require(held == sent, f"the venue holds {held}, sent {sent}")
    if with_limit:
        ctx.require(venue.price == limit, f"the venue holds limit {venue.price}, sent {limit}")
    return accepted


def _resting(ctx: CardContext, side: OrderSide, *, with_limit: bool) -> str:
    order = rest_stop(ctx, side, with_limit=with_limit)
    cancel(ctx, order)
    return f"{side.name} {order.type_string()} at {order.trigger_price} rested untriggered"


def _e20(ctx: CardContext) -> str:
    return _resting(ctx, OrderSide.BUY, with_limit=False)


def _e21(ctx: CardContext) -> str:
    return _resting(ctx, OrderSide.SELL, with_limit=False)


def _e22(ctx: CardContext) -> str:
    return _resting(ctx, OrderSide.BUY, with_limit=True)


def _e23(ctx: CardContext) -> str:
    return _resting(ctx, OrderSide.SELL, with_limit=True)


def _s1(ctx: CardContext) -> str:
    """A buy stop above the ask; the kit lifts the market through it; it fills at the new
    ask; the market is put back where it was."""
    market = ctx.market_control()
    start = ctx.quote()
    bid, ask = start.bid_price.as_decimal(), start.ask_price.as_decimal()
    order = rest_stop(ctx, OrderSide.BUY, with_limit=False)
    lift = order.trigger_price.as_decimal() - ask + ctx.instrument.price_increment.as_decimal()
    try:
        market.push_quote(bid + lift, ask + lift)
        filled = ctx.expect_status(order, OrderStatus.FILLED)
    finally:
        market.push_quote(bid, ask)
    px, new_ask = ctx.avg_px(filled), ctx.price(ask + lift).as_decimal()
    ctx.require(px == new_ask, f"the triggered stop filled at {px}, the ask was {new_ask}")
    return f"stop at {order.trigger_price} triggered by ask {new_ask} and filled there"


CARDS = (
    Card("TC-E20", "StopMarket BUY", GROUP, _e20),
    Card("TC-E21", "StopMarket SELL", GROUP, _e21),
    Card("TC-E22", "StopLimit BUY", GROUP, _e22),
    Card("TC-E23", "StopLimit SELL", GROUP, _e23),
    Card("GC-S1", "Stop triggered by the market - filled", GROUP, _s1, simulator_only=True),
)
