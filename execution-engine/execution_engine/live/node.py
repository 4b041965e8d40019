"""A TradingNode on one venue: `assemble_node` from a venue's clients (`build_fix_node` for
FIX, `build_mt5_node` for MetaTrader, `build_oanda_node` for OANDA), and `start_node` / `run_until` /
`stop_node` to drive it from synchronous code (a CLI chapter, a test).

The node reconciles with the venue when it starts (orders and positions from the venue's
answers, adapters/fix/reconcile.py), so a node restarted on the same state folder holds
what the venue holds. It logs to `<state>/logs/` and prints only errors on the terminal.
NautilusTrader sets its logging up once per process: a node built after another one logs
as the first one was configured to.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nautilus_trader.config import (
    CacheConfig,
    LiveDataClientConfig,
    LiveExecClientConfig,
    LiveExecEngineConfig,
    LiveRiskEngineConfig,
    LoggingConfig,
    TradingNodeConfig,
)
from nautilus_trader.live.factories import LiveDataClientFactory, LiveExecClientFactory
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import TraderId
from nautilus_trader.trading.strategy import Strategy

from execution_engine.adapters.fix.config import (
    FIX_CLIENT,
    FixVenueConfig,
    SecretResolver,
    fix_client_configs,
)
from execution_engine.adapters.fix.factories import fix_client_factories
from execution_engine.adapters.mt5.config import MT5_CLIENT, Mt5VenueConfig, mt5_client_configs
from execution_engine.adapters.mt5.factories import mt5_client_factories
from execution_engine.adapters.oanda.config import (
    OANDA_CLIENT,
    OandaVenueConfig,
    oanda_client_configs,
)
from execution_engine.adapters.oanda.factories import oanda_client_factories
from execution_engine.adapters.quote_tap import QuoteTap

LOG_SUBDIR = "logs"  # under the node's state folder
# The node's own connect timeout exceeds the bridge's wait for the terminal, so the bridge
# is the one that reports a terminal that never dialed in.
_CONNECT_MARGIN_SECONDS = 2.0


@dataclass(frozen=True)
class VenueClients:
    """One venue's data and execution clients as a node registers them: their configs, their
    factories, and how long the node waits for them to connect."""

    name: str
    data_config: LiveDataClientConfig
    exec_config: LiveExecClientConfig
    data_factory: type[LiveDataClientFactory]
    exec_factory: type[LiveExecClientFactory]
    connect_seconds: float = 10.0


def build_fix_node(
    venue: FixVenueConfig,
    state_dir: Path,
    resolve_secret: SecretResolver,
    strategies: Sequence[Strategy] = (),
    *,
    instruments: Sequence[str] = ("EURUSD",),
    trader_id: str = "GAUNTLET-001",
    request_timeout_seconds: float = 5.0,
    cache: CacheConfig | None = None,
    risk_engine: LiveRiskEngineConfig | None = None,
    tap: QuoteTap | None = None,
) -> TradingNode:
    """A built (not started) node with the FIX data and execution clients of one session
    to `venue`, its FIX store under `state_dir`, and `strategies` added to its trader.
    `instruments` are marketdata names ("EURUSD"); `request_timeout_seconds` bounds each
    reconciliation query's wait for the venue. `cache` (e.g. NautilusTrader's Redis cache
    database) and `risk_engine` (execution_engine.risk.RiskLimits.nautilus_config) default
    to NautilusTrader's in-memory cache and default risk engine. `tap`, when given, receives
    every quote the data client publishes (a session recorder, live.marketdata)."""
    data_config, exec_config = fix_client_configs(
        venue, state_dir, instruments, request_timeout_seconds=request_timeout_seconds
    )
    data_factory, exec_factory = fix_client_factories(resolve_secret, tap)
    clients = VenueClients(FIX_CLIENT, data_config, exec_config, data_factory, exec_factory)
    return assemble_node(
        clients, state_dir, strategies, trader_id=trader_id, cache=cache, risk_engine=risk_engine
    )


def build_mt5_node(
    venue: Mt5VenueConfig,
    state_dir: Path,
    resolve_secret: SecretResolver,
    strategies: Sequence[Strategy] = (),
    *,
    instruments: Sequence[str] = ("EURUSD",),
    trader_id: str = "GAUNTLET-001",
    request_timeout_seconds: float | None = None,
    cache: CacheConfig | None = None,
    risk_engine: LiveRiskEngineConfig | None = None,
    tap: QuoteTap | None = None,
) -> TradingNode:
    """A built (not started) node with the MetaTrader data and execution clients on one
    bridge (the terminal's EA dials in when the node starts; the node waits the venue's
    `connect_timeout_seconds` for it), its intent journal under `state_dir`.
    `instruments` are the terminal's symbols ("EURUSD"); `request_timeout_seconds`, when
    given, replaces the venue's bound on each request's wait for the terminal; `tap`, when
    given, receives every quote the data client publishes."""
    if request_timeout_seconds is not None:
        venue = venue.model_copy(update={"request_timeout_seconds": request_timeout_seconds})
    data_config, exec_config = mt5_client_configs(
        venue, state_dir, tuple(instruments), trader_id=trader_id
    )
    data_factory, exec_factory = mt5_client_factories(resolve_secret, tap)
    clients = VenueClients(
        MT5_CLIENT, data_config, exec_config, data_factory, exec_factory,
        connect_seconds=venue.connect_timeout_seconds + _CONNECT_MARGIN_SECONDS,
    )  # fmt: skip
    return assemble_node(
        clients, state_dir, strategies, trader_id=trader_id, cache=cache, risk_engine=risk_engine
    )


def build_oanda_node(
    venue: OandaVenueConfig,
    state_dir: Path,
    resolve_secret: SecretResolver,
    strategies: Sequence[Strategy] = (),
    *,
    instruments: Sequence[str] = ("EUR_USD",),
    trader_id: str = "GAUNTLET-001",
    cache: CacheConfig | None = None,
    risk_engine: LiveRiskEngineConfig | None = None,
    tap: QuoteTap | None = None,
) -> TradingNode:
    """A built (not started) node with the OANDA data and execution clients on one v20
    client to the venue's account, the last applied transaction id under `state_dir`.
    `instruments` are OANDA names ("EUR_USD"); `tap`, when given, receives every quote the
    data client publishes."""
    data_config, exec_config = oanda_client_configs(venue, state_dir, tuple(instruments))
    data_factory, exec_factory = oanda_client_factories(resolve_secret, tap)
    clients = VenueClients(
        OANDA_CLIENT, data_config, exec_config, data_factory, exec_factory,
        connect_seconds=venue.request_timeout_seconds * 2 + _CONNECT_MARGIN_SECONDS,
    )  # fmt: skip
    return assemble_node(
        clients, state_dir, strategies, trader_id=trader_id, cache=cache, risk_engine=risk_engine
    )


def assemble_node(
    clients: VenueClients,
    state_dir: Path,
    strategies: Sequence[Strategy] = (),
    *,
    trader_id: str = "GAUNTLET-001",
    cache: CacheConfig | None = None,
    risk_engine: LiveRiskEngineConfig | None = None,
) -> TradingNode:
    """A built (not started) node on one venue's `clients`, reconciling with the venue when
    it starts, logging under `state_dir`, with `strategies` added; on a loop of its own."""
    config = TradingNodeConfig(
        trader_id=TraderId(trader_id),
        logging=_logging(state_dir / LOG_SUBDIR),
        exec_engine=LiveExecEngineConfig(reconciliation=True, open_check_interval_secs=None),
        cache=cache,
        risk_engine=risk_engine or LiveRiskEngineConfig(),
        data_clients={clients.name: clients.data_config},
        exec_clients={clients.name: clients.exec_config},
        timeout_connection=clients.connect_seconds,
        timeout_reconciliation=5.0,
        timeout_portfolio=1.0,
        timeout_disconnection=3.0,
        timeout_post_stop=0.2,
    )
    loop = asyncio.new_event_loop()  # one loop per node: a restarted node gets its own
    asyncio.set_event_loop(loop)
    node = TradingNode(config=config, loop=loop)
    node.add_data_client_factory(clients.name, clients.data_factory)
    node.add_exec_client_factory(clients.name, clients.exec_factory)
    node.build()
    for strategy in strategies:
        node.trader.add_strategy(strategy)
    return node


def _logging(folder: Path) -> LoggingConfig:
    folder.mkdir(parents=True, exist_ok=True)
    return LoggingConfig(
        log_level="ERROR", log_level_file="INFO", log_directory=str(folder), log_colors=False
    )


def start_node(node: TradingNode) -> None:
    """Connect the clients, reconcile with the venue and start the strategies."""
    _loop(node).run_until_complete(node.kernel.start_async())


def run_until(node: TradingNode, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Run the node's loop until `condition` holds; TimeoutError after `timeout` seconds."""

    async def wait() -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the node did not reach the expected state in {timeout:g} s")
            await asyncio.sleep(0.02)

    _loop(node).run_until_complete(wait())


def stop_node(node: TradingNode) -> None:
    """Stop the strategies, disconnect the clients (the FIX session logs out) and dispose."""
    _loop(node).run_until_complete(node.kernel.stop_async())
    node.dispose()


def _loop(node: TradingNode) -> asyncio.AbstractEventLoop:
    loop = node.get_event_loop()
    if loop is None:  # assemble_node always gives the node a loop
        raise RuntimeError("the node has no event loop")
    return loop
