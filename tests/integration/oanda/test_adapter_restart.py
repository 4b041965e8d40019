"""A node restarted on the same state folder reconciles with OANDA from the last transaction
it applied (persisted there): a fill that happened while it was down arrives once, a
position it held is held again, and nothing it had already applied comes back."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from execution_engine.adapters.oanda.config import LAST_TRANSACTION_FILE, OANDA_STATE_SUBDIR
from execution_engine.conformance.oanda_venue import SIM_ASK, SIM_BID, OandaSimVenue
from execution_engine.live.node import stop_node
from nautilus_trader.model.enums import OrderSide, OrderStatus, TimeInForce

from tests.integration.oanda.nodes import quoted_node, started_venue

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venue() -> Iterator[OandaSimVenue]:
    with started_venue() as sim:
        yield sim


def _persisted(state: Path) -> str:
    [path] = (state / OANDA_STATE_SUBDIR).glob(f"*/{LAST_TRANSACTION_FILE}")
    return path.read_text(encoding="utf-8").strip()


def test_a_fill_while_the_node_was_down_arrives_once(venue: OandaSimVenue, tmp_path: Path) -> None:
    ctx = quoted_node(venue, tmp_path)
    try:
        ctx.begin()
        price = ctx.price(SIM_BID - Decimal("0.00050"))
        order = ctx.desk.limit(OrderSide.BUY, ctx.qty, price, TimeInForce.GTC)
        ctx.expect_status(order, OrderStatus.ACCEPTED)
        before = ctx.desk.net_position()
    finally:
        stop_node(ctx.node)
    applied = _persisted(tmp_path)
    venue.push_quote(SIM_BID - Decimal("0.00100"), SIM_ASK - Decimal("0.00100"))  # through it
    venue.push_quote(SIM_BID, SIM_ASK)
    fills = venue.faults.fills_sent(order.client_order_id.value)
    assert fills == [False]  # OANDA filled it while no node was there
    again = quoted_node(venue, tmp_path)
    try:
        again.begin()
        again.wait(
            lambda: (again.cached(order) or order).status == OrderStatus.FILLED,
            "the order FILLED by reconciliation",
            lambda: f"{again.cached(order)}",
        )
        found = again.cached(order)
        assert found is not None
        assert len(found.trade_ids) == 1
        assert again.desk.net_position() == before + again.qty.as_decimal()
        assert again.desk.net_position() == venue.faults.net_position()
        marker = again.desk.market(OrderSide.SELL, again.qty)  # trades on; the stream is live
        again.expect_status(marker, OrderStatus.FILLED)
        assert int(_persisted(tmp_path)) > int(applied)
        cached = again.cached(order)
        assert cached is not None
        assert len(cached.trade_ids) == 1  # the stream did not apply the old fill again
    finally:
        stop_node(again.node)


def test_a_held_position_is_held_again_and_old_fills_do_not_return(
    venue: OandaSimVenue, tmp_path: Path
) -> None:
    ctx = quoted_node(venue, tmp_path)
    try:
        ctx.begin()
        order = ctx.desk.market(OrderSide.BUY, ctx.qty)
        ctx.expect_status(order, OrderStatus.FILLED)
        held = ctx.desk.net_position()
        assert held == venue.faults.net_position()
    finally:
        stop_node(ctx.node)
    again = quoted_node(venue, tmp_path)
    try:
        again.begin()
        again.wait(
            lambda: again.desk.net_position() == held,
            f"the restarted node to hold {held}",
            lambda: f"it holds {again.desk.net_position()}",
        )
        # The fill was applied before the restart: it is not reported again.
        assert again.cached(order) is None
    finally:
        stop_node(again.node)
