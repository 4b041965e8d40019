"""A recorded-answer v20 server for the client's tests: OANDA's documented bodies, served verbatim
over loopback by aiohttp in its own thread, with knobs a test turns (429s to send, a reject
reason, how the streams misbehave). Not a simulator: it keeps no account, it replays answers."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from aiohttp import web
from execution_engine.adapters.oanda.v20 import models as m
from execution_engine.adapters.oanda.v20.client import V20Client
from execution_engine.adapters.oanda.v20.endpoints import endpoint_for
from execution_engine.adapters.oanda.v20.errors import (
    OrderRejected,
    RateLimited,
    Unauthorized,
    V20Error,
    V20TransportError,
)
from pydantic import SecretStr

ACCOUNT = "101-004-1435156-001"
TOKEN = "good-token"

UNAUTHORIZED = b'{"errorMessage":"Insufficient authorization to perform request."}'

ACCOUNTS = (
    b'{"accounts":[{"id":"101-004-1435156-001","tags":[]},{"id":"101-004-1435156-002","tags":[]}]}'
)

SUMMARY = b"""{"account":{"NAV":"43650.78835","alias":"My New Account #2","balance":"43650.78835",
"createdByUserID":1435156,"createdTime":"2015-08-12T18:21:00.697504698Z","currency":"CHF",
"hedgingEnabled":false,"id":"101-004-1435156-001","lastTransactionID":"6356",
"marginAvailable":"43650.78835","marginCloseoutMarginUsed":"0.00000","marginCloseoutNAV":"43650.78835",
"marginCloseoutPercent":"0.00000","marginCloseoutPositionValue":"0.00000","marginCloseoutUnrealizedPL":"0.00000",
"marginRate":"0.02","marginUsed":"0.00000","openPositionCount":0,"openTradeCount":0,"pendingOrderCount":0,
"pl":"-56034.41199","positionValue":"0.00000","resettablePL":"-56034.41199","unrealizedPL":"0.00000",
"withdrawalLimit":"43650.78835"},"lastTransactionID":"6356"}"""

INSTRUMENTS = b"""{"instruments":[{"displayName":"EUR/USD","displayPrecision":5,"marginRate":"0.02",
"maximumOrderUnits":"100000000","maximumPositionSize":"0","maximumTrailingStopDistance":"1.00000",
"minimumTradeSize":"1","minimumTrailingStopDistance":"0.00050","name":"EUR_USD","pipLocation":-4,
"tradeUnitsPrecision":0,"type":"CURRENCY"}],"lastTransactionID":"6356"}"""

CANDLES = b"""{"candles":[{"complete":true,"mid":{"c":"1.09946","h":"1.09964","l":"1.09934","o":"1.09938"},
"time":"2016-10-17T15:00:00.000000000Z","volume":1073},{"complete":false,"mid":{"c":"1.09947",
"h":"1.09950","l":"1.09940","o":"1.09946"},"time":"2016-10-17T15:05:00.000000000Z","volume":215}],
"granularity":"M5","instrument":"EUR_USD"}"""

BAD_INSTRUMENT = b'{"errorMessage":"Invalid value specified for \'instrument\'"}'

ORDER_FILL = b"""{"orderCreateTransaction":{"type":"MARKET_ORDER","instrument":"EUR_USD","units":"100",
"timeInForce":"FOK","positionFill":"DEFAULT","reason":"CLIENT_ORDER","clientExtensions":{"id":"O-20261201-001"},
"id":"6372","accountID":"101-004-1435156-001","userID":1435156,"batchID":"6372",
"requestID":"60408066806702542","time":"2018-01-23T19:01:08.290574000Z"},
"orderFillTransaction":{"type":"ORDER_FILL","orderID":"6372","clientOrderID":"O-20261201-001",
"instrument":"EUR_USD","units":"100","price":"1.22961","pl":"0.0000","financing":"0.0000","commission":"0.0000",
"accountBalance":"99798.2551","gainQuoteHomeConversionFactor":"1","lossQuoteHomeConversionFactor":"1",
"guaranteedExecutionFee":"0.0000","halfSpreadCost":"0.0060","fullVWAP":"1.22961","reason":"MARKET_ORDER",
"tradeOpened":{"price":"1.22961","tradeID":"6373","units":"100","guaranteedExecutionFee":"0.0000",
"halfSpreadCost":"0.0060","initialMarginRequired":"2.4592"},
"fullPrice":{"closeoutBid":"1.22934","closeoutAsk":"1.22976","timestamp":"2018-01-23T19:01:08.167287000Z",
"bids":[{"price":"1.22949","liquidity":"10000000"}],"asks":[{"price":"1.22961","liquidity":"10000000"}]},
"id":"6373","accountID":"101-004-1435156-001","userID":1435156,"batchID":"6372",
"requestID":"60408066806702542","time":"2018-01-23T19:01:08.290574000Z"},
"relatedTransactionIDs":["6372","6373"],"lastTransactionID":"6373"}"""


def order_reject(reason: str) -> bytes:
    """OANDA's 400 answer to a market order it rejected for `reason`."""
    return (
        b'{"orderRejectTransaction":{"type":"MARKET_ORDER_REJECT","instrument":"EUR_USD",'
        b'"units":"100000000","timeInForce":"FOK","positionFill":"DEFAULT","reason":"CLIENT_ORDER",'
        b'"rejectReason":"' + reason.encode() + b'","id":"6374","accountID":"101-004-1435156-001",'
        b'"userID":1435156,"batchID":"6374","requestID":"60408066806702543",'
        b'"time":"2018-01-23T19:02:08.290574000Z"},"relatedTransactionIDs":["6374"],'
        b'"lastTransactionID":"6374","errorCode":"' + reason.encode() + b'",'
        b'"errorMessage":"The order was rejected"}'
    )


