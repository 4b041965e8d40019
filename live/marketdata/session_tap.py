"""`SessionRecorder`: the live node's quote tap. Every quote a data client publishes is
recorded to the catalog (marketdata.quotes_store) and goes through the one tick path
(normalize → validate → aggregate → bus: live.marketdata.tick_path), so the agents see the
live market's bars on the bus and a session can be replayed as a backtest exactly.

The data client calls `on_quote` on the node's loop, once per quote: it only appends to a
list. Every `flush_seconds` (a timer on the node's loop), or as soon as `max_buffered`
quotes wait, the buffer becomes one batch of columns, queued for two consumer tasks: one
writes each batch as the recording's next part (in a worker thread: Parquet and fsync stay
off the loop), the other hands it to the tick path. Each keeps its batches in quote order,
and neither waits for the other: a bus that is down (JetStream retrying) never holds up the
recording. A crash loses the quotes of the batch being written and those buffered, nothing
written.

The tick path trades nothing: it aggregates mid prices into bars of `timeframe` for the bus
(the strategy's own bars are the ones NautilusTrader aggregates inside the node). Its bus is
`session_bus(settings)`: JetStream when the settings name a NATS server
(`GAUNTLET_NATS__URL`), the in-memory bus otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.objects import FIXED_PRECISION

from bus import InMemoryBus
from bus.jetstream import JetStreamBus
from bus.protocol import Bus
from live.marketdata.tick_path import TickPath
from live.settings import GauntletSettings
from marketdata.quotes_store import (
    QUOTE_COLUMNS,
    RecordingWriter,
    free_recording_dir,
    recording_dir,
)

FLUSH_SECONDS = 0.1
# precision → NautilusTrader's raw units per unit of the last decimal at that precision
_SCALE = tuple(10 ** (FIXED_PRECISION - n) for n in range(FIXED_PRECISION + 1))
MAX_BUFFERED = 10_000
CLOSE_SECONDS = 5.0  # at close, how long the tick path may take to publish what is left


async def session_bus(settings: GauntletSettings) -> Bus:
    """The bus the session's bars go to: the configured NATS server's JetStream, else an
    in-memory bus (nothing outside the process hears it)."""
    nats = settings.nats
    if nats.url is None:
        return InMemoryBus(nats.prefix)
    return await JetStreamBus.connect(nats.url, prefix=nats.prefix, token=nats.token)


class SessionRecorder:
    """The quote tap of the live session `name`: records its quotes under the catalog
    `root` (`<root>/_quotes/<name>/run-<n>/`, n the manifest's run, or the next free one
    when that run is recorded already: marketdata.quotes_store) and feeds the tick
    path on the bus `bus()` makes (None: no tick path), with bars of `timeframe`.

    `open` (on the node's loop, before the node starts) connects the bus and starts the
    timer and the consumer; `close` (after the node stopped) writes what is left and the
    live outcome. A bus that cannot be reached is an error in `status()`, not a stopped
    session: the quotes are still recorded."""

    def __init__(
        self,
        root: Path,
        name: str,
        *,
        bus: Callable[[], Awaitable[Bus]] | None = None,
        timeframe: str = "1m",
        flush_seconds: float = FLUSH_SECONDS,
        max_buffered: int = MAX_BUFFERED,
        close_seconds: float = CLOSE_SECONDS,
    ) -> None:
        recording_dir(root, name, 0)  # the name's check, before anything connects
        self.root, self.name = root, name
        self.folder: Path | None = None
        self.writer = RecordingWriter(root)  # replaced by the run's in `open`
        self.tick_path: TickPath | None = None
        self._make_bus, self._timeframe = bus, timeframe
        self._bus: Bus | None = None
        # instrument id → marketdata name ("EUR/USD.FIX" → "EUR/USD"), the bus's subjects
        self._names: dict[str, str] = {}
        self._flush_seconds, self._max = flush_seconds, max_buffered
        self._close_seconds = close_seconds
        self._buffer: list[QuoteTick] = []
        self._sealed = False  # no quote taken after `seal`
        # the recorder's batches (columns, QUOTE_COLUMNS) for the disk and the tick path
        self._to_disk: asyncio.Queue[dict[str, list[Any]] | None] = asyncio.Queue()
        self._to_bus: asyncio.Queue[dict[str, list[Any]] | None] = asyncio.Queue()
        self._disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quote-recorder")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._recording: asyncio.Task[None] | None = None  # the consumers, once open
        self._publishing: asyncio.Task[None] | None = None
        self.errors: list[str] = []  # failures writing or publishing, one line each
        self.bars_published = 0
        self.rejected = 0

    # --- the hot path ---------------------------------------------------------------------
    def on_quote(self, tick: QuoteTick) -> None:
        if self._sealed:
            return
        self._buffer.append(tick)
        if len(self._buffer) >= self._max:
            self._flush()

    # --- lifecycle ------------------------------------------------------------------------
    async def open(self, manifest: dict[str, Any]) -> None:
        """Write the manifest (`run`, `instrument`, `instrument_id` at least) and start
        recording; call on the node's running loop."""
        self._loop = asyncio.get_running_loop()
        self.folder = free_recording_dir(self.root, self.name, int(manifest["run"]))
        self.writer = RecordingWriter(self.folder)
        self.writer.open(manifest)
        self._names = {str(manifest["instrument_id"]): str(manifest["instrument"])}
        if self._make_bus is not None:
            with self._guard("the bus"):
                self._bus = await self._make_bus()
                self.tick_path = TickPath(self._bus, timeframe=self._timeframe)
        self._recording = self._loop.create_task(self._record())
        self._publishing = self._loop.create_task(self._publish())
        self._timer = self._loop.call_later(self._flush_seconds, self._on_timer)

    def seal(self) -> None:
        """Take no more quotes: the session's strategy stops now, and a recording holds the
        quotes it saw (those the data client publishes while disconnecting never reach it)."""
        self._sealed = True

    async def close(self, live: dict[str, Any] | None = None) -> None:
        """Flush what is buffered and write it, then `live` (the bars and orders the live
        node had); publish what the tick path has left, for `close_seconds` at most (a bus
        that does not answer must not keep a stopped node from exiting)."""
        if self._timer is not None:
            self._timer.cancel()
        self._flush()
        for queue in (self._to_disk, self._to_bus):
            queue.put_nowait(None)
        if self._recording is not None:
            await self._recording
        if live is not None:
            await asyncio.get_running_loop().run_in_executor(
                self._disk, self.writer.write_live, live
            )
        self._disk.shutdown(wait=True)
        try:
            await asyncio.wait_for(self._last_bars(), self._close_seconds)
        except TimeoutError:
            self.errors.append(
                f"the tick path: {self._to_bus.qsize()} batch(es) and the open bars not "
                f"published: the bus did not answer within {self._close_seconds:g} s"
            )

    async def _last_bars(self) -> None:
        if self._publishing is not None:
            await self._publishing
        if self.tick_path is not None:
            with self._guard("the tick path's last bars"):
                self.bars_published += (await self.tick_path.flush()).bars_published
        if self._bus is not None:
            with self._guard("closing the bus"):
                await self._bus.close()

    def status(self) -> dict[str, Any]:
        """For status.json: where the quotes go and how many are on disk."""
        return {
            "folder": None if self.folder is None else str(self.folder),
            "quotes": self.writer.quotes,
            "parts": self.writer.parts,
            "buffered": len(self._buffer),
            "unwritten_batches": self._to_disk.qsize(),
            "unpublished_batches": self._to_bus.qsize(),
            "bars_published": self.bars_published,
            "rejected": self.rejected,
            "errors": self.errors[-3:],
        }

    # --- the consumer ---------------------------------------------------------------------
    def _on_timer(self) -> None:
        self._flush()
        if self._loop is not None:
            self._timer = self._loop.call_later(self._flush_seconds, self._on_timer)

    def _flush(self) -> None:
        if self._buffer:
            batch, self._buffer = self._buffer, []
            columns = quote_columns(batch)
            self._to_disk.put_nowait(columns)
            if self.tick_path is not None:
                self._to_bus.put_nowait(columns)

    async def _record(self) -> None:
        loop = asyncio.get_running_loop()
        while (columns := await self._to_disk.get()) is not None:
            with self._guard("recording"):
                await loop.run_in_executor(self._disk, self.writer.write_part, columns)

    async def _publish(self) -> None:
        while (columns := await self._to_bus.get()) is not None:
            if self.tick_path is None:
                continue
            with self._guard("the tick path"):
                report = await self.tick_path.process(self._tick_columns(columns))
                self.bars_published += report.bars_published
                self.rejected += len(report.rejections)

    @contextlib.contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """A failed write or publish is counted and named, never raised into the node."""
        try:
            yield
        except Exception as exc:  # any failure here must not stop the session's trading
            self.errors.append(f"{what}: {type(exc).__name__}: {exc}")

    def _tick_columns(self, columns: dict[str, list[Any]]) -> dict[str, npt.NDArray[Any]]:
        """The tick path's columns from the recording's: the mid price of each quote (a
        float: the bus's bars are research data, not money), size 0 (a quote is no trade),
        under its marketdata name."""
        ids = np.asarray(columns["instrument_id"], dtype=np.str_)
        instrument = ids.astype(object)
        for value in np.unique(ids):  # one instrument per session in practice
            instrument[ids == value] = self._names.get(str(value), str(value).split(".")[0])
        bid = np.asarray(columns["bid"], dtype=np.float64)
        ask = np.asarray(columns["ask"], dtype=np.float64)
        # Divided, not multiplied by 10^-p: 110000 / 10^5 is the double nearest 1.1.
        scale = 10.0 ** np.asarray(columns["price_precision"], dtype=np.float64)
        return {
            "instrument": instrument.astype(np.str_),
            "ts": np.asarray(columns["ts_event"], dtype=np.int64),
            "price": (bid + ask) / 2 / scale,
            "size": np.zeros(len(ids)),
        }


def quote_columns(batch: list[QuoteTick]) -> dict[str, list[Any]]:
    """The recording's columns of `batch`: prices and sizes as integers at their precision
    (NautilusTrader's fixed-point raw value divided by 10^(FIXED_PRECISION - precision),
    exact: a raw value at precision p is a multiple of it), times in epoch ns. A quote's
    bid and ask share one precision, as do its sizes (QuoteTick checks both)."""
    columns: dict[str, list[Any]] = {name: [] for name in QUOTE_COLUMNS}
    ids, bids, asks = columns["instrument_id"], columns["bid"], columns["ask"]
    bid_sizes, ask_sizes = columns["bid_size"], columns["ask_size"]
    price_precisions, size_precisions = columns["price_precision"], columns["size_precision"]
    events, inits = columns["ts_event"], columns["ts_init"]
    scale = _SCALE
    for quote in batch:
        bid, bid_size = quote.bid_price, quote.bid_size
        price_precision, size_precision = bid.precision, bid_size.precision
        price_unit, size_unit = scale[price_precision], scale[size_precision]
        ids.append(quote.instrument_id.value)
        bids.append(bid.raw // price_unit)
        asks.append(quote.ask_price.raw // price_unit)
        bid_sizes.append(bid_size.raw // size_unit)
        ask_sizes.append(quote.ask_size.raw // size_unit)
        price_precisions.append(price_precision)
        size_precisions.append(size_precision)
        events.append(quote.ts_event)
        inits.append(quote.ts_init)
    return columns
