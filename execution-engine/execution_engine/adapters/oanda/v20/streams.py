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
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, Generic, Self, TypeVar

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
_YIELD_EVERY = 32  # prices handed over between two turns of the event loop, at most


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
        self._iterator: AsyncGenerator[Any, None] | None = None
        self._connected = asyncio.Event()

    async def wait_connected(self, timeout: float) -> None:
        """Until the first connection answered 200, while another task iterates (a stream
        connects when its iteration begins)."""
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

    async def aclose(self) -> None:
        """Stop and drop the connection now (an `async for` left by `break` does not)."""
        self._closed = True
        if self._iterator is not None:
            await self._iterator.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _batches(self) -> AsyncGenerator[list[Any], None]:
        """The lines of each chunk read, across reconnects, as lists: one hop per chunk through
        these generators rather than one per line (the pricing stream's lines are many)."""
        attempt = 0
        while not self._closed:
            await asyncio.sleep(_reconnect_delay(attempt))
            attempt += 1
            try:
                async with contextlib.aclosing(self._one_connection()) as batches:
                    async for batch in batches:
                        attempt = 1  # lines flowed: the next reconnect starts from the short delay
                        yield batch
            except _FATAL:
                raise
            except StreamStalled as exc:
                self.stalls += 1
                self.last_error = str(exc)
            except httpx.TimeoutException:
                self.stalls += 1
                self.last_error = f"no heartbeat (no data at all) for {2 * self.heartbeat_interval:g}s on {self._path}"
            except (httpx.TransportError, V20Error) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
            if not self._closed:
                self.reconnects += 1

    async def _one_connection(self) -> AsyncGenerator[list[Any], None]:
        # httpx's read timeout (two heartbeat intervals) ends a stream gone silent; the check
        # after each chunk ends one that still sends prices but no heartbeat.
        async with self._http.stream(
            "GET", self._path, params=self._params, timeout=self._stall_timeout()
        ) as response:
            if response.status_code != 200:
                raise error_for(response.status_code, await response.aread())
            self._deadline = time.monotonic() + 2 * self.heartbeat_interval
            self._connected.set()
            opening = [item async for item in self._on_open()]
            if opening:
                yield opening
            rest = b""
            async for chunk in response.aiter_bytes():
                if rest:
                    chunk = rest + chunk
                lines = chunk.split(b"\n")
                rest = lines.pop()
                if lines:
                    yield lines
                if self._closed:
                    return
                if time.monotonic() > self._deadline:
                    raise StreamStalled(
                        f"no heartbeat for {2 * self.heartbeat_interval:g}s on {self._path}"
                    )


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

    def __aiter__(self) -> AsyncGenerator[P, None]:
        if self._iterator is None:
            self._iterator = self._prices()
        return self._iterator

    async def _prices(self) -> AsyncGenerator[P, None]:
        decode = self._decoder.decode
        heartbeat = m.PricingHeartbeat
        errors = (msgspec.DecodeError, msgspec.ValidationError)
        async with contextlib.aclosing(self._batches()) as batches:
            async for batch in batches:
                for index, line in enumerate(batch, 1):
                    try:
                        item = decode(line)
                    except errors:
                        if line.strip():  # a blank keep-alive line is not malformed
                            self.malformed += 1
                        continue
                    if type(item) is heartbeat:
                        self.last_heartbeat_time = item.time
                        self._heartbeat_seen()
                        continue
                    yield item
                    if index % _YIELD_EVERY == 0:
                        # A chunk can hold hundreds of prices; let the loop run between them
                        # so what the consumer handed on (a data engine's queue) moves too.
                        await asyncio.sleep(0)


CatchUp = Callable[[str], Awaitable[list[m.Transaction]]]


class _Kind(msgspec.Struct):
    type: str


_KIND = msgspec.json.Decoder(_Kind)
_HEARTBEAT = msgspec.json.Decoder(m.TransactionHeartbeat)
_TRANSACTION = msgspec.json.Decoder(m.Transaction)


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

    def __aiter__(self) -> AsyncGenerator[m.Transaction, None]:
        if self._iterator is None:
            self._iterator = self._transactions()
        return self._iterator

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

    async def _transactions(self) -> AsyncGenerator[m.Transaction, None]:
        async with contextlib.aclosing(self._batches()) as batches:
            async for batch in batches:
                for line in batch:
                    if isinstance(line, m.Transaction):  # from _on_open's catch-up
                        yield line
                        continue
                    item = self._decode(line)
                    if item is not None and self._is_new(item):
                        yield item

    def _decode(self, line: bytes) -> m.Transaction | None:
        """The transaction on `line`; None for a heartbeat (noted) or a malformed line (counted)."""
        try:
            if _KIND.decode(line).type == "TRANSACTION_HEARTBEAT":
                beat = _HEARTBEAT.decode(line)
                self._heartbeat_seen()
                if self.last_id is None:
                    self.last_id = int(beat.last_transaction_id)
                return None
            item = _TRANSACTION.decode(line)
            int(item.id)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
            if line.strip():
                self.malformed += 1
            return None
        return item