CANCEL = b"""{"orderCancelTransaction":{"type":"ORDER_CANCEL","orderID":"6375","clientOrderID":"my-limit",
"reason":"CLIENT_REQUEST","id":"6376","accountID":"101-004-1435156-001","userID":1435156,"batchID":"6376",
"requestID":"1","time":"2018-01-23T19:03:08.290574000Z"},"relatedTransactionIDs":["6376"],
"lastTransactionID":"6376"}"""

CANCEL_UNKNOWN = b"""{"orderCancelRejectTransaction":{"type":"ORDER_CANCEL_REJECT","orderID":"@nope",
"rejectReason":"ORDER_DOESNT_EXIST","id":"6377","accountID":"101-004-1435156-001","userID":1435156,
"batchID":"6377","requestID":"2","time":"2018-01-23T19:03:09.290574000Z"},"relatedTransactionIDs":["6377"],
"lastTransactionID":"6377","errorCode":"ORDER_DOESNT_EXIST","errorMessage":"The order ID specified does not exist"}"""


def price_line(n: int) -> bytes:
    return (
        b'{"type":"PRICE","time":"2026-12-01T20:00:00.%09dZ","bids":[{"price":"1.10012","liquidity":10000000}],'
        b'"asks":[{"price":"1.10024","liquidity":10000000}],"closeoutBid":"1.09996","closeoutAsk":"1.10040",'
        b'"status":"tradeable","tradeable":true,"instrument":"EUR_USD"}\n' % n
    )


HEARTBEAT = b'{"type":"HEARTBEAT","time":"2026-12-01T20:00:05.000000000Z"}\n'


def transaction_line(number: int) -> bytes:
    return (
        b'{"type":"ORDER_FILL","id":"%d","orderID":"%d","instrument":"EUR_USD","units":"1",'
        b'"price":"1.10024","accountID":"101-004-1435156-001","batchID":"%d",'
        b'"time":"2026-12-01T20:00:00.000000000Z"}\n' % (number, number - 1, number)
    )


def transaction_heartbeat(last: int) -> bytes:
    return (
        b'{"type":"TRANSACTION_HEARTBEAT","lastTransactionID":"%d","time":"2026-12-01T20:00:05.000000000Z"}\n'
        % last
    )


