"""The checks a live session makes before it builds a node on OANDA: the token works, the
account is the token's, the instruments are ones the account lists. Each failure is one
line (`OandaPreflightError`): inside a node they would only show in its log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from execution_engine.adapters.oanda.config import OandaVenueConfig, SecretResolver
from execution_engine.adapters.oanda.hub import OandaConnectError, account_of, open_client
from execution_engine.adapters.oanda.v20.errors import V20Error, V20TransportError


class OandaPreflightError(ValueError):
    """The session cannot start on this account; one line saying why."""


def check_account(venue: OandaVenueConfig, resolve: SecretResolver, names: Sequence[str]) -> str:
    """The account a node on `venue` trades (checked), or OandaPreflightError."""
    return asyncio.run(_check(venue, resolve, names))


async def _check(venue: OandaVenueConfig, resolve: SecretResolver, names: Sequence[str]) -> str:
    client = open_client(venue, resolve)
    try:
        account = await account_of(client, venue)
        listed = {i.name for i in await client.account_instruments(account)}
    except OandaConnectError as exc:
        raise OandaPreflightError(str(exc)) from None
    except (V20Error, V20TransportError) as exc:
        raise OandaPreflightError(f"OANDA {venue.endpoint_text}: {exc}") from None
    finally:
        await client.aclose()
    unknown = [name for name in names if name not in listed]
    if unknown:
        some = ", ".join(sorted(listed)[:8]) + (", ..." if len(listed) > 8 else "")
        raise OandaPreflightError(
            f"OANDA account {account} does not list {', '.join(unknown)} (it lists {some})"
        )
    return account
