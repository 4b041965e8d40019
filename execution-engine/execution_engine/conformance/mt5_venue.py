"""The MetaTrader adapter as the kit drives it: `Mt5Venue` (a real terminal running the EA,
which dials in to the node's bridge from a venue config) and `Mt5SimVenue` (the bundled
terminal simulator, MT5 or MT4, dialing in to a bridge on a free loopback port, with the
market and fault controls only it has).

Cards MetaTrader's model has no counterpart for are not run and say why (`NOT_APPLICABLE`).
"""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from nautilus_trader.config import LiveRiskEngineConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.trading.strategy import Strategy
from pydantic import SecretStr

from execution_engine.adapters.fix.devca import generate_dev_ca
from execution_engine.adapters.mt5.auth import new_token
from execution_engine.adapters.mt5.bridge import BridgeConfig
from execution_engine.adapters.mt5.codes import MarginMode
from execution_engine.adapters.mt5.config import MT5_CLIENT, Mt5VenueConfig
from execution_engine.adapters.mt5.keys import comment_key
from execution_engine.adapters.mt5.providers import mt5_instrument_id
from execution_engine.adapters.mt5.sim.engine import EngineConfig
from execution_engine.adapters.mt5.sim.terminal import SimTerminalConfig, TerminalSimulator
from execution_engine.adapters.secrets import SecretResolver
from execution_engine.conformance.context import NotApplicableError
from execution_engine.conformance.venue import (
    Capabilities,
    FaultControl,
    MarketControl,
    RealEndpoint,
)
from execution_engine.live.node import build_mt5_node

MT5_VENUE_NAMES = ("mt5", "mt4")
DEFAULT_SYMBOL = "EURUSD"
DEFAULT_ORDER_QTY = Decimal(1_000)  # 0.01 lots of 100,000: the smallest MetaTrader volume
# Above every retail symbol's SYMBOL_VOLUME_MAX (the simulator's EURUSD: 100 lots): 10014.
OVERSIZE_QTY = Decimal(1_000) * 100_000
_TRADER_ID = "CERTIFY-001"
_QUERY_SECONDS = 3.0

_IOC_FOK = (
    "MetaTrader fills IOC/FOK only as market deals on a market- or instant-execution "
    "symbol (ORDER_FILLING_IOC/FOK on a pending order needs exchange execution)"
)
NOT_APPLICABLE: dict[str, str] = {
    "TC-E13": _IOC_FOK,
    "TC-E14": _IOC_FOK,
    "TC-E15": _IOC_FOK,
    "TC-E16": _IOC_FOK,
    "GC-M1": (
        "TRADE_ACTION_MODIFY changes a pending order's price, stops and expiration, "
        "never its volume"
    ),
    "GC-R2": (
        "the node's instruments come from the terminal's own symbol list, so it cannot hold "
        "one the terminal does not list"
    ),
    "GC-C3": (
        "the bridge has no sequence numbers to skip: TCP orders the stream, and a "
        "reconnect re-reads orders, positions and deals"
    ),
}
NOT_APPLICABLE_MT4: dict[str, str] = {
    **NOT_APPLICABLE,
    "TC-E03": (
        "MetaTrader 4 has no filling modes: a market order fills whole or not at all, so an "
        "IOC market order is executed (and reported) as FOK"
    ),
    "TC-E22": "MetaTrader 4 has no stop-limit orders",
    "TC-E23": "MetaTrader 4 has no stop-limit orders",
}


def _capabilities(platform: str, gtd_expiry_seconds: float = 2.0) -> Capabilities:
    skipped = NOT_APPLICABLE_MT4 if platform == "mt4" else NOT_APPLICABLE
    return Capabilities(
        order_qty=DEFAULT_ORDER_QTY, gtd_expiry_seconds=gtd_expiry_seconds,
        oversize_qty=OVERSIZE_QTY, not_applicable=skipped, stop_limit_inside=True,
    )  # fmt: skip


@dataclass
class Mt5Venue(RealEndpoint):
    """A terminal running the EA, reached by the bridge its venue config describes."""

    config: Mt5VenueConfig
    resolve: SecretResolver
    symbol: str = DEFAULT_SYMBOL
    capabilities: Capabilities = field(default_factory=lambda: _capabilities("mt5"))
    client_id: ClientId = field(default_factory=lambda: ClientId(MT5_CLIENT))
    name: str = field(init=False, default="mt5")  # the CLI's --venue: the config's platform

    def __post_init__(self) -> None:
        self.name = str(self.config.platform)
        self.capabilities = _capabilities(self.config.platform)

    @property
    def endpoint(self) -> str:
        bridge = self.config.bridge
        return f"bridge {bridge.host}:{bridge.port}, terminal {bridge.terminal}"

    @property
    def instrument_id(self) -> InstrumentId:
        return mt5_instrument_id(self.symbol, self.config.venue)

    def build_node(self, state_dir: Path, strategies: list[Strategy]) -> TradingNode:
        # The spec's prerequisite: the risk engine bypassed, so what is tested is the venue.
        return build_mt5_node(
            self.config,
            state_dir,
            self.resolve,
            strategies,
            instruments=(self.symbol,),
            trader_id=_TRADER_ID,
            request_timeout_seconds=_QUERY_SECONDS,
            risk_engine=LiveRiskEngineConfig(bypass=True),
        )


