"""The session recorder's tick path on the bus the settings choose (session_bus): JetStream
on the NATS server the settings name, the in-memory bus when they name none. Quotes fed to
the recorder come out as bars on the server, each bar once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity

from bus import Bar, InMemoryBus
from bus.jetstream import JetStreamBus
from live.marketdata.session_tap import SessionRecorder, session_bus
from live.settings import GauntletSettings, NatsSettings
from tests.fixtures.nats import unique_prefix

EURUSD = InstrumentId.from_str("EUR/USD.FIX")
MANIFEST = {"run": 1, "instrument": "EUR/USD", "instrument_id": "EUR/USD.FIX"}
SECOND = 1_000_000_000
T0 = 1_767_225_600 * SECOND  # 2026-01-01 UTC


def quote(second: float, bid: str) -> QuoteTick:
    ts = T0 + int(second * SECOND)
    return QuoteTick(
        EURUSD, Price.from_str(bid), Price.from_str(bid), Quantity.from_str("1"),
        Quantity.from_str("1"), ts, ts,
    )  # fmt: skip


def test_without_a_nats_server_the_bus_is_in_memory() -> None:
    bus = asyncio.run(session_bus(GauntletSettings(nats=NatsSettings(url=None))))
    assert isinstance(bus, InMemoryBus)


def test_the_recorders_bars_reach_jetstream(nats_url: str, tmp_path: Path) -> None:
    prefix = unique_prefix()
    settings = GauntletSettings(nats=NatsSettings(url=nats_url, prefix=prefix))
    recorder = SessionRecorder(
        tmp_path, "s", bus=lambda: session_bus(settings), timeframe="1s", flush_seconds=0.02
    )
    quotes = [quote(0.1, "1.10000"), quote(0.5, "1.10020"), quote(1.2, "1.10010"),
              quote(2.3, "1.10030")]  # fmt: skip

    async def session() -> list[Bar]:
        await recorder.open(MANIFEST)
        for tick in quotes:
            recorder.on_quote(tick)
        await recorder.close()
        reader = await JetStreamBus.connect(nats_url, prefix=prefix)
        try:
            subscription = await reader.subscribe(reader.subjects.bars("EUR/USD"), "test")
            deliveries = await subscription.fetch(max_messages=10, timeout=2.0)
            await reader.delete_stream()
        finally:
            await reader.close()
        return [d.envelope.payload for d in deliveries]  # type: ignore[misc]  # bars subject

    bars = asyncio.run(session())

    assert recorder.status()["errors"] == []
    assert [(bar.open, bar.close, bar.ticks) for bar in bars] == [
        (1.1, 1.1002, 2), (1.1001, 1.1001, 1), (1.1003, 1.1003, 1),
    ]  # fmt: skip
    assert recorder.bars_published == 3
