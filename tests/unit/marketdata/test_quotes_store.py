"""The quote recordings in the catalog (marketdata.quotes_store) and the recorder that writes
them (live.marketdata.session_tap.SessionRecorder): exact prices back, parts in order, a
damaged part named and skipped, the flush by count and by timer, and bad names and folders.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity

from bus import Envelope, InMemoryBus, PublishAck
from live.marketdata.session_tap import SessionRecorder, quote_columns
from marketdata.catalog import Catalog
from marketdata.quotes_store import (
    RecordingError,
    RecordingWriter,
    latest_run,
    read_recording,
    recording_dir,
)

USDJPY = InstrumentId.from_str("USD/JPY.FIX")
MANIFEST = {"run": 1, "instrument": "USD/JPY", "instrument_id": "USD/JPY.FIX"}


def quote(i: int, bid: str = "150.123") -> QuoteTick:
    return QuoteTick(
        USDJPY, Price.from_str(bid), Price.from_str("150.126"),
        Quantity.from_str("2500000"), Quantity.from_str("0"), 1_000 + i, 2_000 + i,
    )  # fmt: skip


def test_prices_sizes_and_times_read_back_exactly(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "rec")
    writer.open(MANIFEST)
    writer.write_part(quote_columns([quote(0), quote(1, "150.100")]))
    writer.write_part(quote_columns([quote(2, "149.999")]))

    recording = read_recording(tmp_path / "rec")

    assert recording.problems == [
        "no live.json: the session did not end cleanly, nothing to compare with"
    ]
    assert recording.manifest == MANIFEST
    assert recording.quotes["bid"].to_list() == [150_123, 150_100, 149_999]
    assert recording.quotes["price_precision"].to_list() == [3, 3, 3]
    assert recording.quotes["bid_size"].to_list() == [2_500_000] * 3
    assert recording.quotes["ask_size"].to_list() == [0, 0, 0]
    assert recording.quotes["ts_event"].to_list() == [1_000, 1_001, 1_002]
    assert recording.quotes["ts_init"].to_list() == [2_000, 2_001, 2_002]


def test_the_replay_reads_back_the_quote_it_was_raw_for_raw(tmp_path: Path) -> None:
    from execution_engine.backtest.replay import recorded_quotes

    sent = [quote(0, "150.123"), quote(1, "0.001"), quote(2, "99999.999")]
    writer = RecordingWriter(tmp_path / "rec")
    writer.open(MANIFEST)
    writer.write_part(quote_columns(sent))

    back = recorded_quotes(read_recording(tmp_path / "rec"), USDJPY)

    assert back == sent
    assert [q.bid_price.raw for q in back] == [q.bid_price.raw for q in sent]
    assert [str(q.bid_price) for q in back] == ["150.123", "0.001", "99999.999"]
    assert [(q.ts_event, q.ts_init) for q in back] == [(q.ts_event, q.ts_init) for q in sent]


def test_a_damaged_middle_part_is_named_and_the_others_still_read(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "rec")
    writer.open(MANIFEST)
    for i in range(3):
        writer.write_part(quote_columns([quote(i)]))
    (tmp_path / "rec" / "part-000002.parquet").write_bytes(b"PAR1 cut short")

    recording = read_recording(tmp_path / "rec")

    assert recording.quotes["ts_event"].to_list() == [1_000, 1_002]
    assert recording.problems[0].startswith("part-000002.parquet is truncated or not Parquet")


def test_a_folder_without_a_manifest_is_not_a_recording(tmp_path: Path) -> None:
    (tmp_path / "rec").mkdir()
    with pytest.raises(RecordingError, match=r"is not a recording: manifest\.json is missing"):
        read_recording(tmp_path / "rec")


def test_the_latest_run_is_the_highest_number(tmp_path: Path) -> None:
    for run in (1, 2, 10):
        recording_dir(tmp_path, "s", run).mkdir(parents=True)
    assert latest_run(tmp_path, "s").name == "run-10"
    with pytest.raises(RecordingError, match="no recorded session 'other'"):
        latest_run(tmp_path, "other")


def test_a_session_name_cannot_leave_the_catalog(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"session name '\.\./x' must be letters"):
        recording_dir(tmp_path, "../x", 1)


def test_recordings_are_not_bars_to_the_catalog(tmp_path: Path) -> None:
    writer = RecordingWriter(recording_dir(tmp_path, "s", 1))
    writer.open(MANIFEST)
    writer.write_part(quote_columns([quote(0)]))
    assert Catalog(tmp_path).list() == []


def test_the_recorder_flushes_by_count_and_by_timer_in_order(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path, "s", flush_seconds=0.05, max_buffered=3)

    async def session() -> None:
        await recorder.open(MANIFEST)
        for i in range(7):  # two full buffers of three, then one the timer takes
            recorder.on_quote(quote(i))
        deadline = asyncio.get_running_loop().time() + 10
        while recorder.writer.quotes < 7:
            assert asyncio.get_running_loop().time() < deadline, recorder.status()
            await asyncio.sleep(0.01)
        await recorder.close({"bars": [], "orders": []})

    asyncio.run(session())

    recording = read_recording(recording_dir(tmp_path, "s", 1))
    assert recording.problems == []
    assert recorder.writer.parts == 3
    assert recording.quotes["ts_event"].to_list() == [1_000 + i for i in range(7)]
    assert recording.live == {"bars": [], "orders": []}
    assert recorder.status()["errors"] == []


def test_a_bus_that_cannot_be_reached_leaves_the_recording_going(tmp_path: Path) -> None:
    async def unreachable() -> object:
        raise ConnectionRefusedError("nats://127.0.0.1:1")

    recorder = SessionRecorder(tmp_path, "s", bus=unreachable)  # type: ignore[arg-type]  # it never returns a bus

    async def session() -> None:
        await recorder.open(MANIFEST)
        recorder.on_quote(quote(0))
        await recorder.close()

    asyncio.run(session())

    assert recorder.status()["errors"] == ["the bus: ConnectionRefusedError: nats://127.0.0.1:1"]
    assert read_recording(recording_dir(tmp_path, "s", 1)).quotes.height == 1


class SilentBus(InMemoryBus):
    """A bus whose server never answers a publish (JetStream retrying against a dead NATS)."""

    async def publish(self, subject: str, envelope: Envelope) -> PublishAck:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def test_a_bus_that_never_answers_holds_up_neither_the_recording_nor_the_close(
    tmp_path: Path,
) -> None:
    bus = SilentBus()

    async def silent() -> SilentBus:
        return bus

    recorder = SessionRecorder(
        tmp_path, "s", bus=silent, timeframe="1s", flush_seconds=0.01, close_seconds=0.2
    )

    async def session() -> None:
        await recorder.open(MANIFEST)
        for i in range(4):  # a second apart: each one closes the previous bar
            recorder.on_quote(quote(i * 1_000_000_000))
        deadline = asyncio.get_running_loop().time() + 10
        while recorder.writer.quotes < 4:
            assert asyncio.get_running_loop().time() < deadline, recorder.status()
            await asyncio.sleep(0.01)
        await recorder.close({"bars": [], "orders": []})

    asyncio.run(session())

    assert read_recording(recording_dir(tmp_path, "s", 1)).quotes.height == 4
    [error] = recorder.status()["errors"]
    assert error.startswith("the tick path: ")
    assert error.endswith("not published: the bus did not answer within 0.2 s")


def test_a_run_recorded_already_is_never_written_into(tmp_path: Path) -> None:
    first = RecordingWriter(recording_dir(tmp_path, "s", 1))
    first.open(MANIFEST)
    first.write_part(quote_columns([quote(0)]))
    with pytest.raises(RecordingError, match=r"run-1 already holds a recording"):
        RecordingWriter(recording_dir(tmp_path, "s", 1)).open(MANIFEST)

    recorder = SessionRecorder(tmp_path, "s")  # a state folder made anew: its run 1 again

    async def session() -> None:
        await recorder.open(MANIFEST)
        recorder.on_quote(quote(5))
        await recorder.close()

    asyncio.run(session())

    assert recorder.folder == recording_dir(tmp_path, "s", 2)
    assert latest_run(tmp_path, "s") == recorder.folder
    assert read_recording(recording_dir(tmp_path, "s", 1)).quotes["ts_event"].to_list() == [1_000]