@dataclass
class Script:
    """What the server does next; tests set it, the server's handlers read it."""

    rate_limited: int = 0  # answer this many requests with 429 first
    retry_after: str = "0"
    reject_reason: str | None = None
    price_mode: str = "normal"  # normal | malformed | stall
    heartbeat: float = 0.1
    requests: list[tuple[str, float]] = field(default_factory=list)  # (path, loop time)
    order_bodies: list[bytes] = field(default_factory=list)
    stream_connections: dict[str, int] = field(default_factory=dict)
    since_asked: list[str] = field(default_factory=list)


class RecordedV20:
    """The server; `start()` returns once it listens on `port`."""

    def __init__(self) -> None:
        self.script = Script()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self) -> None:
        app = web.Application(middlewares=[self._gate])
        app.add_routes(
            [
                web.get("/v3/accounts", self._accounts),
                web.get("/v3/accounts/{id}/summary", self._summary),
                web.get("/v3/accounts/{id}/instruments", self._instruments),
                web.get("/v3/instruments/{name}/candles", self._candles),
                web.post("/v3/accounts/{id}/orders", self._create_order),
                web.put("/v3/accounts/{id}/orders/{spec}/cancel", self._cancel),
                web.get("/v3/accounts/{id}/transactions/sinceid", self._since),
                web.get("/v3/accounts/{id}/pricing/stream", self._prices),
                web.get("/v3/accounts/{id}/transactions/stream", self._transactions),
            ]
        )
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)  # streams never end by themselves
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.script.requests.append((request.path, asyncio.get_running_loop().time()))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json(UNAUTHORIZED, 401)
        if request.headers.get("Accept-Datetime-Format") != "RFC3339":
            return _json(b'{"errorMessage":"test server: RFC3339 times not asked"}', 400)
        if self.script.rate_limited > 0:
            self.script.rate_limited -= 1
            return web.Response(
                status=429,
                body=b'{"errorMessage":"Too many requests"}',
                headers={"Retry-After": self.script.retry_after},
                content_type="application/json",
            )
        response: web.StreamResponse = await handler(request)
        return response

    async def _accounts(self, request: web.Request) -> web.Response:
        return _json(ACCOUNTS)

    async def _summary(self, request: web.Request) -> web.Response:
        return _json(SUMMARY)

    async def _instruments(self, request: web.Request) -> web.Response:
        return _json(INSTRUMENTS)

    async def _candles(self, request: web.Request) -> web.Response:
        if request.match_info["name"] != "EUR_USD":
            return _json(BAD_INSTRUMENT, 400)
        return _json(CANDLES)

    async def _create_order(self, request: web.Request) -> web.Response:
        self.script.order_bodies.append(await request.read())
        if self.script.reject_reason is not None:
            return _json(order_reject(self.script.reject_reason), 400)
        return _json(ORDER_FILL, 201)

    async def _cancel(self, request: web.Request) -> web.Response:
        if request.match_info["spec"] == "@my-limit":
            return _json(CANCEL)
        return _json(CANCEL_UNKNOWN, 404)

    async def _since(self, request: web.Request) -> web.Response:
        since = request.query["id"]
        self.script.since_asked.append(since)
        # The stream below drops after 6 and reconnects past 7: 7 is only here.
        missing = [n for n in (7,) if n > int(since)]
        body = b",".join(transaction_line(n).strip() for n in missing)
        return _json(b'{"transactions":[' + body + b'],"lastTransactionID":"7"}')

    async def _prices(self, request: web.Request) -> web.StreamResponse:
        connection = self._count("prices")
        response = web.StreamResponse()
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):  # the client hangs up when it has enough
            await self._write_prices(response, connection)
        return response

    async def _write_prices(self, response: web.StreamResponse, connection: int) -> None:
        mode = self.script.price_mode
        if mode == "stall" and connection == 1:
            await response.write(price_line(1))
            await asyncio.sleep(60)  # never a heartbeat again: the client must give up on us
            return
        for n in range(1, 1_000_000):
            if mode == "malformed" and n % 3 == 0:
                await response.write(b'{"type":"PRICE","instrument": trunc\n')
                await response.write(b"not json at all\n")
            await response.write(price_line(n))
            if n % 5 == 0:
                await response.write(HEARTBEAT)
            await asyncio.sleep(self.script.heartbeat / 5)

    async def _transactions(self, request: web.Request) -> web.StreamResponse:
        connection = self._count("transactions")
        response = web.StreamResponse()
        await response.prepare(request)
        if connection == 1:
            await response.write(transaction_heartbeat(4))
            await response.write(transaction_line(5) + transaction_line(6))
            return response  # the connection ends: the client must reconnect and catch up
        with contextlib.suppress(ConnectionError):  # the client hangs up when it has enough
            await response.write(transaction_heartbeat(7))
            await response.write(transaction_line(6))  # a repeat the client must drop
            await response.write(transaction_line(8))
            while True:
                await asyncio.sleep(self.script.heartbeat)
                await response.write(transaction_heartbeat(8))
        return response

    def _count(self, stream: str) -> int:
        self.script.stream_connections[stream] = self.script.stream_connections.get(stream, 0) + 1
        return self.script.stream_connections[stream]


