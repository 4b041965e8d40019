"""The node's factories for the FIX venue's clients (`TradingNode.add_*_client_factory`).

Both clients of a node share one FIX session (hub.py), and the session needs the secret
resolver, which is not serializable config: `fix_client_factories(resolve)` returns the
two factory classes bound to one new hub, as sandbox/factories.py binds its feed. Call it
once per node: a restarted node gets a new hub, hence a new initiator (one starts once),
on the same store under the node's state folder.
"""

from __future__ import annotations

import asyncio

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.live.factories import LiveDataClientFactory, LiveExecClientFactory

from execution_engine.adapters.fix.config import (
    FixDataClientConfig,
    FixExecClientConfig,
    SecretResolver,
)
from execution_engine.adapters.fix.data import FixDataClient
from execution_engine.adapters.fix.execution import FixExecutionClient
from execution_engine.adapters.fix.hub import FixSessionHub
from execution_engine.adapters.quote_tap import QuoteTap


def fix_client_factories(
    resolve: SecretResolver,
    tap: QuoteTap | None = None,
) -> tuple[type[LiveDataClientFactory], type[LiveExecClientFactory]]:
    """(FixLiveDataClientFactory, FixLiveExecClientFactory) on one session of their own;
    the data client hands each quote it publishes to `tap`, when given."""
    hub = FixSessionHub(resolve)

    class FixLiveDataClientFactory(LiveDataClientFactory):
        @staticmethod
        def create(  # type: ignore[override]  # NautilusTrader passes these by keyword
            loop: asyncio.AbstractEventLoop,
            name: str,
            config: FixDataClientConfig,
            msgbus: MessageBus,
            cache: Cache,
            clock: LiveClock,
        ) -> FixDataClient:
            return FixDataClient(loop, msgbus, cache, clock, config, hub, tap)

    class FixLiveExecClientFactory(LiveExecClientFactory):
        @staticmethod
        def create(  # type: ignore[override]  # NautilusTrader passes these by keyword
            loop: asyncio.AbstractEventLoop,
            name: str,
            config: FixExecClientConfig,
            msgbus: MessageBus,
            cache: Cache,
            clock: LiveClock,
        ) -> FixExecutionClient:
            return FixExecutionClient(loop, msgbus, cache, clock, config, hub)

    return FixLiveDataClientFactory, FixLiveExecClientFactory
