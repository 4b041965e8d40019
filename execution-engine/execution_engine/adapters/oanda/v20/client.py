"""The async v20 REST client on httpx: one pooled connection set per client, typed answers.

Every call returns a model from `models.py` or raises a `V20Error` subclass with one line.
HTTP 429 is retried with exponential backoff and jitter, honouring `Retry-After`; a request that
changes nothing (GET) is also retried when the connection fails, one that does (POST/PUT) is not,
because OANDA may have executed it: the caller looks it up by its client extensions id.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec
from pydantic import SecretStr

from execution_engine.adapters.oanda.v20 import models as m
from execution_engine.adapters.oanda.v20.endpoints import V20Endpoint
from execution_engine.adapters.oanda.v20.errors import (
    RateLimited,
    V20Error,
    V20TransportError,
    error_body,
    error_for,
    one_line,
)
from execution_engine.adapters.oanda.v20.pacing import RequestPacer
from execution_engine.adapters.oanda.v20.streams import PriceStream, TransactionStream
from execution_engine.adapters.retry_after import retry_after_seconds

T = TypeVar("T")
P = TypeVar("P")

_IDEMPOTENT = frozenset({"GET"})
_BACKOFF_BASE = 0.05  # seconds; doubles per attempt
_BACKOFF_CAP = 5.0
_encoder = msgspec.json.Encoder()


def _segment(value: str) -> str:
    """A path segment: ids and `@clientID` specifiers travel as they are, anything else quoted."""
    return quote(value, safe="@")


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Full-jitter exponential backoff, never shorter than the server's Retry-After."""
    ceiling = min(_BACKOFF_CAP, _BACKOFF_BASE * (2**attempt))
    delay = random.uniform(0.0, ceiling)
    return max(delay, retry_after) if retry_after is not None else delay