def _json(body: bytes, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=body, content_type="application/json", headers={"RequestID": "42"}
    )


# --- the tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[RecordedV20]:
    recorded = RecordedV20()
    recorded.start()
    yield recorded
    recorded.stop()


@pytest.fixture
def script(server: RecordedV20) -> Script:
    server.script = Script()
    return server.script


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def client(server: RecordedV20, token: str = TOKEN, **kwargs: Any) -> V20Client:
    return V20Client(endpoint_for("127.0.0.1", server.port), SecretStr(token), **kwargs)


@run_async
async def test_accounts_summary_instruments_and_candles_decode(
    server: RecordedV20, script: Script
) -> None:
    async with client(server) as api:
        accounts = await api.accounts()
        summary = await api.account_summary(ACCOUNT)
        instruments = await api.account_instruments(ACCOUNT, ["EUR_USD"])
        candles = await api.candles("EUR_USD", granularity="M5", price="M", count=2)
    assert [a.id for a in accounts] == [ACCOUNT, "101-004-1435156-002"]
    assert summary.account.nav == Decimal("43650.78835")
    assert summary.last_transaction_id == "6356"
    assert instruments[0].display_precision == 5
    assert instruments[0].minimum_trade_size == Decimal(1)
    assert [c.complete for c in candles] == [True, False]
    assert candles[0].mid is not None
    assert candles[0].mid.h == Decimal("1.09964")
    assert api.last_request_id == "42"


@run_async
async def test_wrong_token_is_one_clear_line_without_the_token(
    server: RecordedV20, script: Script
) -> None:
    async with client(server, token="wrong-token-123") as api:
        with pytest.raises(Unauthorized) as caught:
            await api.accounts()
    line = str(caught.value)
    assert "401" in line
    assert "Insufficient authorization" in line
    assert "\n" not in line
    assert "wrong-token-123" not in line


@run_async
async def test_unknown_instrument_is_a_v20_error_naming_it(
    server: RecordedV20, script: Script
) -> None:
    async with client(server) as api:
        with pytest.raises(V20Error, match=r"HTTP 400.*instrument"):
            await api.candles("NOT_ANINSTRUMENT")


@run_async
async def test_429_is_retried_after_retry_after(server: RecordedV20, script: Script) -> None:
    script.rate_limited, script.retry_after = 2, "0.3"
    async with client(server) as api:
        summary = await api.account_summary(ACCOUNT)
    assert summary.account.id == ACCOUNT
    times = [t for path, t in script.requests if path.endswith("/summary")]
    assert len(times) == 3
    # Each retry waited at least what the server asked (a lower bound, never a speed claim).
    assert all(later - earlier >= 0.29 for earlier, later in itertools.pairwise(times))


@run_async
async def test_429_storm_gives_up_with_rate_limited_after_max_retries(
    server: RecordedV20, script: Script
) -> None:
    script.rate_limited = 1000
    async with client(server, max_retries=3) as api:
        with pytest.raises(RateLimited, match="after 4 attempts"):
            await api.accounts()
    assert len(script.requests) == 4


