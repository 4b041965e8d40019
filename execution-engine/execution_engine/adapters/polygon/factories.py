"""The node's factory for the Polygon data client (`TradingNode.add_data_client_factory`).

Polygon is a data vendor: there is nothing to execute on, so there is no execution client
factory; a node that trades gets its venue's execution client and watches Polygon through
this data client. The API key comes from the secrets provider and the quote tap is a live
object, neither serializable config, so `polygon_data_client_factory(resolve, tap)` binds
them into the factory class it returns.
"""

from __future__ import annotations

import asyncio

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.live.factories import LiveDataClientFactory

from execution_engine.adapters.polygon.config import PolygonDataClientConfig
from execution_engine.adapters.polygon.data import PolygonDataClient
from execution_engine.adapters.quote_tap import QuoteTap
from execution_engine.adapters.secrets import SecretResolver


def polygon_data_client_factory(
    resolve: SecretResolver, tap: QuoteTap | None = None
) -> type[LiveDataClientFactory]:
    """The factory class of Polygon data clients that read their key with `resolve` and
    hand every quote they publish to `tap`."""

    class PolygonLiveDataClientFactory(LiveDataClientFactory):
        @staticmethod
        def create(  # type: ignore[override]  # NautilusTrader passes these by keyword
            loop: asyncio.AbstractEventLoop,
            name: str,
            config: PolygonDataClientConfig,
            msgbus: MessageBus,
            cache: Cache,
            clock: LiveClock,
        ) -> PolygonDataClient:
            return PolygonDataClient(loop, msgbus, cache, clock, config, resolve, tap)

    return PolygonLiveDataClientFactory
