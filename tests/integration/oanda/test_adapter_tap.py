"""The node's quote tap on OANDA: every quote the data client publishes reaches the tap, in
the order published, at the instrument's precision (what a live session records)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from execution_engine.conformance.context import CardContext, first_quote
from execution_engine.conformance.desk import CardDesk
from execution_engine.conformance.oanda_venue import SIM_ASK, SIM_BID, OandaSimVenue
from execution_engine.live.node import build_oanda_node, start_node, stop_node
from nautilus_trader.config import LiveRiskEngineConfig
from nautilus_trader.model.data import QuoteTick

pytestmark = pytest.mark.slow


class Tap:
    def __init__(self) -> None:
        self.quotes: list[QuoteTick] = []

    def on_quote(self, tick: QuoteTick) -> None:
        self.quotes.append(tick)


def test_every_published_quote_reaches_the_tap(tmp_path: Path) -> None:
    venue = OandaSimVenue()
    venue.start()
    tap = Tap()
    desk = CardDesk(venue.instrument_id, venue.client_id)
    node = build_oanda_node(
        venue.venue_config(), tmp_path, venue.resolve, [desk], instruments=("EUR_USD",),
        risk_engine=LiveRiskEngineConfig(bypass=True), tap=tap,
    )  # fmt: skip
    ctx = CardContext(venue, tmp_path, 10.0, node)
    try:
        start_node(node)
        first_quote(ctx)
        for step in range(1, 21):
            move = Decimal(step) / 100_000
            venue.push_quote(SIM_BID + move, SIM_ASK + move)
        last = SIM_BID + Decimal(20) / 100_000
        ctx.wait(
            lambda: bool(tap.quotes) and tap.quotes[-1].bid_price.as_decimal() == last,
            "the last pushed quote at the tap",
            lambda: f"{len(tap.quotes)} quotes tapped",
        )
        assert [q.bid_price for q in tap.quotes] == [q.bid_price for q in ctx.desk.quotes]
        assert all(q.bid_price.precision == 5 for q in tap.quotes)
        bids = [q.bid_price.as_decimal() for q in tap.quotes[-20:]]
        assert bids == [SIM_BID + Decimal(n) / 100_000 for n in range(1, 21)]
    finally:
        stop_node(node)
        venue.stop()