@run_async
async def test_market_order_with_client_extensions_and_its_fill(
    server: RecordedV20, script: Script
) -> None:
    order = m.MarketOrderRequest(
        instrument="EUR_USD",
        units=Decimal(100),
        client_extensions=m.ClientExtensions(id="O-20261201-001", tag="gauntlet"),
        stop_loss_on_fill=m.StopLossDetails(distance=Decimal("0.00500")),
        take_profit_on_fill=m.TakeProfitDetails(price=Decimal("1.30000")),
    )
    async with client(server) as api:
        answer = await api.create_order(ACCOUNT, order)
    sent = msgspec.json.decode(script.order_bodies[0])
    assert sent == {
        "order": {
            "type": "MARKET",
            "instrument": "EUR_USD",
            "units": "100",
            "clientExtensions": {"id": "O-20261201-001", "tag": "gauntlet"},
            "takeProfitOnFill": {"price": "1.30000"},
            "stopLossOnFill": {"distance": "0.00500"},
        }
    }
    fill = answer.order_fill_transaction
    assert fill is not None
    assert fill.type == "ORDER_FILL"
    assert fill.client_order_id == "O-20261201-001"
    assert fill.trade_opened is not None
    assert fill.trade_opened.trade_id == "6373"
    assert fill.full_vwap == Decimal("1.22961")
    assert answer.related_transaction_ids == ["6372", "6373"]


@pytest.mark.parametrize(
    "reason", ["INSUFFICIENT_MARGIN", "INSTRUMENT_NOT_TRADEABLE", "UNITS_MIMIMUM_NOT_MET"]
)
@run_async
async def test_rejected_order_raises_order_rejected_with_its_reason(
    server: RecordedV20, script: Script, reason: str
) -> None:
    script.reject_reason = reason
    order = m.MarketOrderRequest(instrument="EUR_USD", units=Decimal(100000000))
    async with client(server) as api:
        with pytest.raises(OrderRejected) as caught:
            await api.create_order(ACCOUNT, order)
    assert caught.value.reject_reason == reason
    assert caught.value.transaction is not None
    assert caught.value.transaction.type == "MARKET_ORDER_REJECT"
    assert caught.value.last_transaction_id == "6374"
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


@run_async
async def test_cancel_by_client_id_and_an_unknown_one(server: RecordedV20, script: Script) -> None:
    async with client(server) as api:
        cancelled = await api.cancel_order(ACCOUNT, "@my-limit")
        with pytest.raises(OrderRejected) as caught:
            await api.cancel_order(ACCOUNT, "@nope")
    assert cancelled.order_cancel_transaction.client_order_id == "my-limit"
    assert caught.value.reject_reason == "ORDER_DOESNT_EXIST"
    assert caught.value.status == 404


async def take(stream: Any, count: int, deadline: float = 15.0) -> list[Any]:
    items: list[Any] = []
    async with asyncio.timeout(deadline):
        async for item in stream:
            items.append(item)
            if len(items) == count:
                break
    return items


@run_async
async def test_price_stream_consumes_heartbeats(server: RecordedV20, script: Script) -> None:
    async with client(server) as api:
        stream = api.price_stream(ACCOUNT, ["EUR_USD"], heartbeat_interval=script.heartbeat)
        prices = await take(stream, 12)
    assert all(isinstance(p, m.ClientPrice) for p in prices)
    assert prices[0].bids[0].price == Decimal("1.10012")
    assert prices[0].bids[0].liquidity == Decimal(10000000)
    assert stream.heartbeats >= 2
    assert stream.malformed == 0


@run_async
async def test_price_stream_counts_and_skips_malformed_lines(
    server: RecordedV20, script: Script
) -> None:
    script.price_mode = "malformed"
    async with client(server) as api:
        stream = api.price_stream(ACCOUNT, ["EUR_USD"], heartbeat_interval=script.heartbeat)
        prices = await take(stream, 9)
    assert [p.time[-5:-1] for p in prices[:3]] == ["0001", "0002", "0003"]
    assert stream.malformed >= 4  # two bad lines before every third price
    assert stream.reconnects == 0


