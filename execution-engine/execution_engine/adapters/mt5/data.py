"""`Mt5DataClient`: NautilusTrader's live market-data client on a MetaTrader terminal.

A quote subscription is the `subscribe` op; the EA then sends `ticks` events (batched rows
`[symbol, time_ms, bid, ask, last, volume]`), each row a QuoteTick through `_handle_data`.
Bars: `bar` events (a bar closed on a subscribed symbol) for the subscribed external bar
types, and historical bars by the `rates` op. MetaTrader's bars are built from bid prices,
so the bar types are `<instrument>-<step>-<MINUTE|HOUR|DAY>-BID-EXTERNAL`.

Sizes: a MetaTrader tick has no bid or ask size (its `volume` is the last deal's, on
exchange symbols only), so quotes carry size 0, as the FIX client's do when a venue sends
none. The tick path is the hot one (goal: 50,000 ticks/s): each symbol's instrument id and
precisions are looked up once, prices are parsed from their decimal strings straight into
NautilusTrader's fixed-point raw values (exact, no float, no Decimal, no pydantic), and a
price with more decimals than the symbol's digits takes the slow, rounding path. Each
published quote also goes to the node's quote tap, when it has one (adapters/quote_tap.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
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
from nautilus_trader.model.data import Bar, BarSpecification, BarType, QuoteTick
from nautilus_trader.model.enums import AggregationSource, BarAggregation, PriceType
from nautilus_trader.model.identifiers import ClientId, InstrumentId, Venue
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import FIXED_PRECISION

from execution_engine.adapters.mt5.bridge import BridgeError
from execution_engine.adapters.mt5.codes import Event, Op
from execution_engine.adapters.mt5.config import MT5_CLIENT, Mt5DataClientConfig
from execution_engine.adapters.mt5.hub import DATA, Mt5BridgeHub
from execution_engine.adapters.quote_tap import QuoteTap

_NS_PER_MS = 1_000_000
# Decimals in the string → the factor to NautilusTrader's fixed-point raw value.
_RAW_FACTOR = tuple(10 ** (FIXED_PRECISION - n) for n in range(FIXED_PRECISION + 1))
TIMEFRAMES: dict[str, tuple[int, BarAggregation]] = {
    "M1": (1, BarAggregation.MINUTE),
    "M5": (5, BarAggregation.MINUTE),
    "M15": (15, BarAggregation.MINUTE),
    "M30": (30, BarAggregation.MINUTE),
    "H1": (1, BarAggregation.HOUR),
    "H4": (4, BarAggregation.HOUR),
    "D1": (1, BarAggregation.DAY),
}
_TIMEFRAME_OF = {spec: name for name, spec in TIMEFRAMES.items()}
_UNIT_MS = {
    BarAggregation.MINUTE: 60_000,
    BarAggregation.HOUR: 3_600_000,
    BarAggregation.DAY: 86_400_000,
}
_RATES_COUNT = 1_000  # bars asked for when a request gives no limit
_TICKS, _BAR = Event.TICKS.value, Event.BAR.value  # an enum member's .value costs per tick


class BarTypeError(ValueError):
    """A bar type MetaTrader has no timeframe for; one line naming it."""


def timeframe_of(bar_type: BarType) -> str:
    """The MetaTrader timeframe ("M5") of an external BID bar type; BarTypeError otherwise."""
    spec = bar_type.spec
    name = _TIMEFRAME_OF.get((spec.step, spec.aggregation))
    if name is None or spec.price_type != PriceType.BID:
        raise BarTypeError(
            f"MetaTrader has no bars {bar_type}: timeframes are "
            f"{', '.join(TIMEFRAMES)} of BID prices"
        )
    return name


def bar_type_of(instrument_id: InstrumentId, timeframe: str) -> BarType:
    step, aggregation = TIMEFRAMES[timeframe]
    spec = BarSpecification(step, aggregation, PriceType.BID)
    return BarType(instrument_id, spec, AggregationSource.EXTERNAL)


@dataclass(frozen=True)
class _Symbol:
    """What a tick of one symbol needs, looked up once."""

    instrument: Instrument
    instrument_id: InstrumentId
    digits: int
    size_precision: int


class Mt5DataClient(LiveMarketDataClient):
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        config: Mt5DataClientConfig,
        hub: Mt5BridgeHub,
        tap: QuoteTap | None = None,
    ) -> None:
        self._venue = config.venue_config()
        venue = Venue(self._venue.venue)
        self._provider = hub.provider(config.instruments, venue)
        super().__init__(
            loop=loop,
            client_id=ClientId(MT5_CLIENT),
            venue=venue,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=self._provider,
            config=config,
        )
        self._hub = hub
        self._symbols: dict[str, _Symbol] = {}
        self._quoted: set[str] = set()  # symbols with a quote subscription
        self._bar_types: dict[tuple[str, str], BarType] = {}  # (symbol, timeframe) → type
        self.ticks_received = 0
        self._tap = tap

    # --- connection -----------------------------------------------------------------------
    async def _connect(self) -> None:
        await self._hub.join(self._venue, DATA, self._on_event, self._on_connection)
        await self._provider.initialize()
        for instrument in self._provider.list_all():
            self._handle_data(instrument)
            # Tick rows name the terminal's symbol, the instrument's raw symbol.
            self._symbols[str(instrument.raw_symbol.value)] = _Symbol(
                instrument, instrument.id, instrument.price_precision, instrument.size_precision
            )

    async def _disconnect(self) -> None:
        await self._hub.leave(DATA)

    def _on_connection(self, connected: bool) -> None:
        if connected and self._watched():
            self._log.info(f"terminal back: subscribing {len(self._watched())} symbol(s) again")
            self.create_task(self._send_subscription(sorted(self._watched()), subscribe=True))

    # --- subscriptions --------------------------------------------------------------------
    async def _subscribe_quote_ticks(self, command: SubscribeQuoteTicks) -> None:
        symbol = self._terminal_symbol(command.instrument_id)
        if symbol is not None:
            self._quoted.add(symbol)
            await self._send_subscription([symbol], subscribe=True)
            await self._send_snapshot(symbol)

    async def _unsubscribe_quote_ticks(self, command: UnsubscribeQuoteTicks) -> None:
        symbol = self._terminal_symbol(command.instrument_id)
        if symbol is not None:
            self._quoted.discard(symbol)
            if symbol not in self._watched():
                await self._send_subscription([symbol], subscribe=False)

    async def _subscribe_bars(self, command: SubscribeBars) -> None:
        symbol = self._terminal_symbol(command.bar_type.instrument_id)
        try:
            timeframe = timeframe_of(command.bar_type)
        except BarTypeError as exc:
            self._log.error(str(exc))
            return
        if symbol is not None:
            self._bar_types[(symbol, timeframe)] = command.bar_type
            await self._send_subscription([symbol], subscribe=True)

    async def _unsubscribe_bars(self, command: UnsubscribeBars) -> None:
        symbol = self._terminal_symbol(command.bar_type.instrument_id)
        if symbol is None:
            return
        self._bar_types = {k: v for k, v in self._bar_types.items() if v != command.bar_type}
        if symbol not in self._watched():
            await self._send_subscription([symbol], subscribe=False)

    def _watched(self) -> set[str]:
        return self._quoted | {symbol for symbol, _ in self._bar_types}

    async def _send_subscription(self, symbols: list[str], *, subscribe: bool) -> None:
        op = Op.SUBSCRIBE if subscribe else Op.UNSUBSCRIBE
        try:
            await self._hub.request(op.value, {"symbols": symbols})
        except BridgeError as exc:
            self._log.error(f"{op.value} {', '.join(symbols)}: {exc}")

    async def _send_snapshot(self, symbol: str) -> None:
        """The terminal's last tick, published once: the EA sends ticks as they change, so a
        quiet market would leave a new subscriber without a quote (FIX's snapshot)."""
        try:
            answer = await self._hub.request(Op.TICK.value, {"symbol": symbol})
        except BridgeError as exc:
            self._log.warning(f"no snapshot of {symbol}: {exc}")
            return
        row = answer.get("tick")
        if isinstance(row, list) and row:
            self._on_ticks([row])

    def _terminal_symbol(self, instrument_id: InstrumentId) -> str | None:
        for raw, entry in self._symbols.items():
            if entry.instrument.id == instrument_id:
                return raw
        self._log.error(f"{instrument_id} is not a symbol loaded from the terminal")
        return None

    # --- historical bars ------------------------------------------------------------------
    async def _request_bars(self, request: RequestBars) -> None:
        """Historical bars by `rates`, closed within the request's start and end (a bar
        still forming is left out); always answered, empty when they cannot be had."""
        bars = await self._rates(request)
        start, end = request.start, request.end
        bars = [
            b
            for b in bars
            if (start is None or b.ts_event >= _ns(start))
            and (end is None or b.ts_event <= _ns(end))
        ]
        self._handle_bars(request.bar_type, bars, request.id, start, end, request.params)

    async def _rates(self, request: RequestBars) -> list[Bar]:
        bar_type = request.bar_type
        symbol = self._terminal_symbol(bar_type.instrument_id)
        try:
            timeframe = timeframe_of(bar_type)
        except BarTypeError as exc:
            self._log.error(str(exc))
            return []
        if symbol is None:
            return []
        args: dict[str, Any] = {
            "symbol": symbol,
            "timeframe": timeframe,
            "count": request.limit or _RATES_COUNT,
        }
        if request.end is not None:
            args["to_ms"] = _ns(request.end) // _NS_PER_MS
        try:
            data = await self._hub.request(Op.RATES.value, args)
        except BridgeError as exc:
            self._log.error(f"rates {symbol} {timeframe}: {exc}")
            return []
        return [self._bar(bar_type, symbol, row) for row in data.get("rates", [])]

    # --- what the terminal sends ----------------------------------------------------------
    def _on_event(self, event: str, data: dict[str, Any]) -> None:
        if event == _TICKS:
            self._on_ticks(data["ticks"])
        elif event == _BAR:
            self._on_bar(data)

    def _on_ticks(self, rows: list[list[Any]]) -> None:
        """The hot path: one QuoteTick per row, through `_handle_data`."""
        symbols, tap = self._symbols, self._tap
        now = self._clock.timestamp_ns()
        for row in rows:
            entry = symbols.get(row[0])
            if entry is None:
                continue
            try:
                quote = self._quote(entry, row, now)
            except (ValueError, IndexError, TypeError) as exc:
                self._log.error(f"tick not applied: {row!r}: {exc}")
                continue
            self.ticks_received += 1
            self._handle_data(quote)
            if tap is not None:
                tap.on_quote(quote)

    def _quote(self, entry: _Symbol, row: list[Any], now: int) -> QuoteTick:
        digits = entry.digits
        # _raw, inlined: this runs once per tick
        whole, _, bid_decimals = row[2].partition(".")
        ask_whole, _, ask_decimals = row[3].partition(".")
        if len(bid_decimals) > digits or len(ask_decimals) > digits:
            return self._rounded_quote(entry, row, now)
        bid = int(whole + bid_decimals) * _RAW_FACTOR[len(bid_decimals)]
        ask = int(ask_whole + ask_decimals) * _RAW_FACTOR[len(ask_decimals)]
        size = entry.size_precision
        return QuoteTick.from_raw(
            entry.instrument_id, bid, ask, digits, digits, 0, 0, size, size,
            row[1] * _NS_PER_MS, now,
        )  # fmt: skip

    def _rounded_quote(self, entry: _Symbol, row: list[Any], now: int) -> QuoteTick:
        """A price with more decimals than the symbol's digits: rounded to them, slowly."""
        instrument = entry.instrument
        return QuoteTick(
            instrument_id=instrument.id,
            bid_price=instrument.make_price(Decimal(row[2])),
            ask_price=instrument.make_price(Decimal(row[3])),
            bid_size=instrument.make_qty(0),
            ask_size=instrument.make_qty(0),
            ts_event=row[1] * _NS_PER_MS,
            ts_init=now,
        )

    def _on_bar(self, data: dict[str, Any]) -> None:
        symbol, timeframe = data.get("symbol"), data.get("timeframe")
        bar_type = self._bar_types.get((str(symbol), str(timeframe)))
        if bar_type is None:
            return  # a timeframe nobody subscribed to
        try:
            self._handle_data(self._bar(bar_type, str(symbol), data["rate"]))
        except (KeyError, ValueError, IndexError, TypeError) as exc:
            self._log.error(f"bar not applied: {data!r}: {exc}")

    def _bar(self, bar_type: BarType, symbol: str, row: list[Any]) -> Bar:
        """A rates row `[time_ms, open, high, low, close, tick_volume, spread, real_volume]`:
        MetaTrader stamps a bar with its open; NautilusTrader with its close."""
        instrument = self._symbols[symbol].instrument
        spec = bar_type.spec
        close_ms = int(row[0]) + spec.step * _UNIT_MS[spec.aggregation]
        return Bar(
            bar_type=bar_type,
            open=instrument.make_price(Decimal(row[1])),
            high=instrument.make_price(Decimal(row[2])),
            low=instrument.make_price(Decimal(row[3])),
            close=instrument.make_price(Decimal(row[4])),
            volume=instrument.make_qty(Decimal(row[5])),
            ts_event=close_ms * _NS_PER_MS,
            ts_init=self._clock.timestamp_ns(),
        )


def _ns(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000
