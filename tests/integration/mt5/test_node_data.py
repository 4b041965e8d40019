"""The MetaTrader data client in a TradingNode on the simulated terminal: quotes exact from
their strings (size 0: MetaTrader ticks have none), bars as the terminal closes them, and
historical bars by the `rates` op, stamped at their close."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from execution_engine.adapters.mt5.config import MT5_CLIENT
from execution_engine.live.node import run_until, start_node
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import Bar, BarType, QuoteTick
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.objects import Price, Quantity

from tests.integration.mt5.conftest import Desk, Sim, Venue, build_node, first_quote

pytestmark = pytest.mark.slow
Stop = Callable[[TradingNode | Sim], None]
M1 = BarType.from_str("EUR/USD.MT5-1-MINUTE-BID-EXTERNAL")


# The ticks' time, an hour back on a minute boundary: the terminal's bars only move
# forward, and historical bars end now.
T0 = (time.time_ns() // 60_000_000_000 - 60) * 60_000


class BarDesk(Desk):
    def __init__(self) -> None:
        super().__init__()
        self.bars: list[Bar] = []
        self.history: list[Bar] = []

    def on_start(self) -> None:
        super().on_start()
        self.subscribe_bars(M1, client_id=ClientId(MT5_CLIENT))

    def on_bar(self, bar: Bar) -> None:
        self.bars.append(bar)

    def on_historical_data(self, data: object) -> None:
        if isinstance(data, Bar):
            self.history.append(data)


def running(venue: Venue, tmp_path: Path, stop_later: Stop) -> tuple[Sim, TradingNode, BarDesk]:
    sim = venue.terminal()
    stop_later(sim)
    desk = BarDesk()
    node = build_node(venue, tmp_path / "node", [desk])
    stop_later(node)
    start_node(node)
    first_quote(node, sim, desk, time_ms=T0)
    return sim, node, desk


def tick(sim: Sim, at_ms: int, bid: str, ask: str) -> None:
    sim.engine.push_tick("EURUSD", Decimal(bid), Decimal(ask), time_ms=at_ms)


def test_quotes_are_exact_with_the_terminals_time(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    t0 = T0 + 60_000
    tick(sim, t0 + 1_234, "1.23456", "1.23468")
    run_until(node, lambda: any(q.ts_event == (t0 + 1_234) * 1_000_000 for q in quotes(desk)))
    (quote,) = [q for q in quotes(desk) if q.ts_event == (t0 + 1_234) * 1_000_000]
    assert quote.bid_price == Price.from_str("1.23456")
    assert quote.ask_price == Price.from_str("1.23468")
    assert quote.bid_size == Quantity.from_int(0)
    assert node.cache.quote_tick(quote.instrument_id) == quote


def test_bars_closed_on_the_terminal_and_historical_rates(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    sim, node, desk = running(venue, tmp_path, stop_later)
    t0 = T0 + 60_000
    tick(sim, t0 + 1_000, "1.10000", "1.10002")
    tick(sim, t0 + 20_000, "1.10050", "1.10052")
    tick(sim, t0 + 40_000, "1.09950", "1.09952")
    tick(sim, t0 + 59_000, "1.10010", "1.10012")
    tick(sim, t0 + 61_000, "1.10020", "1.10022")  # opens the next minute: the first closes
    closes = (t0 + 60_000) * 1_000_000  # MetaTrader's open time + one minute
    run_until(node, lambda: any(b.ts_event == closes for b in desk.bars))
    (bar,) = [b for b in desk.bars if b.ts_event == closes]
    expected = ("1.10000", "1.10050", "1.09950", "1.10010")
    assert (str(bar.open), str(bar.high), str(bar.low), str(bar.close)) == expected
    # From T0 itself, not from now: T0 is set when the module is imported, which under xdist
    # can be many minutes before this test runs.
    start = pd.Timestamp(t0, unit="ms", tz="UTC")
    desk.request_bars(M1, start, limit=10, client_id=ClientId(MT5_CLIENT))
    run_until(node, lambda: len(desk.history) >= 2)
    assert [b.ts_event for b in desk.history][-2:] == [
        (t0 + 60_000) * 1_000_000,
        (t0 + 120_000) * 1_000_000,
    ]
    assert str(desk.history[-2].high) == "1.10050"


def quotes(desk: Desk) -> list[QuoteTick]:
    return [q for q in desk.quotes if isinstance(q, QuoteTick)]


def test_bars_metatrader_has_no_timeframe_for_are_answered_empty(
    venue: Venue, tmp_path: Path, stop_later: Stop
) -> None:
    _, node, desk = running(venue, tmp_path, stop_later)
    done: list[object] = []
    start = pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=1)
    two_minutes = BarType.from_str("EUR/USD.MT5-2-MINUTE-BID-EXTERNAL")
    desk.request_bars(two_minutes, start, client_id=ClientId(MT5_CLIENT), callback=done.append)
    run_until(node, lambda: len(done) == 1)
    assert desk.history == []
