"""`PolygonDataClient`: NautilusTrader's live market-data client on Polygon.io.

Live data comes from Polygon's WebSocket clusters, one `PolygonStream` per market (stocks,
forex, crypto), opened on the first subscription of that market; the stream reconnects and
resubscribes by itself. Quotes: stocks `Q`, forex `C`, crypto `XQ` → QuoteTicks (a forex
quote has no sizes: size 0, as the FIX client does when a venue sends none). Trades: stocks
`T`, crypto `XT` → TradeTicks (forex has none). Minute aggregates `AM`/`CA`/`XA` → Bars of
`<instrument>-1-MINUTE-LAST-EXTERNAL`, stamped with the minute's end as NautilusTrader
stamps bars. Historical bars (`request_bars`) are REST aggregates.

Prices are exact: Polygon's JSON numbers are decoded as Decimal (models.py) and become
NautilusTrader fixed-point values at the instrument's precision, rounded half-even when
Polygon sends more decimals than the instrument's tick has. Every published quote also goes
to the node's quote tap, when it has one (adapters/quote_tap.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.data.messages import (
    RequestBars,
    SubscribeBars,
    SubscribeQuoteTicks,
    SubscribeTradeTicks,
    UnsubscribeBars,
    UnsubscribeQuoteTicks,
    UnsubscribeTradeTicks,
)
from nautilus_trader.live.data_client import LiveMarketDataClient
from nautilus_trader.model.data import Bar, BarType, QuoteTick, TradeTick
from nautilus_trader.model.enums import AggregationSource, AggressorSide, BarAggregation, PriceType
from nautilus_trader.model.identifiers import ClientId, InstrumentId, TradeId, Venue
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import FIXED_PRECISION, Price, Quantity

from execution_engine.adapters.polygon.config import POLYGON_CLIENT, PolygonDataClientConfig
from execution_engine.adapters.polygon.errors import PolygonError
from execution_engine.adapters.polygon.models import (
    Agg,
    CryptoMinuteAgg,
    CryptoQuote,
    CryptoTrade,
    Event,
    ForexMinuteAgg,
    ForexQuote,
    StockMinuteAgg,
    StockQuote,
    StockTrade,
)
from execution_engine.adapters.polygon.providers import (
    Market,
    PolygonInstrumentProvider,
    PolygonTicker,
    PolygonTickerError,
)
from execution_engine.adapters.polygon.rest import PolygonRest
from execution_engine.adapters.polygon.ws import PolygonStream
from execution_engine.adapters.quote_tap import QuoteTap
from execution_engine.adapters.secrets import SecretResolver

_NS_PER_MS = 1_000_000
_MINUTE_MS = 60_000
_STEPS = tuple(Decimal(1).scaleb(-n) for n in range(FIXED_PRECISION + 1))
_RAW = Decimal(1).scaleb(FIXED_PRECISION)
# NautilusTrader's bar aggregations Polygon's aggregates serve, by timespan.
_TIMESPANS = {
    BarAggregation.SECOND: ("second", 1_000),
    BarAggregation.MINUTE: ("minute", _MINUTE_MS),
    BarAggregation.HOUR: ("hour", 3_600_000),
    BarAggregation.DAY: ("day", 86_400_000),
    BarAggregation.WEEK: ("week", 604_800_000),
}
_MinuteAgg = StockMinuteAgg | ForexMinuteAgg | CryptoMinuteAgg


class BarTypeError(ValueError):
    """A bar type Polygon does not serve; one line naming it."""


def price(value: Decimal, precision: int) -> Price:
    """`value` as a Price of `precision` decimals, exactly (rounded half-even beyond them)."""
    exact = value.quantize(_STEPS[precision], rounding=ROUND_HALF_EVEN)
    return Price.from_raw(int(exact * _RAW), precision)


def quantity(value: Decimal, precision: int) -> Quantity:
    exact = value.quantize(_STEPS[precision], rounding=ROUND_HALF_EVEN)
    return Quantity.from_raw(int(exact * _RAW), precision)


def minute_bar_type(instrument_id: InstrumentId) -> BarType:
    """The bar type the live minute aggregates are published as."""
    return BarType.from_str(f"{instrument_id}-1-MINUTE-LAST-EXTERNAL")


def timespan_of(bar_type: BarType) -> tuple[int, str, int]:
    """(multiplier, Polygon timespan, bar length in ms) of an external LAST bar type."""
    spec = bar_type.spec
    found = _TIMESPANS.get(spec.aggregation)
    if (
        found is None
        or spec.price_type != PriceType.LAST
        or bar_type.aggregation_source != AggregationSource.EXTERNAL
    ):
        raise BarTypeError(
            f"Polygon has no bars {bar_type}: aggregates are LAST-EXTERNAL bars of seconds, "
            "minutes, hours, days or weeks"
        )
    return spec.step, found[0], spec.step * found[1]


@dataclass(frozen=True)
class _Watched:
    """What an event of one stream symbol needs, looked up once."""

    ticker: PolygonTicker
    instrument: Instrument
    price_precision: int
    size_precision: int


class PolygonDataClient(LiveMarketDataClient):
    """Quotes, trades and minute bars from Polygon's streams; historical bars from REST."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        config: PolygonDataClientConfig,
        resolve: SecretResolver,
        tap: QuoteTap | None = None,
    ) -> None:
        venue = Venue(config.venue)
        files = Path(config.instruments_file) if config.instruments_file else None
        self._provider = PolygonInstrumentProvider(
            config.tickers, venue=venue, instruments_file=files
        )
        super().__init__(
            loop=loop,
            client_id=ClientId(POLYGON_CLIENT),
            venue=venue,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=self._provider,
            config=config,
        )
        self._settings = config
        self._resolve = resolve
        self._tap = tap
        self._rest: PolygonRest | None = None
        self._streams: dict[Market, PolygonStream] = {}
        self._readers: list[asyncio.Task[object]] = []
        self._opening = asyncio.Lock()
        # (market, stream symbol) → the instrument, per kind of subscription.
        self._quoted: dict[tuple[Market, str], _Watched] = {}
        self._traded: dict[tuple[Market, str], _Watched] = {}
        self._barred: dict[tuple[Market, str], tuple[_Watched, BarType]] = {}
        self.events_received = 0

    @property
    def streams(self) -> dict[Market, PolygonStream]:
        return dict(self._streams)

    # --- connection -----------------------------------------------------------------------
    async def _connect(self) -> None:
        key = self._resolve(self._settings.api_key_secret)
        self._rest = PolygonRest(key, base_url=self._settings.base_url)
        await self._provider.initialize()
        for instrument in self._provider.list_all():
            self._handle_data(instrument)

    async def _disconnect(self) -> None:
        for task in self._readers:
            task.cancel()
        for stream in self._streams.values():
            await stream.close()
        self._streams.clear()
        self._readers.clear()
        if self._rest is not None:
            await self._rest.aclose()
            self._rest = None

    async def _stream(self, market: Market) -> PolygonStream:
        """The market's stream, opened (and read) on first use."""
        async with self._opening:
            stream = self._streams.get(market)
            if stream is not None:
                return stream
            if market.value not in self._settings.markets:
                raise PolygonError(0, f"market {market.value} is not in this client's markets")
            stream = PolygonStream(
                self._resolve(self._settings.api_key_secret),
                market.value,
                url=self._settings.ws_url,
                heartbeat=self._settings.heartbeat_seconds,
                max_reconnects=self._settings.max_reconnects,
            )
            await stream.connect()
            self._streams[market] = stream
            reader = self.create_task(self._read(market, stream))
            if reader is not None:
                self._readers.append(reader)
            return stream

    async def _read(self, market: Market, stream: PolygonStream) -> None:
        try:
            async for events in stream:
                for event in events:
                    self._on_event(market, event)
        except PolygonError as exc:  # auth refused on reconnect, or out of reconnects
            self._log.error(f"Polygon {market.value} stream stopped: {exc}")

    # --- subscriptions --------------------------------------------------------------------
    async def _subscribe_quote_ticks(self, command: SubscribeQuoteTicks) -> None:
        watched = await self._watch(command.instrument_id)
        if watched is not None:
            ticker = watched.ticker
            self._quoted[(ticker.market, ticker.stream_symbol)] = watched
            await self._change(ticker.market, ticker.quote_channel, subscribe=True)

    async def _unsubscribe_quote_ticks(self, command: UnsubscribeQuoteTicks) -> None:
        watched = self._known(command.instrument_id)
        if watched is not None:
            ticker = watched.ticker
            self._quoted.pop((ticker.market, ticker.stream_symbol), None)
            await self._change(ticker.market, ticker.quote_channel, subscribe=False)

    async def _subscribe_trade_ticks(self, command: SubscribeTradeTicks) -> None:
        watched = await self._watch(command.instrument_id)
        if watched is None:
            return
        ticker = watched.ticker
        if ticker.trade_channel is None:
            self._log.error(f"Polygon has no trades of {command.instrument_id} (forex: quotes)")
            return
        self._traded[(ticker.market, ticker.stream_symbol)] = watched
        await self._change(ticker.market, ticker.trade_channel, subscribe=True)

    async def _unsubscribe_trade_ticks(self, command: UnsubscribeTradeTicks) -> None:
        watched = self._known(command.instrument_id)
        channel = None if watched is None else watched.ticker.trade_channel
        if watched is not None and channel is not None:
            self._traded.pop((watched.ticker.market, watched.ticker.stream_symbol), None)
            await self._change(watched.ticker.market, channel, subscribe=False)

    async def _subscribe_bars(self, command: SubscribeBars) -> None:
        bar_type = command.bar_type
        if bar_type != minute_bar_type(bar_type.instrument_id):
            self._log.error(
                f"Polygon streams minute bars only: subscribe to "
                f"{minute_bar_type(bar_type.instrument_id)}, not {bar_type}"
            )
            return
        watched = await self._watch(bar_type.instrument_id)
        if watched is not None:
            ticker = watched.ticker
            self._barred[(ticker.market, ticker.stream_symbol)] = (watched, bar_type)
            await self._change(ticker.market, ticker.bar_channel, subscribe=True)

    async def _unsubscribe_bars(self, command: UnsubscribeBars) -> None:
        watched = self._known(command.bar_type.instrument_id)
        if watched is not None:
            ticker = watched.ticker
            self._barred.pop((ticker.market, ticker.stream_symbol), None)
            await self._change(ticker.market, ticker.bar_channel, subscribe=False)

    async def _change(self, market: Market, channel: str, *, subscribe: bool) -> None:
        try:
            stream = await self._stream(market)
            if subscribe:
                await stream.subscribe(channel)
            else:
                await stream.unsubscribe(channel)
        except PolygonError as exc:
            self._log.error(f"{'subscribe' if subscribe else 'unsubscribe'} {channel}: {exc}")

    async def _watch(self, instrument_id: InstrumentId) -> _Watched | None:
        """The instrument's entry, loading it from its definition on first use."""
        known = self._known(instrument_id, quiet=True)
        if known is not None:
            return known
        try:
            await self._provider.load_async(instrument_id)
        except PolygonTickerError as exc:
            self._log.error(str(exc))
            return None
        instrument = self._provider.find(instrument_id)
        if instrument is not None:
            self._handle_data(instrument)
        return self._known(instrument_id)

    def _known(self, instrument_id: InstrumentId, *, quiet: bool = False) -> _Watched | None:
        instrument = self._provider.find(instrument_id)
        if instrument is None:
            if not quiet:
                self._log.error(f"{instrument_id} is not a loaded Polygon instrument")
            return None
        return _Watched(
            self._provider.ticker(instrument_id),
            instrument,
            instrument.price_precision,
            instrument.size_precision,
        )

    # --- what the streams send ------------------------------------------------------------
    def _on_event(self, market: Market, event: Event) -> None:
        self.events_received += 1
        try:
            if isinstance(event, ForexQuote | StockQuote | CryptoQuote):
                self._on_quote(market, event)
            elif isinstance(event, StockTrade | CryptoTrade):
                self._on_trade(market, event)
            elif isinstance(event, _MinuteAgg):
                self._on_minute(market, event)
        except (ValueError, ArithmeticError) as exc:
            self._log.error(f"Polygon event not applied: {event!r}: {exc}")

    def _on_quote(self, market: Market, event: ForexQuote | StockQuote | CryptoQuote) -> None:
        symbol = event.pair if isinstance(event, ForexQuote) else _symbol(event)
        watched = self._quoted.get((market, symbol))
        if watched is None:
            return
        digits, size = watched.price_precision, watched.size_precision
        if isinstance(event, ForexQuote):
            bid, ask, bid_size, ask_size = event.bid, event.ask, Decimal(0), Decimal(0)
        else:
            bid, ask = event.bid_price, event.ask_price
            bid_size, ask_size = event.bid_size, event.ask_size
        quote = QuoteTick(
            instrument_id=watched.instrument.id,
            bid_price=price(bid, digits),
            ask_price=price(ask, digits),
            bid_size=quantity(bid_size, size),
            ask_size=quantity(ask_size, size),
            ts_event=event.timestamp * _NS_PER_MS,
            ts_init=self._clock.timestamp_ns(),
        )
        self._handle_data(quote)
        if self._tap is not None:
            self._tap.on_quote(quote)

    def _on_trade(self, market: Market, event: StockTrade | CryptoTrade) -> None:
        watched = self._traded.get((market, _symbol(event)))
        if watched is None:
            return
        trade_id = event.id or f"{event.timestamp}-{self.events_received}"
        self._handle_data(
            TradeTick(
                instrument_id=watched.instrument.id,
                price=price(event.price, watched.price_precision),
                size=quantity(event.size, watched.size_precision),
                aggressor_side=AggressorSide.NO_AGGRESSOR,
                trade_id=TradeId(trade_id),
                ts_event=event.timestamp * _NS_PER_MS,
                ts_init=self._clock.timestamp_ns(),
            )
        )

    def _on_minute(self, market: Market, event: _MinuteAgg) -> None:
        entry = self._barred.get((market, _symbol(event)))
        if entry is None:
            return
        watched, bar_type = entry
        end_ms = event.end if event.end is not None else event.start + _MINUTE_MS
        now = self._clock.timestamp_ns()
        prices = (event.open, event.high, event.low, event.close)
        self._handle_data(_bar(bar_type, watched, *prices, event.volume, end_ms, now))

    # --- historical bars ------------------------------------------------------------------
    async def _request_bars(self, request: RequestBars) -> None:
        """REST aggregates of the request's bar type, within its start and end; always
        answered, empty when they cannot be had (the error is logged)."""
        bars = await self._aggregates(request)
        self._handle_bars(
            request.bar_type, bars, request.id, request.start, request.end, request.params
        )

    async def _aggregates(self, request: RequestBars) -> list[Bar]:
        bar_type = request.bar_type
        watched = await self._watch(bar_type.instrument_id)
        if watched is None or self._rest is None:
            return []
        try:
            multiplier, timespan, length_ms = timespan_of(bar_type)
        except BarTypeError as exc:
            self._log.error(str(exc))
            return []
        now_ms = self._clock.timestamp_ns() // _NS_PER_MS
        end_ms = _ms(request.end) if request.end is not None else now_ms
        start_ms = _ms(request.start) if request.start is not None else end_ms - 1_000 * length_ms
        bars: list[Bar] = []
        try:
            async for page in self._rest.aggregates(
                watched.ticker.ticker, multiplier, timespan, start_ms, end_ms
            ):
                bars.extend(self._agg_bar(bar_type, watched, agg, length_ms) for agg in page)
        except PolygonError as exc:
            self._log.error(f"aggregates {watched.ticker.ticker} {bar_type}: {exc}")
            return []
        closed = [b for b in bars if b.ts_event <= end_ms * _NS_PER_MS]  # none still forming
        return closed[-request.limit :] if request.limit else closed

    def _agg_bar(self, bar_type: BarType, watched: _Watched, agg: Agg, length_ms: int) -> Bar:
        """Polygon stamps a bar with its start; NautilusTrader with its close."""
        now = self._clock.timestamp_ns()
        end_ms = agg.t + length_ms
        return _bar(bar_type, watched, agg.o, agg.h, agg.l, agg.c, agg.v, end_ms, now)


def _bar(
    bar_type: BarType,
    watched: _Watched,
    open_: Decimal,
    high: Decimal,
    low: Decimal,
    close: Decimal,
    volume: Decimal,
    end_ms: int,
    ts_init: int,
) -> Bar:
    digits = watched.price_precision
    return Bar(
        bar_type=bar_type,
        open=price(open_, digits),
        high=price(high, digits),
        low=price(low, digits),
        close=price(close, digits),
        volume=quantity(volume, watched.size_precision),
        ts_event=end_ms * _NS_PER_MS,
        ts_init=ts_init,
    )


def _symbol(event: StockQuote | CryptoQuote | StockTrade | CryptoTrade | _MinuteAgg) -> str:
    """The stream's name of the event's instrument: stocks `sym`, forex/crypto `pair`."""
    return event.sym if isinstance(event, StockQuote | StockTrade | StockMinuteAgg) else event.pair


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * 1_000 + moment.microsecond // 1_000
