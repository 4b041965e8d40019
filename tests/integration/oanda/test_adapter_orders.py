"""The OANDA adapter in a TradingNode on the v20 simulator, over loopback: each order type
NautilusTrader sends is the OANDA order it should be, resting or filled as OANDA says;
modifies are replaces that keep the node's order; market data comes from the pricing stream
and candles."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal

import pandas as pd
import pytest
from execution_engine.adapters.oanda.data import OandaDataClient
from execution_engine.adapters.oanda.v20.client import V20Client
from execution_engine.adapters.oanda.v20.endpoints import endpoint_for
from execution_engine.conformance.context import CardContext
from execution_engine.conformance.oanda_venue import SIM_TOKEN
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from nautilus_trader.model.objects import Price

from tests.integration.oanda.nodes import node_on_a_new_venue, sim_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CardContext]:
    with node_on_a_new_venue(tmp_path_factory.mktemp("oanda-node")) as context:
        yield context


def _at_sim(ctx: CardContext, client_order_id: str) -> dict[str, object]:
    """The order as the simulator holds it, read over its own REST API."""
    sim = sim_of(ctx).sim

    async def read() -> dict[str, object]:
        async with V20Client(endpoint_for("127.0.0.1", sim.port), SIM_TOKEN) as client:
            order = await client.order(sim.account_id, f"@{client_order_id}")
            return {"type": order.type, "units": order.units, "price": order.price,
                    "price_bound": order.price_bound, "tif": order.time_in_force,
                    "state": order.state}  # fmt: skip

    return asyncio.run(read())


def test_a_market_order_fills_once_and_moves_the_position(ctx: CardContext) -> None:
    ctx.begin()
    before = ctx.desk.net_position()
    order = ctx.desk.market(OrderSide.BUY, ctx.qty)
    filled = ctx.expect_status(order, OrderStatus.FILLED)
    assert len(filled.trade_ids) == 1
    assert ctx.desk.net_position() == before + ctx.qty.as_decimal()
    assert sim_of(ctx).faults.net_position() == ctx.desk.net_position()
    assert _at_sim(ctx, order.client_order_id.value)["type"] == "MARKET"


def test_a_limit_rests_at_its_price_and_cancels_by_client_id(ctx: CardContext) -> None:
    ctx.begin()
    price = ctx.away(OrderSide.SELL)
    order = ctx.desk.limit(OrderSide.SELL, ctx.qty, price, TimeInForce.GTC)
    ctx.expect_status(order, OrderStatus.ACCEPTED)
    held = _at_sim(ctx, order.client_order_id.value)
    assert held == {"type": "LIMIT", "units": -ctx.qty.as_decimal(),
                    "price": price.as_decimal(), "price_bound": None, "tif": "GTC",
                    "state": "PENDING"}  # fmt: skip
    ctx.desk.cancel_order(order)
    ctx.expect_status(order, OrderStatus.CANCELED)
    assert _at_sim(ctx, order.client_order_id.value)["state"] == "CANCELLED"


def test_stop_limit_and_mit_rest_as_oanda_stop_and_market_if_touched(ctx: CardContext) -> None:
    ctx.begin()
    trigger, bound = ctx.away(OrderSide.SELL), ctx.away(OrderSide.SELL, Decimal("0.04"))
    stop = ctx.desk.stop_order(OrderSide.BUY, ctx.qty, trigger, bound)
    ctx.expect_status(stop, OrderStatus.ACCEPTED)
    held = _at_sim(ctx, stop.client_order_id.value)
    assert (held["type"], held["price"], held["price_bound"]) == (
        "STOP",
        trigger.as_decimal(),
        bound.as_decimal(),
    )
    report = ctx.venue_report(ctx.cached(stop) or stop)
    assert (report.order_type, report.trigger_price, report.price) == (
        OrderType.STOP_LIMIT,
        trigger,
        bound,
    )
    touched = ctx.desk.order_factory.market_if_touched(
        ctx.venue.instrument_id, OrderSide.BUY, ctx.qty, ctx.away(OrderSide.BUY)
    )
    ctx.desk.submit(touched)
    ctx.expect_status(touched, OrderStatus.ACCEPTED)
    assert _at_sim(ctx, touched.client_order_id.value)["type"] == "MARKET_IF_TOUCHED"
    for order in (stop, touched):
        ctx.desk.cancel_order(order)
        ctx.expect_status(order, OrderStatus.CANCELED)


def test_a_stop_fills_when_the_market_reaches_it(ctx: CardContext) -> None:
    ctx.begin()
    quote = ctx.quote()
    trigger = ctx.price(quote.ask_price.as_decimal() + Decimal("0.00050"))
    order = ctx.desk.stop_order(OrderSide.BUY, ctx.qty, trigger)
    ctx.expect_status(order, OrderStatus.ACCEPTED)
    bid, ask = quote.bid_price.as_decimal(), quote.ask_price.as_decimal()
    sim_of(ctx).push_quote(bid + Decimal("0.00100"), ask + Decimal("0.00100"))
    try:
        filled = ctx.expect_status(order, OrderStatus.FILLED)
    finally:
        sim_of(ctx).push_quote(bid, ask)
    assert len(filled.trade_ids) == 1  # from the transaction stream: no answer carried it


def test_a_modify_is_a_replace_that_keeps_the_nodes_order(ctx: CardContext) -> None:
    ctx.begin()
    order = ctx.desk.limit(OrderSide.BUY, ctx.qty, ctx.away(OrderSide.BUY), TimeInForce.GTC)
    accepted = ctx.expect_status(order, OrderStatus.ACCEPTED)
    first_id = accepted.venue_order_id
    new_price = ctx.away(OrderSide.BUY, Decimal("0.04"))
    new_qty = ctx.instrument.make_qty(ctx.qty.as_decimal() * 2)
    ctx.desk.modify_order(accepted, quantity=new_qty, price=new_price)
    ctx.wait(
        lambda: (ctx.cached(order) or order).price == new_price,
        "OrderUpdated with the new price",
        lambda: f"price {(ctx.cached(order) or order).price}",
    )
    held = _at_sim(ctx, order.client_order_id.value)  # the replacement, found by client id
    assert (held["price"], held["units"], held["state"]) == (
        new_price.as_decimal(),
        new_qty.as_decimal(),
        "PENDING",
    )
    updated = ctx.cached(order)
    assert updated is not None
    assert updated.venue_order_id == first_id  # the node's order is still the same order
    assert updated.quantity == new_qty
    ctx.desk.cancel_order(updated)
    ctx.expect_status(order, OrderStatus.CANCELED)
    assert _at_sim(ctx, order.client_order_id.value)["state"] == "CANCELLED"


def test_fok_that_cannot_fill_is_canceled_with_no_fill(ctx: CardContext) -> None:
    ctx.begin()
    order = ctx.desk.limit(OrderSide.BUY, ctx.qty, ctx.away(OrderSide.BUY), TimeInForce.FOK)
    closed = ctx.expect_status(order, OrderStatus.CANCELED)
    assert closed.filled_qty == 0


def test_gtd_expires_when_its_time_passes(ctx: CardContext) -> None:
    ctx.begin()
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    order = ctx.desk.limit(
        OrderSide.BUY, ctx.qty, ctx.away(OrderSide.BUY), TimeInForce.GTD, pd.Timestamp(expiry)
    )
    ctx.expect_status(order, OrderStatus.ACCEPTED)
    ctx.expect_status(order, OrderStatus.EXPIRED)


def test_historical_bars_are_the_simulators_complete_candles(ctx: CardContext) -> None:
    ctx.begin()
    bar_type = BarType.from_str(f"{ctx.venue.instrument_id}-1-HOUR-MID-EXTERNAL")
    ctx.desk.request_bars(bar_type, pd.Timestamp("2000-01-01", tz="UTC"), limit=5)
    ctx.wait(
        lambda: len(ctx.node.cache.bars(bar_type)) == 5,
        "5 hourly bars from OANDA's candles",
        lambda: f"{len(ctx.node.cache.bars(bar_type))} bars",
    )
    bars = list(reversed(ctx.node.cache.bars(bar_type)))  # the cache's are newest first
    assert all(isinstance(bar.close, Price) and bar.close.precision == 5 for bar in bars)
    steps = {later.ts_event - earlier.ts_event for earlier, later in itertools.pairwise(bars)}
    assert min(steps) >= 3_600_000_000_000  # one candle per hour at least apart


def test_a_stalled_pricing_stream_is_reopened_and_quotes_resume(ctx: CardContext) -> None:
    ctx.begin()
    client = ctx.node.kernel.data_engine._clients[ctx.venue.client_id]  # no public lookup
    assert isinstance(client, OandaDataClient)
    stream = client.price_stream
    assert stream is not None
    stalls = stream.stalls
    sim = sim_of(ctx).sim
    sim.faults.stalled = True  # the connection stays open; nothing, not even heartbeats
    try:
        ctx.wait(lambda: stream.stalls > stalls, "the stall seen", lambda: f"{stream.stalls}")
    finally:
        sim.faults.stalled = False
    seen = len(ctx.desk.quotes)
    bid, ask = ctx.quote().bid_price.as_decimal(), ctx.quote().ask_price.as_decimal()
    sim_of(ctx).push_quote(bid + Decimal("0.00001"), ask + Decimal("0.00001"))
    ctx.wait(
        lambda: any(
            q.bid_price.as_decimal() == bid + Decimal("0.00001") for q in ctx.desk.quotes[seen:]
        ),
        "the new quote through the reopened stream",
        lambda: f"{len(ctx.desk.quotes) - seen} quotes since",
    )
    sim_of(ctx).push_quote(bid, ask)


def test_a_subscribed_external_bar_type_is_polled_from_complete_candles(
    ctx: CardContext,
) -> None:
    ctx.begin()
    bar_type = BarType.from_str(f"{ctx.venue.instrument_id}-5-SECOND-BID-EXTERNAL")
    ctx.desk.subscribe_bars(bar_type)
    try:
        ctx.wait(
            lambda: bool(ctx.node.cache.bars(bar_type)),
            "a bar polled after the 5 s bar closed",
            lambda: "no bar in the cache",
        )
    finally:
        ctx.desk.unsubscribe_bars(bar_type)
    [bar] = ctx.node.cache.bars(bar_type)  # the candle that had just closed, once
    assert bar.bar_type == bar_type
    assert bar.close.precision == 5
