"""`FixDataClient`: NautilusTrader's live market-data client on a FIX 4.4 session.

A quote subscription is a MarketDataRequest (top of book, snapshot + incremental refresh);
each snapshot and each refresh becomes a QuoteTick through `_handle_data`. An incremental
refresh may move one side only, so the last bid and ask of each symbol are kept and a quote
is published once both sides are known. A venue forgets subscriptions when the session
drops: after the session logs on again, every subscription is requested anew.
Instruments come from the configured provider. Each published quote also goes to the
node's quote tap, when it has one (adapters/quote_tap.py).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.data.messages import SubscribeQuoteTicks, UnsubscribeQuoteTicks
from nautilus_trader.live.data_client import LiveMarketDataClient
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.model.instruments import Instrument

from execution_engine.adapters.fix.codes import MdEntryType
from execution_engine.adapters.fix.config import FIX_CLIENT, FixDataClientConfig
from execution_engine.adapters.fix.hub import FixSessionHub
from execution_engine.adapters.fix.messages import market_data_request
from execution_engine.adapters.fix.providers import FIX_VENUE, FixInstrumentProvider, fix_symbol
from execution_engine.adapters.fix.reports import MarketData, OtherMessage
from execution_engine.adapters.fix.session import FixSessionError
from execution_engine.adapters.fix.sinks import Inbound
from execution_engine.adapters.fix.wire import FixMessageError
from execution_engine.adapters.quote_tap import QuoteTap
from execution_engine.adapters.sandbox.providers import UnknownInstrumentError

_MD_REJECT = "Y"  # MarketDataRequestReject


class FixDataClient(LiveMarketDataClient):
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        config: FixDataClientConfig,
        hub: FixSessionHub,
        tap: QuoteTap | None = None,
    ) -> None:
        self._provider = FixInstrumentProvider(config.instruments)
        super().__init__(
            loop=loop,
            client_id=ClientId(FIX_CLIENT),
            venue=FIX_VENUE,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=self._provider,
            config=config,
        )
        self._venue = config.venue_config()
        self._node_state = Path(config.node_state)
        self._hub = hub
        # Top of book per FIX symbol: (bid, bid size), (ask, ask size); None until seen.
        self._touch: dict[str, dict[MdEntryType, tuple[Decimal, Decimal | None]]] = {}
        self._subscribed: set[InstrumentId] = set()
        self._tap = tap
        hub.on_relogon(self._resubscribe)

    async def _connect(self) -> None:
        await self._provider.initialize()
        for instrument in self._provider.list_all():
            self._handle_data(instrument)
        await self._hub.join(
            self._loop, self._venue, self._node_state, self._on_message, role="data"
        )

    async def _disconnect(self) -> None:
        await self._hub.leave(self._on_message)

    async def _subscribe_quote_ticks(self, command: SubscribeQuoteTicks) -> None:
        self._subscribed.add(command.instrument_id)
        self._send_md_request(command.instrument_id, subscribe=True)

    async def _unsubscribe_quote_ticks(self, command: UnsubscribeQuoteTicks) -> None:
        self._subscribed.discard(command.instrument_id)
        self._send_md_request(command.instrument_id, subscribe=False)
        self._touch.pop(fix_symbol(command.instrument_id), None)

    def _resubscribe(self) -> None:
        self._log.info(f"FIX session back: resubscribing {len(self._subscribed)} instrument(s)")
        for instrument_id in sorted(self._subscribed, key=str):
            self._send_md_request(instrument_id, subscribe=True)

    def _send_md_request(self, instrument_id: InstrumentId, *, subscribe: bool) -> None:
        symbol = fix_symbol(instrument_id)
        try:
            self._provider.by_fix_symbol(symbol)
            self._hub.initiator.send(
                market_data_request(_md_req_id(symbol), [symbol], subscribe=subscribe)
            )
        except (UnknownInstrumentError, FixSessionError, FixMessageError) as exc:
            self._log.error(f"quotes for {instrument_id}: {exc}")

    # --- what the venue sends -------------------------------------------------------------
    def _on_message(self, message: Inbound) -> None:
        try:
            if isinstance(message, MarketData) and not message.header.poss_dup:
                # A PossDup refresh is a resent old price (session.py rewinds the sequence
                # at start-up): applied, it would take the book back in time.
                self._on_market_data(message)
            elif isinstance(message, OtherMessage) and message.header.msg_type == _MD_REJECT:
                self._log.error(f"the venue refused a market data request: {message.raw!r}")
        except Exception as exc:  # one bad refresh must not stop the session's delivery
            self._log.exception(f"market data not applied: {message}", exc)

    def _on_market_data(self, data: MarketData) -> None:
        touched: set[str] = set()
        for entry in data.entries:
            symbol = entry.symbol or data.symbol
            if symbol is None:
                self._log.error(f"market data entry without a Symbol: {data}")
                continue
            self._touch.setdefault(symbol, {})[entry.entry_type] = (entry.price, entry.size)
            touched.add(symbol)
        ts_event = self._ts_event(data)
        for symbol in sorted(touched):
            quote = self._quote(symbol, ts_event)
            if quote is not None:
                self._handle_data(quote)
                if self._tap is not None:
                    self._tap.on_quote(quote)

    def _quote(self, symbol: str, ts_event: int) -> QuoteTick | None:
        sides = self._touch.get(symbol, {})
        bid, ask = sides.get(MdEntryType.BID), sides.get(MdEntryType.OFFER)
        if bid is None or ask is None:
            return None
        instrument: Instrument = self._provider.by_fix_symbol(symbol)
        return QuoteTick(
            instrument_id=instrument.id,
            bid_price=instrument.make_price(bid[0]),
            ask_price=instrument.make_price(ask[0]),
            bid_size=instrument.make_qty(bid[1] or 0),
            ask_size=instrument.make_qty(ask[1] or 0),
            ts_event=ts_event,
            ts_init=self._clock.timestamp_ns(),
        )

    def _ts_event(self, data: MarketData) -> int:
        sent = data.header.sending_time
        if sent is None:
            return int(self._clock.timestamp_ns())
        return int(sent.timestamp()) * 1_000_000_000 + sent.microsecond * 1_000


def _md_req_id(symbol: str) -> str:
    """One MarketDataRequest per symbol: its id, the same to subscribe and unsubscribe."""
    return f"MD-{symbol}"
