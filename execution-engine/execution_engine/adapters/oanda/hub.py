"""One V20Client shared by a node's OANDA data and execution clients.

Both clients talk to the same account with the same token, and OANDA counts requests per
connection pool: one client (one pool for REST, one for the streams) serves both. The hub
opens it for the first client that connects (in the node's loop: httpx binds to it), checks
the token and picks the account (`account_id`, else the first the token lists), and closes
it when the last client leaves. One provider serves both clients (one instrument load).

The hub holds the secret resolver (the token), so it is bound into the factories
(factories.py), never put in a config.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import msgspec
from nautilus_trader.model.identifiers import Venue

from execution_engine.adapters.oanda.config import OandaVenueConfig, SecretResolver
from execution_engine.adapters.oanda.providers import OandaInstrumentProvider, Row
from execution_engine.adapters.oanda.v20.client import V20Client
from execution_engine.adapters.oanda.v20.endpoints import (
    LIVE,
    PRACTICE,
    V20Endpoint,
    endpoint_for,
)
from execution_engine.adapters.oanda.v20.errors import V20Error, V20TransportError

DATA, EXECUTION = "data", "execution"


class OandaConnectError(ConnectionError):
    """The account cannot be reached with this token; one line saying why."""


def endpoint_of(venue: OandaVenueConfig) -> V20Endpoint:
    if venue.environment == "practice":
        return PRACTICE
    if venue.environment == "live":
        return LIVE
    return endpoint_for(venue.host, venue.port or 0, tls=venue.tls)


def open_client(venue: OandaVenueConfig, resolve: SecretResolver) -> V20Client:
    """A V20Client for `venue`, its token resolved now (a missing secret: KeyError)."""
    verify: bool | str = str(venue.ca_file) if venue.ca_file is not None else True
    return V20Client(
        endpoint_of(venue),
        resolve(venue.token_secret),
        max_connections=venue.max_connections,
        timeout=venue.request_timeout_seconds,
        max_retries=venue.max_retries,
        verify=verify,
        max_requests_per_second=venue.max_requests_per_second,
    )


async def account_of(client: V20Client, venue: OandaVenueConfig) -> str:
    """The account to trade: the configured one (checked to exist), else the token's first.
    OandaConnectError, one line, when the token is refused or lists no such account."""
    try:
        listed = [account.id for account in await client.accounts()]
    except (V20Error, V20TransportError) as exc:
        raise OandaConnectError(f"OANDA {venue.endpoint_text}: {exc}") from None
    if venue.account_id is None:
        if not listed:
            raise OandaConnectError(f"OANDA {venue.endpoint_text}: the token lists no account")
        return listed[0]
    if venue.account_id not in listed:
        raise OandaConnectError(
            f"OANDA {venue.endpoint_text}: the token has no account {venue.account_id} "
            f"(it lists {', '.join(listed) or 'none'})"
        )
    return venue.account_id


class OandaHub:
    """The node's one V20Client, its account and its instrument provider (module docstring)."""

    def __init__(self, resolve: SecretResolver) -> None:
        self._resolve = resolve
        self._client: V20Client | None = None
        self._account_id: str | None = None
        self._members: set[str] = set()
        self._provider: OandaInstrumentProvider | None = None
        self._failed: OandaConnectError | None = None  # one refused token: one line per node
        self._lock = asyncio.Lock()

    @property
    def client(self) -> V20Client:
        if self._client is None:
            raise OandaConnectError("the OANDA client is not connected")
        return self._client

    @property
    def account_id(self) -> str:
        if self._account_id is None:
            raise OandaConnectError("the OANDA account is not known yet (not connected)")
        return self._account_id

    async def join(self, venue: OandaVenueConfig, role: str) -> V20Client:
        """The shared client, opened and its account checked on first use."""
        async with self._lock:
            if self._failed is not None:
                raise self._failed
            if self._client is None:
                client = open_client(venue, self._resolve)
                try:
                    self._account_id = await account_of(client, venue)
                except OandaConnectError as exc:
                    await client.aclose()
                    self._failed = exc
                    raise
                self._client = client
            self._members.add(role)
            return self._client

    async def leave(self, role: str) -> None:
        """The last client out closes the connection pools."""
        async with self._lock:
            self._members.discard(role)
            if self._members or self._client is None:
                return
            client, self._client = self._client, None
            await client.aclose()

    def provider(self, names: Sequence[str], venue: Venue) -> OandaInstrumentProvider:
        """The node's one provider of the account's instruments `names`, on `venue`."""
        if self._provider is None:
            self._provider = OandaInstrumentProvider(self._instruments, names, venue)
        return self._provider

    async def _instruments(self, names: Sequence[str]) -> list[Row]:
        listed = await self.client.account_instruments(self.account_id, names)
        return [msgspec.to_builtins(instrument) for instrument in listed]
