"""Gauntlet's crash and reconnect cards. GC-C1..C3 need a simulator's fault controls
(not_applicable elsewhere); TC-E84 (the spec's group 9 "Reconcile open orders") restarts the
node, which any venue allows.

- GC-C1: the line drops as an order arrives; the session logs on again, the order's reports
  come by resend, it ends FILLED, and the venue received it exactly once.
- GC-C2: a fill sent twice (the copy with PossDupFlag) is applied once.
- GC-C3: the venue skips sequence numbers; the gap is resent/gap-filled and trading goes on.
- TC-E84: a node restarted with an open order (empty cache) finds it by reconciliation.
- TC-E86: a node restarted holding a long position finds it by reconciliation.
"""

from __future__ import annotations

from nautilus_trader.model.enums import OrderSide, OrderStatus

from execution_engine.conformance.card import Card
from execution_engine.conformance.cards_limit import cancel, rest
from execution_engine.conformance.context import CardContext, describe

GROUP = "crash and reconnect"
RESTART_GROUP = "9 lifecycle (restart)"
_GAP = 5  # sequence numbers the venue leaves out in GC-C3


def _c1(ctx: CardContext) -> str:
    faults = ctx.fault_control()
    before, logons = ctx.desk.net_position(), faults.logons()
    faults.drop_on_next_order()
    order = ctx.desk.market(OrderSide.BUY, ctx.qty)
    filled = ctx.expect_status(order, OrderStatus.FILLED)
    again = faults.logons() - logons
    ctx.require(again == 1, f"the session logged on {again} times after the drop, not once")
    received = faults.orders_received(order.client_order_id.value)
    ctx.require(received == 1, f"the venue received the order {received} times, not once")
    after = ctx.desk.net_position()
    expected = before + ctx.qty.as_decimal()
    ctx.require(after == expected, f"net position {after}, expected {expected}")
    return f"dropped mid-order, reconnected; {filled.client_order_id} filled once, sent once"


def _c2(ctx: CardContext) -> str:
    faults = ctx.fault_control()
    before = ctx.desk.net_position()
    faults.duplicate_next_fill()
    order = ctx.desk.market(OrderSide.BUY, ctx.qty)
    ctx.expect_status(order, OrderStatus.FILLED)
    ctx.wait(
        lambda: faults.fills_sent(order.client_order_id.value) == [False, True],
        "the venue to send the fill and its PossDup copy",
        lambda: f"the venue sent {faults.fills_sent(order.client_order_id.value)}",
    )
    # Reports arrive in sequence: once a later order's acknowledgement is applied, so is
    # the copy that came before it.
    marker = rest(ctx, OrderSide.BUY)
    cancel(ctx, marker)
    cached = ctx.cached(order)
    assert cached is not None  # FILLED above
    fills = len(cached.trade_ids)
    ctx.require(fills == 1, f"{fills} fills applied for one venue fill and its copy")
    ctx.require(cached.filled_qty == ctx.qty, f"filled {cached.filled_qty} of {ctx.qty}")
    after, expected = ctx.desk.net_position(), before + ctx.qty.as_decimal()
    ctx.require(after == expected, f"net position {after}, expected {expected}")
    return "the PossDup copy of a fill was not applied: one fill, position moved once"


def _c3(ctx: CardContext) -> str:
    faults = ctx.fault_control()
    resends = faults.resend_requests()
    faults.skip_sequence(_GAP)
    order = ctx.desk.market(OrderSide.BUY, ctx.qty)
    filled = ctx.expect_status(order, OrderStatus.FILLED)
    asked = faults.resend_requests() - resends
    ctx.require(asked >= 1, "the gap was never asked for (no ResendRequest reached the venue)")
    ctx.require(len(filled.trade_ids) == 1, f"{len(filled.trade_ids)} fills applied, not one")
    after = rest(ctx, OrderSide.BUY)  # the session still trades after the gap
    cancel(ctx, after)
    return f"a gap of {_GAP} sequence numbers was filled; the order filled once, trading goes on"


def _e84(ctx: CardContext) -> str:
    order = rest(ctx, OrderSide.BUY)
    ctx.restart_node()
    found = ctx.cached(order)
    ctx.require(found is not None, f"the restarted node does not know {order.client_order_id}")
    assert found is not None  # for mypy: require raised otherwise
    held = (found.status, found.venue_order_id, found.price, found.quantity, found.side)
    sent = (OrderStatus.ACCEPTED, order.venue_order_id, order.price, order.quantity, order.side)
    ctx.require(held == sent, f"reconciled as {describe(found)} at {found.price}, sent {sent}")
    cancel(ctx, found)
    return f"{order.client_order_id} reconciled ACCEPTED at {found.price} after a restart"


def _e86(ctx: CardContext) -> str:
    if ctx.desk.net_position() <= 0:
        order = ctx.desk.market(OrderSide.BUY, ctx.qty)
        ctx.expect_status(order, OrderStatus.FILLED)
    held = ctx.desk.net_position()
    if ctx.venue.faults is not None:  # the venue's ledger is the truth to compare against
        held_at_venue = ctx.venue.faults.net_position()
        ctx.require(held == held_at_venue, f"the node holds {held}, the venue {held_at_venue}")
    ctx.restart_node()
    ctx.wait(
        lambda: ctx.desk.net_position() == held,
        f"the restarted node to hold {held}",
        lambda: f"it holds {ctx.desk.net_position()}",
    )
    return f"a long position of {held} reconciled after a restart"


CARDS = (
    Card("GC-C1", "Connection dropped mid-order - no duplicate", GROUP, _c1, simulator_only=True),
    Card("GC-C2", "Duplicate fill with PossDupFlag - counted once", GROUP, _c2,
         simulator_only=True),
    Card("GC-C3", "Sequence gap - resend handled", GROUP, _c3, simulator_only=True),
    Card("TC-E84", "Reconcile open orders after a node restart", RESTART_GROUP, _e84),
    Card("TC-E86", "Reconcile open long position after a node restart", RESTART_GROUP, _e86),
)  # fmt: skip
