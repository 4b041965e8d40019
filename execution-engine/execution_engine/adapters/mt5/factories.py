"""The node's factories for the MetaTrader clients (`TradingNode.add_*_client_factory`).

Both clients of a node share one bridge (hub.py), and the bridge needs the terminal's token
from the secrets provider, which is not serializable config: `mt5_client_factories(resolve)`
returns the two factory classes bound to one new hub, as fix/factories.py does. Call it once
per node: a restarted node gets a new hub, hence a new bridge.
"""

from __future__ import annotations

import asyncio

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.live.factories import LiveDataClientFactory, LiveExecClientFactory

from execution_engine.adapters.mt5.config import (
    Mt5DataClientConfig,
    Mt5ExecClientConfig,
    SecretResolver,
)
from execution_engine.adapters.mt5.data import Mt5DataClient
from execution_engine.adapters.mt5.execution import Mt5ExecutionClient
from execution_engine.adapters.mt5.hub import Mt5BridgeHub
from execution_engine.adapters.quote_tap import QuoteTap


def mt5_client_factories(
    resolve: SecretResolver,
    tap: QuoteTap | None = None,
) -> tuple[type[LiveDataClientFactory], type[LiveExecClientFactory]]:
    """(Mt5LiveDataClientFactory, Mt5LiveExecClientFactory) on one bridge of their own;
    the bridge's token is `resolve(venue.token_secret)` when it starts; the data client hands
    each quote it publishes to `tap`, when given."""
    hub = Mt5BridgeHub(resolve)

    class Mt5LiveDataClientFactory(LiveDataClientFactory):
        @staticmethod
        def create(  # type: ignore[override]  # NautilusTrader passes these by keyword
            loop: asyncio.AbstractEventLoop,
            name: str,
            config: Mt5DataClientConfig,
            msgbus: MessageBus,
            cache: Cache,
            clock: LiveClock,
        ) -> Mt5DataClient:
            return Mt5DataClient(loop, msgbus, cache, clock, config, hub, tap)

    class Mt5LiveExecClientFactory(LiveExecClientFactory):
        @staticmethod
        def create(  # type: ignore[override]  # NautilusTrader passes these by keyword
            loop: asyncio.AbstractEventLoop,
            name: str,
            config: Mt5ExecClientConfig,
            msgbus: MessageBus,
            cache: Cache,
            clock: LiveClock,
        ) -> Mt5ExecutionClient:
            return Mt5ExecutionClient(loop, msgbus, cache, clock, config, hub)

    return Mt5LiveDataClientFactory, Mt5LiveExecClientFactory