@run_async
async def test_stalled_price_stream_reconnects(server: RecordedV20, script: Script) -> None:
    script.price_mode = "stall"
    async with client(server) as api:
        stream = api.price_stream(ACCOUNT, ["EUR_USD"], heartbeat_interval=0.2)
        started = time.monotonic()
        prices = await take(stream, 3)
        waited = time.monotonic() - started
    assert script.stream_connections["prices"] == 2
    assert stream.stalls == 1
    assert stream.reconnects == 1
    assert "no heartbeat" in (stream.last_error or "")
    assert waited >= 0.4  # it waited out two heartbeat intervals, no less
    assert len(prices) == 3


@run_async
async def test_transaction_stream_catches_up_after_a_drop_without_repeats(
    server: RecordedV20, script: Script
) -> None:
    async with client(server) as api:
        stream = api.transaction_stream(ACCOUNT, heartbeat_interval=script.heartbeat)
        transactions = await take(stream, 4)
    assert [t.id for t in transactions] == ["5", "6", "7", "8"]
    assert script.since_asked == ["6"]
    assert stream.caught_up == 1
    assert stream.duplicates == 1
    assert script.stream_connections["transactions"] == 2


@run_async
async def test_a_stream_refusing_the_token_ends_with_unauthorized(
    server: RecordedV20, script: Script
) -> None:
    async with client(server, token="revoked") as api:
        stream = api.price_stream(ACCOUNT, ["EUR_USD"], heartbeat_interval=script.heartbeat)
        with pytest.raises(Unauthorized, match="401"):
            await take(stream, 1)
    assert stream.reconnects == 0  # retrying a refused token would only be refused again


@run_async
async def test_leaving_a_stream_with_async_with_hangs_up(
    server: RecordedV20, script: Script
) -> None:
    async with client(server) as api:
        stream = api.price_stream(ACCOUNT, ["EUR_USD"], heartbeat_interval=script.heartbeat)
        async with stream:
            await take(stream, 2)
        with pytest.raises(StopAsyncIteration):
            await stream.__aiter__().__anext__()


@run_async
async def test_a_refused_connection_is_a_transport_error_after_the_retries() -> None:
    unused = endpoint_for("127.0.0.1", 9)  # discard port: nothing listens on loopback
    async with V20Client(unused, SecretStr(TOKEN), max_retries=1) as api:
        with pytest.raises(V20TransportError, match="GET /v3/accounts"):
            await api.accounts()
        with pytest.raises(V20TransportError, match="POST"):
            await api.create_order(
                ACCOUNT, m.MarketOrderRequest(instrument="EUR_USD", units=Decimal(1))
            )


# --- against the OANDA simulator (adapters/oanda/sim) -------------------------------------------

SIM_HEARTBEAT = 0.2


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    from execution_engine.adapters.oanda.sim.config import SimConfig
    from execution_engine.adapters.oanda.sim.simulator import OandaSimulator

    simulator = OandaSimulator(
        SimConfig(token=SecretStr(TOKEN), interval=0.05, heartbeat_interval=SIM_HEARTBEAT)
    )
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def api_sim(sim: Any) -> Iterator[Any]:
    sim.faults.clear()
    yield sim
    sim.faults.clear()


def sim_client(sim: Any, **kwargs: Any) -> V20Client:
    return V20Client(endpoint_for("127.0.0.1", sim.port), SecretStr(TOKEN), **kwargs)


