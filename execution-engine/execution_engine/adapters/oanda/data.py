"""`OandaDataClient`: NautilusTrader's live market-data client on an OANDA account.

Quotes: ONE pricing stream for every subscribed instrument (OANDA streams a list of
instruments per connection and counts connections); a subscription change restarts it with
the new list, its snapshot giving each instrument's current price at once. Each PRICE line
becomes a QuoteTick (quotes.py, H1's hot path: prices and liquidity at the instrument's
precision, no floats), published through `_handle_data` and then handed to the quote tap.
The stream reconnects on its own after a drop or a stall (no line, not even a heartbeat,
for two heartbeat intervals); an error that reconnecting cannot cure (a revoked token) is
logged and the stream tried again after a pause.

Bars: historical bars are OANDA's candles (request_bars). A subscribed EXTERNAL bar type
is polled: a bar's candle is asked for just after the bar closes and published once it is
`complete`, so bars are OANDA's own (the candles a backtest downloads). INTERNAL bar types
never reach this client: NautilusTrader aggregates them from the quotes above, which is
what a live session uses (its bars and its recorded quotes then agree by construction).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.data.messages import (
    RequestBars,
    SubscribeBars,
    SubscribeQuoteTicks,
    UnsubscribeBars,
    UnsubscribeQuoteTicks,
)
from nautilus_trader.live.data_client import LiveMarketDataClient
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.identifiers import ClientId, InstrumentId, Venue
from nautilus_trader.model.instruments import Instrument

from execution_engine.adapters.oanda.bars import (
    BarTypeError,
    bar_seconds,
    candle_bar,
    granularity_of,
)
from execution_engine.adapters.oanda.config import OANDA_CLIENT, OandaDataClientConfig
from execution_engine.adapters.oanda.hub import DATA, OandaHub
from execution_engine.adapters.oanda.providers import UnknownInstrumentError
from execution_engine.adapters.oanda.quotes import QuoteError, StreamPrice, quote_tick
from execution_engine.adapters.oanda.translate import rfc3339
from execution_engine.adapters.oanda.v20.errors import V20Error, V20TransportError
from execution_engine.adapters.oanda.v20.streams import PriceStream
from execution_engine.adapters.quote_tap import QuoteTap

_CANDLES = 500  # candles asked for when a request gives no limit (OANDA's default)
_RETRY_SECONDS = 5.0  # after a stream error reconnecting did not cure
_POLL_GRACE_SECONDS = 1.0  # after a bar's close, before its candle is asked for
_POLL_RETRY_SECONDS = 2.0  # a candle still forming: asked again after this


class OandaDataClient(LiveMarketDataClient):
    """Instruments, quotes and bars of one OANDA account (the module says how)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        config: OandaDataClientConfig,
        hub: OandaHub,
        tap: QuoteTap | None = None,
    ) -> None:
        self._venue = config.venue_config()
        venue = Venue(self._venue.venue)
        self._provider = hub.provider(config.instruments, venue)
        super().__init__(
            loop=loop,
            client_id=ClientId(OANDA_CLIENT),
            venue=venue,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=self._provider,
            config=config,
        )
        self._hub = hub
        self._tap = tap
        self._quoted: dict[str, Instrument] = {}  # OANDA name → instrument, subscribed
        self._stream_task: asyncio.Task[Any] | None = None
        self._pollers: dict[BarType, asyncio.Task[Any]] = {}
        self.quotes_received = 0
        self.price_stream: PriceStream[StreamPrice] | None = None  # its counters: stalls, ...

    # --- connection -----------------------------------------------------------------------
    async def _connect(self) -> None:
        await self._hub.join(self._venue, DATA)
        await self._provider.initialize()
        for instrument in self._provider.list_all():
            self._handle_data(instrument)

    async def _disconnect(self) -> None:
        await self._stop_stream()
        for task in self._pollers.values():
            task.cancel()
        self._pollers.clear()
        await self._hub.leave(DATA)

    # --- quotes ---------------------------------------------------------------------------
    async def _subscribe_quote_ticks(self, command: SubscribeQuoteTicks) -> None:
        instrument = self._instrument(command.instrument_id)
        if instrument is not None and str(instrument.raw_symbol) not in self._quoted:
            self._quoted[str(instrument.raw_symbol)] = instrument
            await self._restart_stream()

    async def _unsubscribe_quote_ticks(self, command: UnsubscribeQuoteTicks) -> None:
        instrument = self._instrument(command.instrument_id)
        if instrument is not None and self._quoted.pop(str(instrument.raw_symbol), None):
            await self._restart_stream()

    async def _restart_stream(self) -> None:
        await self._stop_stream()
        if self._quoted:
            self._stream_task = self.create_task(self._stream(dict(self._quoted)))

    async def _stop_stream(self) -> None:
        task, self._stream_task = self._stream_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _stream(self, instruments: dict[str, Instrument]) -> None:
        """The pricing stream of `instruments`, until canceled (a new subscription list)."""
        while True:
            stream = self._hub.client.price_stream_of(
                StreamPrice, self._hub.account_id, sorted(instruments), snapshot=True,
                heartbeat_interval=self._venue.heartbeat_seconds,
            )  # fmt: skip
            self.price_stream = stream
            quoting = {name: (i.id, i.price_precision) for name, i in instruments.items()}
            try:
                async with stream:  # a cancel (new subscriptions, stop) closes its connection
                    async for price in stream:
                        self._on_price(quoting, price)
            except (V20Error, V20TransportError) as exc:
                self._log.error(f"pricing stream: {exc}; trying again in {_RETRY_SECONDS:g} s")
            await asyncio.sleep(_RETRY_SECONDS)

    def _on_price(self, quoting: dict[str, tuple[InstrumentId, int]], price: StreamPrice) -> None:
        """The hot path: one PRICE line as a QuoteTick, published, then tapped."""
        target = quoting.get(price.instrument)
        if target is None:
            return
        try:
            tick = quote_tick(price, target[0], target[1], self._clock.timestamp_ns())
        except QuoteError as exc:  # a one-sided book (the instrument stopped pricing)
            self._log.warning(f"price of {target[0]} not applied: {exc}")
            return
        self.quotes_received += 1
        self._handle_data(tick)
        if self._tap is not None:
            self._tap.on_quote(tick)

    # --- bars -----------------------------------------------------------------------------
    async def _request_bars(self, request: RequestBars) -> None:
        """Complete candles within the request's start and end; always answered (empty when
        they cannot be had)."""
        bars = await self._candles(request.bar_type, request.start, request.end, request.limit)
        self._handle_bars(
            request.bar_type, bars, request.id, request.start, request.end, request.params
        )

    async def _candles(
        self,
        bar_type: BarType,
        start: dt.datetime | None,
        end: dt.datetime | None,
        limit: int | None,
    ) -> list[Bar]:
        instrument = self._instrument(bar_type.instrument_id)
        try:
            granularity, price = granularity_of(bar_type)
        except BarTypeError as exc:
            self._log.error(str(exc))
            return []
        if instrument is None:
            return []
        # OANDA takes a count with one end of the window, or both ends without a count.
        count = limit or (None if start is not None and end is not None else _CANDLES)
        window: dict[str, str] = {}
        if start is not None:
            window["from_time"] = rfc3339(_ns(start))
        if end is not None and (count is None or start is None):
            window["to_time"] = rfc3339(_ns(end))
        try:
            candles = await self._hub.client.candles(
                str(instrument.raw_symbol), granularity=granularity, price=price, count=count,
                **window,
            )  # fmt: skip
        except (V20Error, V20TransportError) as exc:
            self._log.error(f"candles {instrument.id} {granularity}: {exc}")
            return []
        now = self._clock.timestamp_ns()
        last = None if end is None else _ns(end)
        bars = [candle_bar(c, bar_type, instrument, now) for c in candles]
        return [b for b in bars if b is not None and (last is None or b.ts_event <= last)]

    async def _subscribe_bars(self, command: SubscribeBars) -> None:
        try:
            granularity_of(command.bar_type)
        except BarTypeError as exc:
            self._log.error(str(exc))
            return
        if self._instrument(command.bar_type.instrument_id) is not None:
            old = self._pollers.pop(command.bar_type, None)
            if old is not None:
                old.cancel()
            task = self.create_task(self._poll(command.bar_type))
            if task is not None:
                self._pollers[command.bar_type] = task

    async def _unsubscribe_bars(self, command: UnsubscribeBars) -> None:
        task = self._pollers.pop(command.bar_type, None)
        if task is not None:
            task.cancel()

    async def _poll(self, bar_type: BarType) -> None:
        """Each closed bar of `bar_type` once, from its complete candle."""
        length = bar_seconds(bar_type)
        last_ns = 0
        while True:
            now = time.time()
            next_close = (int(now) // length + 1) * length
            await asyncio.sleep(next_close - now + _POLL_GRACE_SECONDS)
            while True:
                bars = [
                    b for b in await self._candles(bar_type, None, None, 2) if b.ts_event > last_ns
                ]
                if bars or time.time() > next_close + length:
                    break
                await asyncio.sleep(_POLL_RETRY_SECONDS)  # the candle is still forming
            for bar in bars:
                last_ns = bar.ts_event
                self._handle_data(bar)

    # --- helpers --------------------------------------------------------------------------
    def _instrument(self, instrument_id: InstrumentId) -> Instrument | None:
        try:
            return self._provider.by_name(self._provider.name_of(instrument_id))
        except UnknownInstrumentError as exc:
            self._log.error(str(exc))
            return None


def _ns(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000
