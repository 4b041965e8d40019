"""`ReplayDataClient`: a live market-data client that replays bars from a file or frame.

It is a real `LiveMarketDataClient`: the node's data engine subscribes through it and the
bars travel the live path (client → data engine queue → message bus → strategies and the
simulated venue). Pacing: bar k is released at start + (t_k - t_0) / speed of wall time;
speed 0 means as fast as possible: the next bar is released only once the node has settled
(its engines' queues are empty), so a decision made at a bar's close reaches the venue before
the next bar moves the price, as it would at any real pace.

Costs: with a spread or slippage the feed carries, before each bar, a quote at that bar's
close whose bid and ask carry them (`ReplayFeed.quotes`); the venue then trades on quotes,
not bars (execution.SimExecutionClient), so a bar-close order buys at the ask.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.data.messages import SubscribeBars, SubscribeQuoteTicks, UnsubscribeBars
from nautilus_trader.live.data_client import LiveMarketDataClient
from nautilus_trader.model.data import Bar, QuoteTick
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.instruments import CurrencyPair

from execution_engine.adapters.sandbox.config import REPLAY_CLIENT
from execution_engine.adapters.sandbox.providers import SIM_VENUE, SimInstrumentProvider


@dataclass
class ReplayFeed:
    """What to replay: instruments and their bars (each list ordered by time)."""

    instruments: list[CurrencyPair]
    bars: dict[str, list[Bar]]  # bar type string → bars
    speed: float = 0.0  # 0 = as fast as possible
    on_done: Callable[[], None] | None = None
    arrivals: list[int] = field(default_factory=list)  # perf_counter_ns as each bar is sent
    settled: Callable[[], bool] | None = None  # True when the node has nothing queued
    # (bar type string, bar ts_event) → the quote sent just before that bar: the venue's
    # market at the bar's close with the spread and slippage in its bid and ask.
    quotes: dict[tuple[str, int], QuoteTick] = field(default_factory=dict)


# Consecutive idle event-loop turns that count as settled: a command can sit in a task for a
# turn between one engine's queue and the next.
SETTLED_TURNS = 3
MAX_SETTLE_TURNS = 10_000  # a node that never settles must not stall the replay


class ReplayDataClient(LiveMarketDataClient):
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        feed: ReplayFeed,
    ) -> None:
        super().__init__(
            loop=loop,
            client_id=ClientId(REPLAY_CLIENT),
            venue=SIM_VENUE,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=SimInstrumentProvider(feed.instruments),
        )
        self._feed = feed
        self._wanted = set(feed.bars)
        self._subscribed: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    async def _connect(self) -> None:
        await self._instrument_provider.initialize()
        for instrument in self._instrument_provider.list_all():
            self._handle_data(instrument)

    async def _disconnect(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _subscribe_bars(self, command: SubscribeBars) -> None:
        key = str(command.bar_type)
        if key not in self._wanted:
            self._log.error(f"no data to replay for {key}")
            return
        self._subscribed.add(key)
        if self._subscribed == self._wanted and self._task is None:
            self._task = self._loop.create_task(self._replay())

    async def _unsubscribe_bars(self, command: UnsubscribeBars) -> None:
        self._subscribed.discard(str(command.bar_type))

    async def _subscribe_quote_ticks(self, command: SubscribeQuoteTicks) -> None:
        self._log.warning(f"replay has bars only; no quotes for {command.instrument_id}")

    async def _replay(self) -> None:
        merged = sorted(
            (bar for bars in self._feed.bars.values() for bar in bars), key=lambda b: b.ts_event
        )
        speed = self._feed.speed
        start_wall = time.monotonic()
        first_ts = merged[0].ts_event if merged else 0
        for bar in merged:
            if speed > 0:
                due = start_wall + (bar.ts_event - first_ts) / 1e9 / speed
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            else:
                await asyncio.sleep(0)
            live = Bar(
                bar.bar_type,
                bar.open,
                bar.high,
                bar.low,
                bar.close,
                bar.volume,
                bar.ts_event,
                self._clock.timestamp_ns(),
            )
            quote = self._feed.quotes.get((str(bar.bar_type), bar.ts_event))
            if quote is not None:  # queued first: the venue prices the bar's orders on it
                self._handle_data(_stamped(quote, self._clock.timestamp_ns()))
            self._feed.arrivals.append(time.perf_counter_ns())
            self._handle_data(live)
            if speed <= 0:
                await self._settle()
        await asyncio.sleep(0.05)  # let the last bar's orders reach the venue
        if self._feed.on_done is not None:
            self._feed.on_done()

    async def _settle(self) -> None:
        settled = self._feed.settled
        if settled is None:
            return
        idle = 0
        for _ in range(MAX_SETTLE_TURNS):
            await asyncio.sleep(0)
            idle = idle + 1 if settled() else 0
            if idle >= SETTLED_TURNS:
                return


def _stamped(quote: QuoteTick, ts_init: int) -> QuoteTick:
    return QuoteTick(
        quote.instrument_id,
        quote.bid_price,
        quote.ask_price,
        quote.bid_size,
        quote.ask_size,
        quote.ts_event,
        ts_init,
    )