@run_async
async def test_sim_account_instruments_and_candles(api_sim: Any) -> None:
    async with sim_client(api_sim) as api:
        accounts = await api.accounts()
        summary = await api.account_summary(api_sim.account_id)
        instruments = await api.account_instruments(api_sim.account_id)
        candles = await api.candles("EUR_USD", granularity="H1", price="MBA", count=5)
        changes = await api.account_changes(api_sim.account_id, summary.last_transaction_id)
    assert [a.id for a in accounts] == [api_sim.account_id]
    assert summary.account.currency == "USD"
    assert summary.account.balance > 0
    names = {i.name: i for i in instruments}
    assert {"EUR_USD", "USD_JPY"} <= set(names)
    assert names["EUR_USD"].display_precision == 5
    assert names["USD_JPY"].display_precision == 3
    assert len(candles) == 5
    assert all(c.mid and c.bid and c.ask for c in candles)
    assert all(c.bid.c < c.ask.c for c in candles if c.bid and c.ask)
    assert changes.last_transaction_id == summary.last_transaction_id


@run_async
async def test_sim_unknown_instrument_is_a_clear_error(api_sim: Any) -> None:
    async with sim_client(api_sim) as api:
        with pytest.raises(V20Error) as caught:
            await api.candles("NOT_ANINSTRUMENT", count=1)
    assert caught.value.status in (400, 404)
    assert "\n" not in str(caught.value)


@run_async
async def test_sim_market_order_fills_and_its_transactions_follow(api_sim: Any) -> None:
    account = api_sim.account_id
    async with sim_client(api_sim) as api:
        before = (await api.account_summary(account)).last_transaction_id
        answer = await api.create_order(
            account,
            m.MarketOrderRequest(
                instrument="EUR_USD",
                units=Decimal(1000),
                client_extensions=m.ClientExtensions(id="G-market-1", tag="gauntlet"),
            ),
        )
        since = await api.transactions_since(account, before)
        ranged = await api.transactions_range(account, since[0].id, since[-1].id)
        trades = await api.open_trades(account)
        positions = await api.open_positions(account)
        closed = await api.close_position(account, "EUR_USD", short_units=None)
    fill = answer.order_fill_transaction
    assert fill is not None
    assert fill.client_order_id == "G-market-1"
    assert fill.units == Decimal(1000)
    assert [t.id for t in since] == [t.id for t in ranged]
    assert {t.type for t in since} >= {"MARKET_ORDER", "ORDER_FILL"}
    assert any(t.current_units == Decimal(1000) for t in trades)
    eur = next(p for p in positions if p.instrument == "EUR_USD")
    assert eur.long.units >= Decimal(1000)
    assert closed.long_order_fill_transaction is not None
    assert api_sim.net_position("EUR_USD") == 0


@run_async
async def test_sim_pending_limit_cancelled_by_client_id(api_sim: Any) -> None:
    account = api_sim.account_id
    async with sim_client(api_sim) as api:
        created = await api.create_order(
            account,
            m.LimitOrderRequest(
                instrument="EUR_USD",
                units=Decimal(100),
                price=Decimal("0.50000"),  # far below the market: stays pending
                client_extensions=m.ClientExtensions(id="G-limit-1"),
            ),
        )
        pending = await api.order(account, "@G-limit-1")
        listed = await api.orders(account, instrument="EUR_USD")
        cancelled = await api.cancel_order(account, "@G-limit-1")
        with pytest.raises(OrderRejected) as again:
            await api.cancel_order(account, "@G-limit-1")
        after = await api.order(account, "@G-limit-1")
    assert created.order_fill_transaction is None
    assert pending.state == "PENDING"
    assert pending.price == Decimal("0.50000")
    assert "G-limit-1" in {o.client_extensions.id for o in listed if o.client_extensions}
    assert cancelled.order_cancel_transaction.order_id == pending.id
    assert again.value.reject_reason == "ORDER_DOESNT_EXIST" or again.value.status == 404
    assert after.state == "CANCELLED"


@pytest.mark.parametrize("reason", ["INSUFFICIENT_MARGIN", "MARKET_HALTED", "UNITS_INVALID"])
@run_async
async def test_sim_rejected_order_names_its_reason(api_sim: Any, reason: str) -> None:
    api_sim.faults.reject_next_order(reason)
    async with sim_client(api_sim) as api:
        with pytest.raises(OrderRejected) as caught:
            await api.create_order(
                api_sim.account_id, m.MarketOrderRequest(instrument="EUR_USD", units=Decimal(1))
            )
    assert caught.value.reject_reason == reason
    assert reason in str(caught.value)


