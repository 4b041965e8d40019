"""The node's factories for the SIM venue's clients (`TradingNode.add_*_client_factory`).

A node factory is a class with a static `create`; ours are built per session because what
they hand their client (the feed to replay, the submit probe) is not serializable config.
"""

from __future__ import annotations

import asyncio

from nautilus_trader.adapters.sandbox.config import SandboxExecutionClientConfig
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.live.factories import LiveDataClientFactory, LiveExecClientFactory
from nautilus_trader.portfolio.base import PortfolioFacade

from execution_engine.adapters.sandbox.config import ReplayDataClientConfig
from execution_engine.adapters.sandbox.data import ReplayDataClient, ReplayFeed
from execution_engine.adapters.sandbox.execution import SimExecutionClient, SubmitProbe


def replay_data_client_factory(feed: ReplayFeed) -> type[LiveDataClientFactory]:
    """A data-client factory bound to `feed`."""

    class _Factory(LiveDataClientFactory):
        @staticmethod
        def create(  # type: ignore[override]  # NautilusTrader passes these by keyword
            loop: asyncio.AbstractEventLoop,
            name: str,
            config: ReplayDataClientConfig,
            msgbus: MessageBus,
            cache: Cache,
            clock: LiveClock,
        ) -> ReplayDataClient:
            return ReplayDataClient(loop, msgbus, cache, clock, feed)

    return _Factory


def sandbox_exec_client_factory(
    probe: SubmitProbe, quoted: bool = False
) -> type[LiveExecClientFactory]:
    """An execution-client factory whose clients record submit times in `probe` (and trade
    on the feed's quotes when `quoted`, see SimExecutionClient)."""

    class _Factory(LiveExecClientFactory):
        @staticmethod
        def create(  # type: ignore[override]  # NautilusTrader passes these by keyword
            loop: asyncio.AbstractEventLoop,
            name: str,
            config: SandboxExecutionClientConfig,
            portfolio: PortfolioFacade,
            msgbus: MessageBus,
            cache: Cache,
            clock: LiveClock,
        ) -> SimExecutionClient:
            return SimExecutionClient(
                loop=loop,
                portfolio=portfolio,
                msgbus=msgbus,
                cache=cache,
                clock=clock,
                config=config,
                probe=probe,
                quoted=quoted,
            )

    # TradingNodeBuilder hands the portfolio (which the simulated exchange needs) only to a
    # factory with this exact class name.
    _Factory.__name__ = "SandboxLiveExecClientFactory"
    return _Factory
