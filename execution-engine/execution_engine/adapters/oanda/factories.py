"""The node's factories for the OANDA clients (`TradingNode.add_*_client_factory`).

Both clients of a node share one V20Client (hub.py), which needs the access token from the
secrets provider, and the data client hands its quotes to the node's quote tap; neither is
serializable config. `oanda_client_factories(resolve, tap)` returns the two factory classes
bound to one new hub, as mt5/factories.py does. Call it once per node.
"""

from __future__ import annotations

import asyncio

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.live.factories import LiveDataClientFactory, LiveExecClientFactory

from execution_engine.adapters.oanda.config import (
    OandaDataClientConfig,
    OandaExecClientConfig,
    SecretResolver,
)
from execution_engine.adapters.oanda.data import OandaDataClient
from execution_engine.adapters.oanda.execution import OandaExecutionClient
from execution_engine.adapters.oanda.hub import OandaHub
from execution_engine.adapters.quote_tap import QuoteTap


def oanda_client_factories(
    resolve: SecretResolver,
    tap: QuoteTap | None = None,
) -> tuple[type[LiveDataClientFactory], type[LiveExecClientFactory]]:
    """(OandaLiveDataClientFactory, OandaLiveExecClientFactory) on one V20Client of their own;
    the token is `resolve(venue.token_secret)` when the first client connects; the data
    client hands each quote it publishes to `tap`, when given."""
    hub = OandaHub(resolve)

    class OandaLiveDataClientFactory(LiveDataClientFactory):
        @staticmethod
        def create(  # type: ignore[override]  # NautilusTrader passes these by keyword
            loop: asyncio.AbstractEventLoop,
            name: str,
            config: OandaDataClientConfig,
            msgbus: MessageBus,
            cache: Cache,
            clock: LiveClock,
        ) -> OandaDataClient:
            return OandaDataClient(loop, msgbus, cache, clock, config, hub, tap)

    class OandaLiveExecClientFactory(LiveExecClientFactory):
        @staticmethod
        def create(  # type: ignore[override]  # NautilusTrader passes these by keyword
            loop: asyncio.AbstractEventLoop,
            name: str,
            config: OandaExecClientConfig,
            msgbus: MessageBus,
            cache: Cache,
            clock: LiveClock,
        ) -> OandaExecutionClient:
            return OandaExecutionClient(loop, msgbus, cache, clock, config, hub)

    return OandaLiveDataClientFactory, OandaLiveExecClientFactory
