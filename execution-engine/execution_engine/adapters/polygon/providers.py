"""Polygon's tickers as NautilusTrader instruments, through Gauntlet's own definitions.

Polygon names a forex pair `C:EURUSD`, a crypto pair `X:BTCUSD` and a stock by its plain
ticker (`AAPL`). The part after the prefix is resolved by `marketdata.instruments` (the user's
instruments file, then the built-in definitions, then the naming rules), with the asset class
the prefix implies, and built by the sandbox's `build_instrument`, so EUR/USD has the same tick,
lot and margins whether it is backtested, paper traded or watched on Polygon.

The venue is POLYGON, a data venue, not the instrument's trading venue: Polygon's forex and
crypto prices are its own consolidation of many sources, not any one broker's book, and a
stock's quote is the NBBO, not one exchange's. Naming them EUR/USD.POLYGON keeps a strategy
from mistaking them for the prices it would be filled at on OANDA or FIX; a node that trades
on Polygon's prices subscribes to the POLYGON instrument on purpose.

The WebSocket names the same instruments `C.EUR/USD` (forex quotes), `XQ.BTC-USD` (crypto
quotes) and `Q.AAPL` (stock quotes); `PolygonTicker` holds every spelling of one ticker.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
from nautilus_trader.model.instruments import Instrument

from execution_engine.adapters.sandbox.providers import UnknownInstrumentError, build_instrument
from marketdata.instruments import (
    AssetClass,
    InstrumentBook,
    InstrumentError,
    load_instrument_book,
    resolve_instrument,
)
from marketdata.instruments import Instrument as Definition

POLYGON = "POLYGON"
POLYGON_VENUE = Venue(POLYGON)


class PolygonTickerError(ValueError):
    """A ticker this adapter cannot map to an instrument; one line saying why."""


class Market(StrEnum):
    """Polygon's markets: each has its own WebSocket cluster (`wss://socket.polygon.io/<m>`)."""

    STOCKS = "stocks"
    FOREX = "forex"
    CRYPTO = "crypto"


# Channel prefixes per market: (quotes, trades, minute aggregates). Forex has no trades.
_CHANNELS: dict[Market, tuple[str, str | None, str]] = {
    Market.STOCKS: ("Q", "T", "AM"),
    Market.FOREX: ("C", None, "CA"),
    Market.CRYPTO: ("XQ", "XT", "XA"),
}
_PREFIX = {"C": Market.FOREX, "X": Market.CRYPTO}
_ASSET_CLASS = {Market.STOCKS: "equity", Market.FOREX: "fx", Market.CRYPTO: "crypto"}


@dataclass(frozen=True)
class PolygonTicker:
    """One Polygon ticker with its definition and every name it goes by."""

    ticker: str  # REST: "C:EURUSD", "X:BTCUSD", "AAPL"
    market: Market
    definition: Definition

    @property
    def catalog_name(self) -> str:
        """The catalog's (and PostgreSQL's) instrument name: "EURUSD", "BTCUSD", "AAPL", as
        `gauntlet data import --instrument EURUSD` writes it."""
        return "".join(ch for ch in self.definition.symbol if ch.isalnum()).upper()

    @property
    def stream_symbol(self) -> str:
        """How the WebSocket names it: "EUR/USD" (forex), "BTC-USD" (crypto), "AAPL"."""
        symbol = self.definition.symbol
        if self.market is Market.CRYPTO:
            return symbol.replace("/", "-")
        return symbol

    @property
    def quote_channel(self) -> str:
        return f"{_CHANNELS[self.market][0]}.{self.stream_symbol}"

    @property
    def trade_channel(self) -> str | None:
        prefix = _CHANNELS[self.market][1]
        return None if prefix is None else f"{prefix}.{self.stream_symbol}"

    @property
    def bar_channel(self) -> str:
        return f"{_CHANNELS[self.market][2]}.{self.stream_symbol}"

    def instrument_id(self, venue: Venue = POLYGON_VENUE) -> InstrumentId:
        return InstrumentId(Symbol(self.definition.symbol), venue)

    def instrument(self, venue: Venue = POLYGON_VENUE) -> Instrument:
        """The NautilusTrader instrument: the sandbox's build of the definition, on `venue`."""
        try:
            built = build_instrument(self.definition)
        except UnknownInstrumentError as exc:
            # The sandbox names its own venue; here the instrument is simply unknown.
            reason = str(exc).replace(" to venue SIM", "")
            raise PolygonTickerError(f"Polygon ticker {self.ticker!r}: {reason}") from None
        kind = type(built)
        # build_instrument lists on SIM; the same instrument on another venue is its dict
        # with another id (the types' own to_dict/from_dict keep every other field).
        fields = kind.to_dict(built)
        fields["id"] = str(self.instrument_id(venue))
        return kind.from_dict(fields)


