"""The two v20 streams: pricing and transactions, chunked HTTP answers of one JSON object a line.

Both send a heartbeat every 5 s. A stream that sends no heartbeat for two intervals is stalled:
it is dropped and reopened with backoff, as is one the server or the network closes. Lines that
are not JSON of a known shape are counted (`malformed`) and skipped; they never end a stream.
401/403/404 end it (the token or the account is wrong: retrying would not help).

The transaction stream's consumer must see every transaction once: after a reconnect it asks
`transactions_since(last id seen)` over REST before reading the new stream, and drops what the
stream repeats by id.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar

import httpx
import msgspec

from execution_engine.adapters.oanda.v20 import models as m
from execution_engine.adapters.oanda.v20.errors import (
    Forbidden,
    NotFound,
    StreamStalled,
    Unauthorized,
    V20Error,
    error_for,
)

P = TypeVar("P")

_FATAL = (Unauthorized, Forbidden, NotFound)
_MAX_BACKOFF = 5.0


def _reconnect_delay(attempt: int) -> float:
    # Fixed steps rather than jitter: a single client per stream, nothing to de-synchronise.
    return min(_MAX_BACKOFF, 0.05 * (2**attempt)) if attempt else 0.0


class _LineStream:
    """One long GET read as lines, reopened when it stalls or drops."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        path: str,
        params: dict[str, str],
        *,
        heartbeat_interval: float,
    ) -> None:
        self._http = http
        self._path = path
        self._params = params
        self.heartbeat_interval = heartbeat_interval
        self.malformed = 0  # lines skipped because they did not decode
        self.reconnects = 0  # connections opened after the first
        self.stalls = 0  # connections dropped for want of heartbeats
        self.heartbeats = 0
        self.last_error: str | None = None  # why the last connection ended, one line
        self._deadline = 0.0  # monotonic time by which the next heartbeat must arrive
        self._closed = False
        self._connected = asyncio.Event()

    def close(self) -> None:
        """End the iteration at the next line (or the next reconnect)."""
        self._closed = True

    async def wait_connected(self, timeout: float) -> None:
        """Until the first connection answered 200 (for tests and startup)."""
        await asyncio.wait_for(self._connected.wait(), timeout)

    def _heartbeat_seen(self) -> None:
        self.heartbeats += 1
        self._deadline = time.monotonic() + 2 * self.heartbeat_interval

    async def _on_open(self) -> AsyncIterator[Any]:
        """Items to yield once a (re)connection is open, before its lines (none by default)."""
        return
        yield  # pragma: no cover - makes this an async generator

    def _stall_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(10.0, read=2 * self.heartbeat_interval)

    async def _lines(self) -> AsyncIterator[bytes]:
        attempt = 0
        while not self._closed:
            await asyncio.sleep(_reconnect_delay(attempt))
            attempt += 1
            try:
                async for line in self._one_connection():
                    attempt = 1  # lines flowed: the next reconnect starts from the short delay
                    yield line
            except _FATAL:
                raise
            except StreamStalled as exc:
                self.stalls += 1
                self.last_error = str(exc)
            except httpx.TimeoutException:
                self.stalls += 1
                self.last_error = f"no data for {2 * self.heartbeat_interval:g}s"
            except (httpx.TransportError, V20Error) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
            if not self._closed:
                self.reconnects += 1

    async def _one_connection(self) -> AsyncIterator[bytes]:
        async with self._http.stream(
            "GET", self._path, params=self._params, timeout=self._stall_timeout()
        ) as response:
            if response.status_code != 200:
                raise error_for(response.status_code, await response.aread())
            self._deadline = time.monotonic() + 2 * self.heartbeat_interval
            self._connected.set()
            async for item in self._on_open():
                yield item
            chunks = response.aiter_bytes()
            rest = b""
            while not self._closed:
                chunk = await self._next_chunk(chunks)
                if chunk is None:
                    return  # the server ended the answer: reconnect
                if rest:
                    chunk = rest + chunk
                lines = chunk.split(b"\n")
                rest = lines.pop()
                for line in lines:
                    if line and line != b"\r":
                        yield line
                if time.monotonic() > self._deadline:
                    raise StreamStalled(
                        f"no heartbeat for {2 * self.heartbeat_interval:g}s on {self._path}"
                    )

    async def _next_chunk(self, chunks: AsyncIterator[bytes]) -> bytes | None:
        # The timeout covers one read, never a yield to the consumer, so it cannot cancel the
        # consumer's own awaits; it fires at the heartbeat deadline even when no byte arrives.
        try:
            async with asyncio.timeout_at(self._loop_deadline()):
                return await chunks.__anext__()
        except StopAsyncIteration:
            return None
        except TimeoutError:
            raise StreamStalled(
                f"no heartbeat for {2 * self.heartbeat_interval:g}s on {self._path}"
            ) from None

    def _loop_deadline(self) -> float:
        loop = asyncio.get_running_loop()
        return loop.time() + max(0.0, self._deadline - time.monotonic())