@run_async
async def test_sim_429s_are_waited_out(api_sim: Any) -> None:
    api_sim.faults.too_many_requests = 1  # the sim asks Retry-After: 1 s; the storm is tested above
    async with sim_client(api_sim) as api:
        summary = await api.account_summary(api_sim.account_id)
    assert summary.account.id == api_sim.account_id
    assert api_sim.faults.too_many_requests == 0


@run_async
async def test_sim_revoked_token_is_unauthorized(api_sim: Any) -> None:
    api_sim.faults.revoked = True
    async with sim_client(api_sim) as api:
        with pytest.raises(Unauthorized):
            await api.accounts()


@run_async
async def test_sim_price_stream_carries_a_pushed_quote_to_a_quote_tick(api_sim: Any) -> None:
    from execution_engine.adapters.oanda.quotes import StreamPrice, quote_tick
    from nautilus_trader.model.identifiers import InstrumentId

    async with sim_client(api_sim) as api:
        stream = api.price_stream_of(
            StreamPrice, api_sim.account_id, ["EUR_USD"], heartbeat_interval=SIM_HEARTBEAT
        )
        async with stream:
            tick = None
            async with asyncio.timeout(15):
                async for price in stream:
                    api_sim.push_quote("EUR_USD", Decimal("1.23450"), Decimal("1.23462"))
                    if price.bids and price.bids[0].price == "1.23450":
                        tick = quote_tick(price, InstrumentId.from_str("EUR/USD.OANDA"), 5)
                        break
    assert tick is not None
    assert str(tick.bid_price) == "1.23450"
    assert str(tick.ask_price) == "1.23462"


@run_async
async def test_sim_stalled_stream_is_reopened(api_sim: Any) -> None:
    async with sim_client(api_sim) as api:
        stream = api.price_stream(api_sim.account_id, ["EUR_USD"], heartbeat_interval=SIM_HEARTBEAT)
        async with stream:
            await take(stream, 1)
            api_sim.faults.stalled = True
            reading = asyncio.create_task(take(stream, 2))
            async with asyncio.timeout(15):
                while stream.stalls == 0:
                    await asyncio.sleep(0.05)
            api_sim.faults.stalled = False
            after = await reading
    assert stream.stalls >= 1
    assert stream.reconnects >= 1
    assert len(after) == 2


@run_async
async def test_sim_malformed_lines_are_counted_and_skipped(api_sim: Any) -> None:
    async with sim_client(api_sim) as api:
        stream = api.price_stream(api_sim.account_id, ["EUR_USD"], heartbeat_interval=SIM_HEARTBEAT)
        async with stream:
            await take(stream, 1)
            api_sim.faults.malformed_lines = 2
            async with asyncio.timeout(15):
                while stream.malformed < 2:
                    await take(stream, 1)
    assert stream.malformed >= 2
    assert stream.reconnects == 0


@run_async
async def test_sim_transaction_stream_after_a_drop_loses_and_repeats_nothing(api_sim: Any) -> None:
    account = api_sim.account_id
    async with sim_client(api_sim) as api:
        start = (await api.account_summary(account)).last_transaction_id
        stream = api.transaction_stream(account, heartbeat_interval=SIM_HEARTBEAT, since=start)
        order = m.MarketOrderRequest(instrument="EUR_USD", units=Decimal(10))
        async with stream:
            await api.create_order(account, order)  # before the stream opens: caught up
            first = await take(stream, 2)  # MARKET_ORDER, ORDER_FILL
            api_sim.faults.drop_streams()
            await api.create_order(account, order)  # while the stream is down, perhaps
            api_sim.faults.duplicate_next_fill = True
            await api.create_order(account, order)
            rest = await take(stream, 4)
        expected = await api.transactions_since(account, start)
    ids = [t.id for t in first + rest]
    assert ids == [t.id for t in expected][: len(ids)]
    assert len(set(ids)) == len(ids)
    assert [t.type for t in first + rest].count("ORDER_FILL") == 3
