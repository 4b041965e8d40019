"""A live session on the FIX simulator over TLS records every quote its data client published
(SessionRecorder, the node's quote tap) and feeds them through the tick path to the bus; the
recording replayed as a NautilusTrader backtest of the same strategy and bar type gives the
same bars and the same orders (bar, side, quantity, target) as the live node.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from execution_engine.adapters.fix.sim.server import FixSimulator
from execution_engine.backtest.replay import replay_recording
from execution_engine.live.session import LiveConfig, run_live

from bus import InMemoryBus
from bus.messages import Bar
from live.marketdata.session_tap import SessionRecorder
from marketdata.quotes_store import read_recording, recording_dir
from tests.integration.live.fix_sessions import FAST_HOST, fix_venue, quoted_fix_simulator, resolve

pytestmark = pytest.mark.slow

HOST = FAST_HOST


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixSimulator]:
    with quoted_fix_simulator(tmp_path_factory.mktemp("sim"), "REC") as simulator:
        yield simulator


def live_config(sim: FixSimulator, state: Path, duration: float) -> LiveConfig:
    venue = fix_venue(sim)
    return LiveConfig(
        host=HOST, instrument="EUR/USD", venue=venue, state_dir=state, duration=duration,
        spec="recorded",
    )  # fmt: skip


@pytest.fixture(scope="module")
def session(
    sim: FixSimulator, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, SessionRecorder, InMemoryBus]:
    """One recorded session of a few seconds, shared by the tests below."""
    root = tmp_path_factory.mktemp("recorded")
    bus = InMemoryBus()

    async def the_bus() -> InMemoryBus:
        return bus

    recorder = SessionRecorder(root / "catalog", "recorded", bus=the_bus, timeframe="1s")
    result = run_live(live_config(sim, root / "node", 4.0), resolve, recorder=recorder)
    assert result.orders >= 2  # the zigzag makes sma_cross(1, 2) change side
    assert recorder.folder == recording_dir(root / "catalog", "recorded", 1)  # the first run
    return recorder.folder, recorder, bus


def test_the_recording_holds_every_quote_and_the_live_outcome(
    session: tuple[Path, SessionRecorder, InMemoryBus],
) -> None:
    folder, recorder, _ = session
    recording = read_recording(folder)

    assert recording.problems == []
    assert recording.manifest["instrument_id"] == "EUR/USD.FIX"
    assert recording.manifest["bar_type"] == "EUR/USD.FIX-4-TICK-MID-INTERNAL"
    assert recording.quotes.height == recorder.writer.quotes > 0
    assert set(recording.quotes["price_precision"]) == {5}  # the instrument's precision
    assert 100_000 < recording.quotes["bid"][0] < 200_000  # EUR/USD about 1.1, in 0.00001
    assert recording.quotes["ts_init"].is_sorted()
    assert recording.live is not None
    # 4 quotes per bar: every complete group of four quotes closed one live bar.
    assert len(recording.live["bars"]) == recording.quotes.height // 4
    status = json.loads((folder.parents[3] / "node" / "status.json").read_text())
    assert status["recording"]["quotes"] == recording.quotes.height
    assert status["recording"]["errors"] == []


def test_the_tick_path_published_bars_of_the_live_quotes_on_the_bus(
    session: tuple[Path, SessionRecorder, InMemoryBus],
) -> None:
    folder, recorder, bus = session

    async def bars() -> list[Bar]:
        subscription = await bus.subscribe(bus.subjects.bars("EUR/USD"), durable="test")
        deliveries = await subscription.fetch(max_messages=1_000, timeout=0.1)
        return [d.envelope.payload for d in deliveries]  # type: ignore[misc]  # bars subject

    published = asyncio.run(bars())
    assert recorder.bars_published == len(published) >= 2
    assert sum(bar.ticks for bar in published) == read_recording(folder).quotes.height
    assert {bar.instrument for bar in published} == {"EUR/USD"}


def test_the_replay_gives_the_live_bars_and_orders(
    session: tuple[Path, SessionRecorder, InMemoryBus],
) -> None:
    folder, _, _ = session
    recording = read_recording(folder)

    replay = replay_recording(recording, HOST, "EUR/USD")

    assert recording.live is not None
    assert replay.quotes == recording.quotes.height
    assert replay.bars == recording.live["bars"]
    assert replay.orders == recording.live["orders"]
    assert len(replay.orders) >= 2
    assert replay.difference is None
