"""msgspec Structs of Polygon.io's REST and WebSocket bodies, with Polygon's field names.

Prices and sizes are Decimal: msgspec decodes a JSON number into a Decimal field from its
text, so 1.10028 stays exactly 1.10028. Python names spell out Polygon's one-letter keys
(`field(name=...)` keeps the wire name); unknown keys are ignored, so a field Polygon adds
later does not break decoding.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec
from msgspec import field

# ---- REST -------------------------------------------------------------------------------


class Agg(msgspec.Struct, frozen=True):
    """One aggregate bar: `t` is the window's start in Unix milliseconds."""

    o: Decimal
    h: Decimal
    l: Decimal  # noqa: E741 - Polygon's own name for the low
    c: Decimal
    v: Decimal
    t: int
    vw: Decimal | None = None
    n: int | None = None
    otc: bool | None = None


class AggsResponse(msgspec.Struct, frozen=True):
    """GET /v2/aggs/ticker/{ticker}/range/...: one page of aggregates."""

    status: str
    ticker: str = ""
    adjusted: bool = True
    query_count: int = field(default=0, name="queryCount")
    results_count: int = field(default=0, name="resultsCount")
    results: list[Agg] = []
    request_id: str = ""
    count: int | None = None
    next_url: str | None = None


class ErrorBody(msgspec.Struct, frozen=True):
    """What Polygon answers with a 4xx/5xx: `error` or `message` says why."""

    status: str = "ERROR"
    request_id: str = ""
    error: str | None = None
    message: str | None = None


class LastQuote(msgspec.Struct, frozen=True):
    """The latest NBBO of a stock (/v2/last/nbbo): timestamps in Unix nanoseconds."""

    ticker: str = field(name="T")
    bid_price: Decimal = field(name="p")
    bid_size: Decimal = field(name="s")
    ask_price: Decimal = field(name="P")
    ask_size: Decimal = field(name="S")
    sip_timestamp: int = field(name="t")
    bid_exchange: int | None = field(default=None, name="x")
    ask_exchange: int | None = field(default=None, name="X")
    participant_timestamp: int | None = field(default=None, name="y")
    trf_timestamp: int | None = field(default=None, name="f")
    sequence_number: int | None = field(default=None, name="q")
    conditions: list[int] | None = field(default=None, name="c")
    indicators: list[int] | None = field(default=None, name="i")
    tape: int | None = field(default=None, name="z")


class LastTrade(msgspec.Struct, frozen=True):
    """The latest trade of a stock (/v2/last/trade): timestamps in Unix nanoseconds."""

    ticker: str = field(name="T")
    price: Decimal = field(name="p")
    size: Decimal = field(name="s")
    sip_timestamp: int = field(name="t")
    id: str | None = field(default=None, name="i")
    exchange: int | None = field(default=None, name="x")
    participant_timestamp: int | None = field(default=None, name="y")
    trf_timestamp: int | None = field(default=None, name="f")
    sequence_number: int | None = field(default=None, name="q")
    conditions: list[int] | None = field(default=None, name="c")
    tape: int | None = field(default=None, name="z")


class LastQuoteResponse(msgspec.Struct, frozen=True):
    status: str
    results: LastQuote
    request_id: str = ""


class LastTradeResponse(msgspec.Struct, frozen=True):
    status: str
    results: LastTrade
    request_id: str = ""


class LastForexQuote(msgspec.Struct, frozen=True):
    """The latest quote of a currency pair (/v1/last_quote/currencies): timestamp in ms."""

    ask: Decimal
    bid: Decimal
    timestamp: int
    exchange: int | None = None


class LastForexQuoteResponse(msgspec.Struct, frozen=True):
    status: str
    last: LastForexQuote
    symbol: str = ""
    request_id: str = ""


class LastCryptoTrade(msgspec.Struct, frozen=True):
    """The latest trade of a crypto pair (/v1/last/crypto): timestamp in ms."""

    price: Decimal
    size: Decimal
    timestamp: int
    exchange: int | None = None
    conditions: list[int] | None = None


class LastCryptoTradeResponse(msgspec.Struct, frozen=True):
    status: str
    last: LastCryptoTrade
    symbol: str = ""
    request_id: str = ""


class TickerInfo(msgspec.Struct, frozen=True):
    """One row of /v3/reference/tickers (market: stocks, fx, crypto, otc, indices)."""

    ticker: str
    name: str = ""
    market: str = ""
    locale: str = ""
    active: bool = True
    type: str | None = None
    primary_exchange: str | None = None
    currency_name: str | None = None
    currency_symbol: str | None = None
    base_currency_symbol: str | None = None
    base_currency_name: str | None = None
    last_updated_utc: str | None = None


class TickersResponse(msgspec.Struct, frozen=True):
    status: str
    results: list[TickerInfo] = []
    count: int | None = None
    request_id: str = ""
    next_url: str | None = None


class MarketStatus(msgspec.Struct, frozen=True):
    """/v1/marketstatus/now: "open", "closed" or "extended-hours" per market and exchange."""

    market: str
    server_time: str = field(default="", name="serverTime")
    after_hours: bool = field(default=False, name="afterHours")
    early_hours: bool = field(default=False, name="earlyHours")
    exchanges: dict[str, str] = {}
    currencies: dict[str, str] = {}