class V20Client:
    """OANDA v20 REST (and, through `price_stream` / `transaction_stream`, its streams)."""

    def __init__(
        self,
        endpoint: V20Endpoint,
        token: SecretStr,
        *,
        max_connections: int = 10,
        max_keepalive: int = 5,
        timeout: float = 10.0,
        max_retries: int = 5,
        verify: bool | str = True,
        user_agent: str = "gauntlet",
        max_requests_per_second: int = 100,
    ) -> None:
        self.endpoint = endpoint
        self.max_retries = max_retries
        self.pacer = RequestPacer(max_requests_per_second)  # under OANDA's 120/s
        self.last_request_id: str | None = None  # OANDA's RequestID of the last answer
        headers = {
            "Authorization": f"Bearer {token.get_secret_value()}",
            "Accept-Datetime-Format": "RFC3339",
            "Content-Type": "application/json",
            "User-Agent": user_agent,
        }
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_keepalive
        )
        self._http = httpx.AsyncClient(
            base_url=endpoint.rest_url,
            headers=headers,
            limits=limits,
            timeout=timeout,
            verify=verify,
        )
        # Streams hold their connection open for hours: their own pool, so they never starve
        # the REST calls of connections (and OANDA serves them from another host anyway).
        self._stream_http = httpx.AsyncClient(
            base_url=endpoint.stream_url,
            headers=headers,
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=0),
            timeout=timeout,
            verify=verify,
        )

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._stream_http.aclose()

    async def __aenter__(self) -> V20Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- transport ------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        answer: type[T],
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
    ) -> T:
        content = _encoder.encode(body) if body is not None else None
        attempt = 0
        while True:
            await self.pacer.wait_turn()
            try:
                response = await self._http.request(method, path, params=params, content=content)
            except httpx.TransportError as exc:
                if method not in _IDEMPOTENT or attempt >= self.max_retries:
                    raise V20TransportError(
                        f"OANDA v20 {method} {path}: {type(exc).__name__}: {one_line(str(exc))}"
                    ) from exc
                await asyncio.sleep(backoff_delay(attempt, None))
                attempt += 1
                continue
            self.last_request_id = response.headers.get("RequestID")
            if response.status_code == 429:
                if attempt >= self.max_retries:
                    error = error_body(response.content)
                    raise RateLimited(429, error.error_code, error.error_message, attempt + 1)
                await asyncio.sleep(backoff_delay(attempt, retry_after_seconds(response)))
                attempt += 1
                continue
            if response.status_code >= 400:
                raise error_for(response.status_code, response.content)
            try:
                return msgspec.json.decode(response.content, type=answer)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise V20Error(
                    response.status_code, None, f"unexpected {answer.__name__} body: {exc}"
                ) from exc

    def _account(self, account_id: str, *rest: str) -> str:
        return "/v3/accounts/" + "/".join([_segment(account_id), *rest])

    # --- accounts -------------------------------------------------------------------------------

    async def accounts(self) -> list[m.AccountProperties]:
        """GET /v3/accounts: the accounts this token may use."""
        return (await self._request("GET", "/v3/accounts", m.AccountsResponse)).accounts

    async def account_summary(self, account_id: str) -> m.AccountSummaryResponse:
        return await self._request(
            "GET", self._account(account_id, "summary"), m.AccountSummaryResponse
        )

    async def account_instruments(
        self, account_id: str, instruments: Sequence[str] = ()
    ) -> list[m.Instrument]:
        params = {"instruments": ",".join(instruments)} if instruments else None
        answer = await self._request(
            "GET",
            self._account(account_id, "instruments"),
            m.AccountInstrumentsResponse,
            params=params,
        )
        return answer.instruments

    async def account_changes(
        self, account_id: str, since_transaction_id: str
    ) -> m.AccountChangesResponse:
        return await self._request(
            "GET",
            self._account(account_id, "changes"),
            m.AccountChangesResponse,
            params={"sinceTransactionID": since_transaction_id},
        )

    # --- instruments ----------------------------------------------------------------------------

    async def candles(
        self,
        instrument: str,
        *,
        granularity: str = "M1",
        price: str = "M",
        count: int | None = None,
        from_time: str | None = None,
        to_time: str | None = None,
    ) -> list[m.Candlestick]:
        """Candles of `price` components (any of M, B, A) at `granularity` (S5 ... M)."""
        params = {"granularity": granularity, "price": price}
        if count is not None:
            params["count"] = str(count)
        if from_time is not None:
            params["from"] = from_time
        if to_time is not None:
            params["to"] = to_time
        path = f"/v3/instruments/{_segment(instrument)}/candles"
        return (await self._request("GET", path, m.CandlesResponse, params=params)).candles

    # --- orders ---------------------------------------------------------------------------------

    async def create_order(self, account_id: str, order: m.OrderRequest) -> m.OrderCreateResponse:
        """POST an order; OrderRejected when OANDA answers with an orderRejectTransaction."""
        return await self._request(
            "POST",
            self._account(account_id, "orders"),
            m.OrderCreateResponse,
            body={"order": order},
        )

    async def replace_order(
        self, account_id: str, order_specifier: str, order: m.OrderRequest
    ) -> m.OrderReplaceResponse:
        return await self._request(
            "PUT",
            self._account(account_id, "orders", _segment(order_specifier)),
            m.OrderReplaceResponse,
            body={"order": order},
        )

    async def cancel_order(self, account_id: str, order_specifier: str) -> m.OrderCancelResponse:
        """Cancel by order id or by `@<clientExtensions.id>`."""
        return await self._request(
            "PUT",
            self._account(account_id, "orders", _segment(order_specifier), "cancel"),
            m.OrderCancelResponse,
        )

    async def order(self, account_id: str, order_specifier: str) -> m.Order:
        path = self._account(account_id, "orders", _segment(order_specifier))
        return (await self._request("GET", path, m.OrderResponse)).order

    async def orders(
        self,
        account_id: str,
        *,
        state: str = "PENDING",
        instrument: str | None = None,
        count: int = 500,
    ) -> list[m.Order]:
        params = {"state": state, "count": str(count)}
        if instrument is not None:
            params["instrument"] = instrument
        path = self._account(account_id, "orders")
        return (await self._request("GET", path, m.OrdersResponse, params=params)).orders

    # --- trades and positions -------------------------------------------------------------------

    async def open_trades(self, account_id: str) -> list[m.Trade]:
        path = self._account(account_id, "openTrades")
        return (await self._request("GET", path, m.TradesResponse)).trades

    async def close_trade(
        self, account_id: str, trade_specifier: str, units: str = "ALL"
    ) -> m.TradeCloseResponse:
        return await self._request(
            "PUT",
            self._account(account_id, "trades", _segment(trade_specifier), "close"),
            m.TradeCloseResponse,
            body={"units": units},
        )

    async def open_positions(self, account_id: str) -> list[m.Position]:
        path = self._account(account_id, "openPositions")
        return (await self._request("GET", path, m.PositionsResponse)).positions

    async def close_position(
        self,
        account_id: str,
        instrument: str,
        *,
        long_units: str | None = "ALL",
        short_units: str | None = "ALL",
    ) -> m.PositionCloseResponse:
        """Close a position's sides; a side given as None is left alone ("NONE" on the wire)."""
        body = {"longUnits": long_units or "NONE", "shortUnits": short_units or "NONE"}
        return await self._request(
            "PUT",
            self._account(account_id, "positions", _segment(instrument), "close"),
            m.PositionCloseResponse,
            body=body,
        )

    # --- transactions ---------------------------------------------------------------------------

    async def transactions_since(self, account_id: str, transaction_id: str) -> list[m.Transaction]:
        """Every transaction after `transaction_id` (exclusive), oldest first."""
        path = self._account(account_id, "transactions", "sinceid")
        answer = await self._request(
            "GET", path, m.TransactionsResponse, params={"id": transaction_id}
        )
        return answer.transactions

    async def transactions_range(
        self, account_id: str, from_id: str, to_id: str
    ) -> list[m.Transaction]:
        """Transactions `from_id` to `to_id`, both included."""
        path = self._account(account_id, "transactions", "idrange")
        answer = await self._request(
            "GET", path, m.TransactionsResponse, params={"from": from_id, "to": to_id}
        )
        return answer.transactions

    # --- streams --------------------------------------------------------------------------------

    def price_stream(
        self,
        account_id: str,
        instruments: Sequence[str],
        *,
        snapshot: bool = True,
        heartbeat_interval: float = 5.0,
    ) -> PriceStream[m.ClientPrice]:
        """An async iterator of ClientPrice (heartbeats consumed), reconnecting on its own."""
        return self.price_stream_of(
            m.ClientPrice,
            account_id,
            instruments,
            snapshot=snapshot,
            heartbeat_interval=heartbeat_interval,
        )

    def price_stream_of(
        self,
        price_type: type[P],
        account_id: str,
        instruments: Sequence[str],
        *,
        snapshot: bool = True,
        heartbeat_interval: float = 5.0,
    ) -> PriceStream[P]:
        """The pricing stream decoded into `price_type`: a Struct tagged `type="PRICE"` holding
        only the fields a consumer reads (the quote hot path decodes less than ClientPrice)."""
        params = {"instruments": ",".join(instruments), "snapshot": "true" if snapshot else "false"}
        return PriceStream(
            self._stream_http,
            self._account(account_id, "pricing", "stream"),
            params,
            heartbeat_interval=heartbeat_interval,
            price_type=price_type,
        )

    def transaction_stream(
        self, account_id: str, *, heartbeat_interval: float = 5.0, since: str | None = None
    ) -> TransactionStream:
        """An async iterator of Transaction; a reconnect catches up with transactions_since."""

        async def catch_up(since: str) -> list[m.Transaction]:
            return await self.transactions_since(account_id, since)

        return TransactionStream(
            self._stream_http,
            self._account(account_id, "transactions", "stream"),
            {},
            heartbeat_interval=heartbeat_interval,
            catch_up=catch_up,
            since=since,
        )
