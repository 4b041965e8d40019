"""A hedging OANDA account: each trade is a position of its own (its trade id the position
id), a buy and a sell coexist, and a restarted node holds them again from the open trades;
a node whose config says netting is refused at connect with one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from execution_engine.adapters.oanda.execution import OandaExecutionClient
from execution_engine.conformance.context import CardContext
from execution_engine.conformance.desk import CardDesk
from execution_engine.conformance.oanda_venue import OandaSimVenue, OandaVenue
from execution_engine.live.node import stop_node
from nautilus_trader.model.enums import OrderSide, OrderStatus

from tests.integration.oanda.nodes import quoted_node, started_venue

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venue() -> Iterator[OandaSimVenue]:
    with started_venue(hedging=True) as sim:
        yield sim


def _open(ctx: CardContext) -> list[tuple[str, str]]:
    return sorted(
        (p.id.value, p.side.name)
        for p in ctx.node.cache.positions_open(instrument_id=ctx.venue.instrument_id)
    )


def test_a_buy_and_a_sell_are_two_positions_and_survive_a_restart(
    venue: OandaSimVenue, tmp_path: Path
) -> None:
    ctx = quoted_node(venue, tmp_path)
    try:
        ctx.begin()
        buy = ctx.expect_status(ctx.desk.market(OrderSide.BUY, ctx.qty), OrderStatus.FILLED)
        sell = ctx.expect_status(ctx.desk.market(OrderSide.SELL, ctx.qty), OrderStatus.FILLED)
        held = _open(ctx)
        assert held == sorted(
            [(buy.trade_ids[0].value, "LONG"), (sell.trade_ids[0].value, "SHORT")]
        )
    finally:
        stop_node(ctx.node)
    assert venue.faults.net_position() == 0  # both trades open, netting to flat
    again = quoted_node(venue, tmp_path)
    try:
        again.begin()
        again.wait(lambda: _open(again) == held, f"positions {held}", lambda: f"{_open(again)}")
    finally:
        stop_node(again.node)


def test_a_netting_config_on_a_hedging_account_is_refused_in_one_line(
    venue: OandaSimVenue, tmp_path: Path
) -> None:

    config = venue.venue_config().model_copy(update={"hedging": False})
    desk = CardDesk(venue.instrument_id, venue.client_id)
    node = OandaVenue(config, venue.resolve).build_node(tmp_path, [desk])
    client = node.kernel.exec_engine._clients[venue.client_id]  # no public lookup
    assert isinstance(client, OandaExecutionClient)
    loop = node.get_event_loop()
    assert loop is not None
    with pytest.raises(ConnectionError) as caught:
        loop.run_until_complete(client._connect())
    said = str(caught.value)
    assert "is hedging, the venue config says hedging = false" in said
    assert "\n" not in said
    node.dispose()