def polygon_ticker(ticker: str, book: InstrumentBook | None = None) -> PolygonTicker:
    """`C:EURUSD`, `X:BTCUSD` or `AAPL` → its PolygonTicker; PolygonTickerError if the
    name has no definition or the definition is of another asset class."""
    text = ticker.strip()
    prefix, colon, rest = text.partition(":")
    if colon and prefix.upper() not in _PREFIX:
        raise PolygonTickerError(
            f"Polygon ticker {ticker!r}: unsupported prefix {prefix!r}: use C: (forex), "
            "X: (crypto) or a stock ticker"
        )
    market = _PREFIX[prefix.upper()] if colon else Market.STOCKS
    name = rest if colon else text
    if not name or any(ch.isspace() for ch in name):
        raise PolygonTickerError(f"{ticker!r} is not a Polygon ticker (e.g. C:EURUSD, AAPL)")
    try:
        definition = resolve_instrument(name, book or load_instrument_book(), _ASSET_CLASS[market])
    except InstrumentError as exc:
        raise PolygonTickerError(f"Polygon ticker {ticker!r}: {exc}") from None
    canonical = f"{prefix.upper()}:{name.upper()}" if colon else name.upper()
    found = PolygonTicker(canonical, market, definition)
    found.instrument()  # an ad hoc pair of unknown currencies (C:FOOBAR) fails here, not later
    return found


def ticker_of(instrument_id: InstrumentId, book: InstrumentBook | None = None) -> PolygonTicker:
    """The Polygon ticker of an instrument: EUR/USD.POLYGON → C:EURUSD, BTC/USD → X:BTCUSD,
    AAPL → AAPL (the definition's asset class says which market)."""
    try:
        definition = resolve_instrument(instrument_id.symbol.value, book or load_instrument_book())
    except InstrumentError as exc:
        raise PolygonTickerError(f"{instrument_id}: {exc}") from None
    plain = "".join(ch for ch in definition.symbol if ch.isalnum()).upper()
    if definition.asset_class is AssetClass.FX:
        return PolygonTicker(f"C:{plain}", Market.FOREX, definition)
    if definition.asset_class is AssetClass.CRYPTO:
        return PolygonTicker(f"X:{plain}", Market.CRYPTO, definition)
    if definition.asset_class is AssetClass.EQUITY:
        return PolygonTicker(definition.symbol.upper(), Market.STOCKS, definition)
    raise PolygonTickerError(
        f"{instrument_id}: Polygon has no {definition.asset_class.value} data through this "
        "adapter (forex, crypto and stocks only)"
    )


class PolygonInstrumentProvider(InstrumentProvider):
    """The instruments of the configured Polygon tickers, on venue `venue` (POLYGON).

    Polygon's reference data says nothing about tick or lot sizes, so loading is building
    from the definitions; no request is made.
    """

    def __init__(
        self,
        tickers: tuple[str, ...],
        *,
        venue: Venue = POLYGON_VENUE,
        instruments_file: Path | None = None,
        config: InstrumentProviderConfig | None = None,
    ) -> None:
        super().__init__(config or InstrumentProviderConfig(load_all=True))
        self.venue = venue
        self._book = load_instrument_book(instruments_file)
        self._configured = tuple(polygon_ticker(t, self._book) for t in tickers)
        self._by_id: dict[InstrumentId, PolygonTicker] = {}

    def ticker(self, instrument_id: InstrumentId) -> PolygonTicker:
        """The ticker of a loaded instrument; PolygonTickerError if it is not loaded."""
        try:
            return self._by_id[instrument_id]
        except KeyError:
            raise PolygonTickerError(
                f"{instrument_id} is not a loaded Polygon instrument"
            ) from None

    def tickers(self) -> tuple[PolygonTicker, ...]:
        return tuple(self._by_id.values())

    async def load_all_async(self, filters: dict[str, object] | None = None) -> None:
        for ticker in self._configured:
            self._add(ticker)

    async def load_ids_async(
        self, instrument_ids: list[InstrumentId], filters: dict[str, object] | None = None
    ) -> None:
        for instrument_id in instrument_ids:
            await self.load_async(instrument_id, filters)

    async def load_async(
        self, instrument_id: InstrumentId, filters: dict[str, object] | None = None
    ) -> None:
        if instrument_id.venue != self.venue:
            raise PolygonTickerError(f"instrument {instrument_id} is not on venue {self.venue}")
        configured = next(
            (t for t in self._configured if t.instrument_id(self.venue) == instrument_id), None
        )
        self._add(configured or ticker_of(instrument_id, self._book))

    def _add(self, ticker: PolygonTicker) -> None:
        instrument = ticker.instrument(self.venue)
        self._by_id[instrument.id] = ticker
        self.add(instrument)