# --- the bundled simulator ------------------------------------------------------------------

SIM_BID, SIM_ASK = Decimal("1.20000"), Decimal("1.20010")
SIM_TERMINAL = "sim-terminal-1"
SIM_TOKEN_SECRET = "mt5_sim_token"
SIM_GTD_SECONDS = 1.5
_SIM_BACKOFF = (0.05, 0.1, 0.2, 0.5, 1.0)  # the EA's is 1..30 s; the kit restarts nodes
_MARGIN_MODES = {MarginMode.NETTING: "netting", MarginMode.HEDGING: "hedging"}


def free_port() -> int:
    """A loopback port nobody listens on now (the bridge's: the terminal dials it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Mt5SimVenue:
    """The terminal simulator (MT5 or MT4) dialing a node's bridge on `port`, its TLS and
    token made under `state_dir`."""

    def __init__(
        self,
        state_dir: Path,
        port: int | None = None,
        platform: str = "mt5",
        engine: EngineConfig | None = None,
    ) -> None:
        self.name = platform
        self.platform = platform
        self.port = port or free_port()
        self.http_port = free_port() if platform == "mt4" else None
        self.ca = generate_dev_ca(state_dir / "mt5-tls")
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        self.token = new_token(SIM_TERMINAL, expires)
        self.engine = engine or EngineConfig(platform=platform)
        self.sim = TerminalSimulator(self._sim_config(self.engine))
        self.client_id = ClientId(MT5_CLIENT)
        self.capabilities = _capabilities(self.platform, gtd_expiry_seconds=SIM_GTD_SECONDS)

    def _sim_config(self, engine: EngineConfig) -> SimTerminalConfig:
        return SimTerminalConfig(
            host="127.0.0.1",
            port=self.http_port or self.port,
            token=self.token,
            terminal=SIM_TERMINAL,
            ca_file=self.ca.ca_file,
            platform=self.platform,
            engine=engine,
            backoff=_SIM_BACKOFF,
        )

    def venue_config(self) -> Mt5VenueConfig:
        """The bridge the simulator dials, TLS from the dev CA."""
        bridge = BridgeConfig(
            port=self.port, tls_cert=self.ca.server_cert, tls_key=self.ca.server_key,
            terminal=SIM_TERMINAL, http_port=self.http_port, heartbeat_seconds=1.0,
        )  # fmt: skip
        return Mt5VenueConfig(
            platform=self.platform, bridge=bridge, token_secret=SIM_TOKEN_SECRET,
            margin_mode=_MARGIN_MODES[self.engine.margin_mode],
            connect_timeout_seconds=10.0, request_timeout_seconds=3.0,
        )  # fmt: skip

    @property
    def endpoint(self) -> str:
        return f"bridge 127.0.0.1:{self.port} ({self.platform} terminal simulator)"

    @property
    def instrument_id(self) -> InstrumentId:
        return mt5_instrument_id(DEFAULT_SYMBOL, self.venue_config().venue)

    @property
    def market(self) -> MarketControl:
        return self

    @property
    def faults(self) -> FaultControl:
        return Mt5SimFaults(self.sim)

    def push_quote(self, bid: Decimal, ask: Decimal) -> None:
        self.sim.push_tick(DEFAULT_SYMBOL, bid, ask)

    def start(self) -> None:
        self.sim.start()
        self.push_quote(SIM_BID, SIM_ASK)

    def stop(self) -> None:
        self.sim.stop()

    def resolve(self, name: str) -> SecretStr:
        if name != SIM_TOKEN_SECRET:
            raise KeyError(f"no secret {name!r} in the simulator's set")
        return SecretStr(self.token)

    def build_node(self, state_dir: Path, strategies: list[Strategy]) -> TradingNode:
        venue = Mt5Venue(self.venue_config(), self.resolve)
        return venue.build_node(state_dir, strategies)


class Mt5SimFaults:
    """FaultControl on the terminal simulator: its one-shot faults and its ledger."""

    def __init__(self, sim: TerminalSimulator) -> None:
        self.sim = sim

    def drop_on_next_order(self) -> None:
        self.sim.link.faults.drop_after_next = "order_send"

    def duplicate_next_fill(self) -> None:
        self.sim.engine.faults.duplicate_next_deal = True

    def reject_next_order(self, text: str) -> None:
        self.sim.engine.faults.reject_next = text

    def skip_sequence(self, count: int) -> None:
        raise NotApplicableError(NOT_APPLICABLE["GC-C3"])

    def orders_received(self, client_order_id: str) -> int:
        return self.sim.engine.requests_with_key(comment_key(client_order_id))

    def fills_sent(self, client_order_id: str) -> list[bool]:
        return self.sim.engine.deal_events_with_key(comment_key(client_order_id))

    def net_position(self) -> Decimal:
        lots = self.sim.engine.net_volume(DEFAULT_SYMBOL)
        return lots * self.sim.engine.contract_size(DEFAULT_SYMBOL)

    def logons(self) -> int:
        return self.sim.link.connects

    def resend_requests(self) -> int:
        raise NotApplicableError(NOT_APPLICABLE["GC-C3"])
