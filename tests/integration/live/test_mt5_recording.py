"""The MetaTrader data client hands its quotes to the node's tap (`build_mt5_node(tap=...)`):
on the simulated terminal, the session recorder records exactly the quotes the strategy
received, in the order it received them, prices at the broker's digits.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from execution_engine.backtest.replay import recorded_quotes
from execution_engine.live.node import build_mt5_node, run_until, start_node
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId

from live.marketdata.session_tap import SessionRecorder
from marketdata.quotes_store import read_recording
from tests.integration.mt5.conftest import (
    TRADER,
    Desk,
    Sim,
    Venue,
    first_quote,
    stop_later,
    venue,
)

__all__ = ["stop_later", "venue"]  # the fixtures, imported for pytest

pytestmark = pytest.mark.slow
EURUSD = InstrumentId.from_str("EUR/USD.MT5")


def test_the_recorder_holds_every_quote_the_strategy_saw(
    venue: Venue, tmp_path: Path, stop_later: Callable[[TradingNode | Sim], None]
) -> None:
    sim = venue.terminal()
    stop_later(sim)
    recorder = SessionRecorder(tmp_path / "catalog", "mt5-session", flush_seconds=0.05)
    desk = Desk()
    node = build_mt5_node(
        venue.config(), tmp_path / "node", venue.resolve, [desk], instruments=("EURUSD",),
        trader_id=TRADER, tap=recorder,
    )  # fmt: skip
    loop = node.get_event_loop()
    assert loop is not None  # build_mt5_node gives every node a loop
    loop.run_until_complete(
        recorder.open({"run": 1, "instrument": "EUR/USD", "instrument_id": EURUSD.value})
    )
    start_node(node)
    try:
        first_quote(node, sim, desk)
        for step in range(1, 21):
            bid = Decimal("1.10010") + Decimal(step) / 100_000
            sim.push_tick(bid=bid, ask=bid + Decimal("0.00002"))
        run_until(node, lambda: len(desk.quotes) >= 21, timeout=10)
    finally:  # as the live session does: the node stops, the recorder closes, then dispose
        loop.run_until_complete(node.kernel.stop_async())
        loop.run_until_complete(recorder.close())
        node.dispose()

    recording = read_recording(tmp_path / "catalog" / "_quotes" / "mt5-session" / "run-1")
    seen = [q for q in desk.quotes if isinstance(q, QuoteTick)]
    assert recorded_quotes(recording, EURUSD) == seen
    assert [str(q.bid_price) for q in recorded_quotes(recording, EURUSD)][-1] == "1.10030"
    assert recorder.status()["errors"] == []