# ---- WebSocket --------------------------------------------------------------------------
# Each frame is a JSON array of events tagged by "ev". Timestamps are Unix milliseconds.


class StatusEvent(msgspec.Struct, frozen=True, tag_field="ev", tag="status"):
    """connected, auth_success, auth_failed, success ("subscribed to: ..."), error..."""

    status: str
    message: str = ""


class StockTrade(msgspec.Struct, frozen=True, tag_field="ev", tag="T"):
    sym: str
    price: Decimal = field(name="p")
    size: Decimal = field(name="s")
    timestamp: int = field(name="t")
    exchange: int | None = field(default=None, name="x")
    id: str | None = field(default=None, name="i")
    tape: int | None = field(default=None, name="z")
    conditions: list[int] | None = field(default=None, name="c")
    sequence_number: int | None = field(default=None, name="q")


class StockQuote(msgspec.Struct, frozen=True, tag_field="ev", tag="Q"):
    sym: str
    bid_price: Decimal = field(name="bp")
    bid_size: Decimal = field(name="bs")
    ask_price: Decimal = field(name="ap")
    ask_size: Decimal = field(name="as")
    timestamp: int = field(name="t")
    bid_exchange: int | None = field(default=None, name="bx")
    ask_exchange: int | None = field(default=None, name="ax")
    condition: int | None = field(default=None, name="c")
    sequence_number: int | None = field(default=None, name="q")
    tape: int | None = field(default=None, name="z")


class _StockAggFields(msgspec.Struct, frozen=True):
    sym: str
    open: Decimal = field(name="o")
    high: Decimal = field(name="h")
    low: Decimal = field(name="l")
    close: Decimal = field(name="c")
    volume: Decimal = field(name="v")
    start: int = field(name="s")
    end: int = field(name="e")
    accumulated_volume: Decimal | None = field(default=None, name="av")
    official_open: Decimal | None = field(default=None, name="op")
    vwap: Decimal | None = field(default=None, name="vw")
    day_vwap: Decimal | None = field(default=None, name="a")
    average_size: Decimal | None = field(default=None, name="z")
    otc: bool | None = None


class StockSecondAgg(_StockAggFields, frozen=True, tag_field="ev", tag="A"):
    """A: the aggregate of one second."""


class StockMinuteAgg(_StockAggFields, frozen=True, tag_field="ev", tag="AM"):
    """AM: the aggregate of one minute."""


class ForexQuote(msgspec.Struct, frozen=True, tag_field="ev", tag="C"):
    """C: a currency pair's quote; `pair` is "EUR/USD"."""

    pair: str = field(name="p")
    ask: Decimal = field(name="a")
    bid: Decimal = field(name="b")
    timestamp: int = field(name="t")
    exchange: int | None = field(default=None, name="x")


class ForexMinuteAgg(msgspec.Struct, frozen=True, tag_field="ev", tag="CA"):
    pair: str
    open: Decimal = field(name="o")
    high: Decimal = field(name="h")
    low: Decimal = field(name="l")
    close: Decimal = field(name="c")
    volume: Decimal = field(name="v")
    start: int = field(name="s")
    end: int | None = field(default=None, name="e")


class CryptoTrade(msgspec.Struct, frozen=True, tag_field="ev", tag="XT"):
    """XT: a crypto trade; `pair` is "BTC-USD"."""

    pair: str
    price: Decimal = field(name="p")
    size: Decimal = field(name="s")
    timestamp: int = field(name="t")
    exchange: int | None = field(default=None, name="x")
    id: str | None = field(default=None, name="i")
    conditions: list[int] | None = field(default=None, name="c")
    received: int | None = field(default=None, name="r")


class CryptoQuote(msgspec.Struct, frozen=True, tag_field="ev", tag="XQ"):
    pair: str
    bid_price: Decimal = field(name="bp")
    bid_size: Decimal = field(name="bs")
    ask_price: Decimal = field(name="ap")
    ask_size: Decimal = field(name="as")
    timestamp: int = field(name="t")
    exchange: int | None = field(default=None, name="x")
    received: int | None = field(default=None, name="r")


class CryptoMinuteAgg(msgspec.Struct, frozen=True, tag_field="ev", tag="XA"):
    pair: str
    open: Decimal = field(name="o")
    high: Decimal = field(name="h")
    low: Decimal = field(name="l")
    close: Decimal = field(name="c")
    volume: Decimal = field(name="v")
    start: int = field(name="s")
    end: int = field(name="e")
    vwap: Decimal | None = field(default=None, name="vw")
    average_size: Decimal | None = field(default=None, name="z")


Event = (
    StatusEvent
    | StockTrade
    | StockQuote
    | StockSecondAgg
    | StockMinuteAgg
    | ForexQuote
    | ForexMinuteAgg
    | CryptoTrade
    | CryptoQuote
    | CryptoMinuteAgg
)
"""Anything one element of a WebSocket frame decodes to."""

MARKETS = ("stocks", "forex", "crypto")
"""The WebSocket clusters: wss://socket.polygon.io/{market}."""

CHANNELS: dict[str, tuple[str, ...]] = {
    "stocks": ("T", "Q", "A", "AM"),
    "forex": ("C", "CA"),
    "crypto": ("XT", "XQ", "XA"),
}
"""The channels (subscription prefixes) each market's cluster serves."""