class PriceStream(_LineStream, Generic[P]):
    """GET /v3/accounts/{id}/pricing/stream as an async iterator of prices (`price_type`:
    `ClientPrice`, or the leaner Struct quotes.py decodes on the hot path)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        path: str,
        params: dict[str, str],
        *,
        heartbeat_interval: float,
        price_type: type[P],
    ) -> None:
        super().__init__(http, path, params, heartbeat_interval=heartbeat_interval)
        self._decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
            price_type | m.PricingHeartbeat
        )
        self.last_heartbeat_time: str | None = None

    def __aiter__(self) -> AsyncIterator[P]:
        return self._prices()

    async def _prices(self) -> AsyncIterator[P]:
        decode = self._decoder.decode
        heartbeat = m.PricingHeartbeat
        async for line in self._lines():
            try:
                item = decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError):
                self.malformed += 1
                continue
            if type(item) is heartbeat:
                self.last_heartbeat_time = item.time
                self._heartbeat_seen()
                continue
            yield item


CatchUp = Callable[[str], Awaitable[list[m.Transaction]]]


class _Kind(msgspec.Struct):
    type: str


class TransactionStream(_LineStream):
    """GET /v3/accounts/{id}/transactions/stream as an async iterator of Transaction, each once
    and in id order, across reconnects."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        path: str,
        params: dict[str, str],
        *,
        heartbeat_interval: float,
        catch_up: CatchUp,
        since: str | None = None,
    ) -> None:
        super().__init__(http, path, params, heartbeat_interval=heartbeat_interval)
        self._catch_up = catch_up
        self.last_id: int | None = int(since) if since is not None else None
        self.duplicates = 0  # transactions the stream repeated and we dropped
        self.caught_up = 0  # transactions fetched over REST after a reconnect

    def __aiter__(self) -> AsyncIterator[m.Transaction]:
        return self._transactions()

    async def _on_open(self) -> AsyncIterator[Any]:
        if self.last_id is None:
            return
        for transaction in await self._catch_up(str(self.last_id)):
            if self._is_new(transaction):
                self.caught_up += 1
                yield transaction

    def _is_new(self, transaction: m.Transaction) -> bool:
        number = int(transaction.id)
        if self.last_id is not None and number <= self.last_id:
            self.duplicates += 1
            return False
        self.last_id = number
        return True

    async def _transactions(self) -> AsyncIterator[m.Transaction]:
        kind = msgspec.json.Decoder(_Kind)
        heartbeat = msgspec.json.Decoder(m.TransactionHeartbeat)
        transaction = msgspec.json.Decoder(m.Transaction)
        async for line in self._lines():
            if isinstance(line, m.Transaction):  # from _on_open's catch-up
                yield line
                continue
            try:
                if kind.decode(line).type == "TRANSACTION_HEARTBEAT":
                    beat = heartbeat.decode(line)
                    self._heartbeat_seen()
                    if self.last_id is None:
                        self.last_id = int(beat.last_transaction_id)
                    continue
                item = transaction.decode(line)
                int(item.id)
            except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
                self.malformed += 1
                continue
            if self._is_new(item):
                yield item
