"""The FIX adapter as the kit drives it: `FixVenue` (any FIX 4.4 endpoint from a venue
config: a broker's UAT) and `FixSimVenue` (the bundled simulator, started on a given port
with its own quotes, and the market and fault controls only it has).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from nautilus_trader.config import LiveRiskEngineConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.trading.strategy import Strategy
from pydantic import SecretStr

from execution_engine.adapters.fix.config import (
    FIX_CLIENT,
    FixVenueConfig,
    SecretResolver,
    TlsConfig,
)
from execution_engine.adapters.fix.providers import fix_instrument, fix_symbol
from execution_engine.adapters.fix.sim.book import BookRules
from execution_engine.adapters.fix.sim.broker import BrokerApplication
from execution_engine.adapters.fix.sim.quotes import Quote
from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig
from execution_engine.conformance.venue import (
    Capabilities,
    FaultControl,
    MarketControl,
    RealEndpoint,
)
from execution_engine.live.node import build_fix_node

FIX_VENUE_NAME = "fix"
DEFAULT_INSTRUMENT = "EURUSD"
DEFAULT_ORDER_QTY = Decimal(1_000)  # a micro lot: what a UAT account always has room for
_TRADER_ID = "CERTIFY-001"
_QUERY_SECONDS = 3.0  # each reconciliation query's wait for the venue


@dataclass
class FixVenue(RealEndpoint):
    """A FIX endpoint from its venue config, credentials resolved by `resolve`."""

    config: FixVenueConfig
    resolve: SecretResolver
    instrument: str = DEFAULT_INSTRUMENT  # a marketdata name the venue lists
    capabilities: Capabilities = field(
        default_factory=lambda: Capabilities(order_qty=DEFAULT_ORDER_QTY)
    )
    name: str = FIX_VENUE_NAME
    client_id: ClientId = field(default_factory=lambda: ClientId(FIX_CLIENT))

    @property
    def endpoint(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    @property
    def instrument_id(self) -> InstrumentId:
        instrument_id: InstrumentId = fix_instrument(self.instrument).id
        return instrument_id

    def build_node(self, state_dir: Path, strategies: list[Strategy]) -> TradingNode:
        # The spec's prerequisite: the risk engine bypassed, so what is tested is the venue.
        return build_fix_node(
            self.config,
            state_dir,
            self.resolve,
            strategies,
            instruments=self._instruments(),
            trader_id=_TRADER_ID,
            request_timeout_seconds=_QUERY_SECONDS,
            risk_engine=LiveRiskEngineConfig(bypass=True),
        )

    def _instruments(self) -> tuple[str, ...]:
        unlisted = self.capabilities.unlisted_instrument
        extra = () if unlisted is None else (fix_symbol(unlisted),)
        return (self.instrument, *extra)


# --- the bundled simulator ------------------------------------------------------------------

SIM_BID, SIM_ASK = Decimal("1.20000"), Decimal("1.20010")
SIM_MAX_QUANTITY = Decimal(1_000_000)  # the simulator's size limit: GC-R1 asks for more
SIM_UNLISTED = "GBPUSD"  # the node knows it, the simulator does not list it (GC-R2)
SIM_GTD_SECONDS = 1.5
_SIM_SECRETS = {"fix_sim_username": "gauntlet", "fix_sim_password": "sim-password"}


def sim_rules(top_size: Decimal | None = None) -> BookRules:
    """The simulator's book as the kit wants it; `top_size` 0 makes a venue that never fills
    (the test that proves the kit can say no)."""
    return BookRules(
        top_size=top_size,
        symbols=frozenset({DEFAULT_INSTRUMENT}),
        max_quantity=SIM_MAX_QUANTITY,
    )


class FixSimVenue:
    """The FIX simulator on `port` (state under `state_dir`), quoting SIM_BID/SIM_ASK."""

    name = FIX_VENUE_NAME

    def __init__(self, state_dir: Path, port: int, rules: BookRules | None = None) -> None:
        config = SimulatorConfig(
            port=port,
            state_dir=state_dir,
            username=_SIM_SECRETS["fix_sim_username"],
            password=_SIM_SECRETS["fix_sim_password"],
            rules=rules or sim_rules(),
        )
        self.sim = FixSimulator(config)
        self.client_id = ClientId(FIX_CLIENT)
        self.capabilities = Capabilities(
            order_qty=DEFAULT_ORDER_QTY,
            gtd_expiry_seconds=SIM_GTD_SECONDS,
            oversize_qty=SIM_MAX_QUANTITY * 2,
            unlisted_instrument=fix_instrument(SIM_UNLISTED).id,
        )

    @property
    def endpoint(self) -> str:
        return f"{self.sim.endpoint} (bundled simulator)"

    @property
    def instrument_id(self) -> InstrumentId:
        instrument_id: InstrumentId = fix_instrument(DEFAULT_INSTRUMENT).id
        return instrument_id

    @property
    def market(self) -> MarketControl:
        return self

    @property
    def faults(self) -> FaultControl:
        return SimFaults(self.sim)

    def push_quote(self, bid: Decimal, ask: Decimal) -> None:
        self.sim.push_quote(Quote(DEFAULT_INSTRUMENT, bid, ask, dt.datetime.now(dt.UTC)))

    def start(self) -> None:
        self.sim.start()
        self.push_quote(SIM_BID, SIM_ASK)

    def stop(self) -> None:
        self.sim.stop()

    def build_node(self, state_dir: Path, strategies: list[Strategy]) -> TradingNode:
        return FixVenue(
            self.venue_config(), _sim_secret, capabilities=self.capabilities
        ).build_node(state_dir, strategies)

    def venue_config(self) -> FixVenueConfig:
        """The client side of the simulator's session, TLS verified against its dev CA."""
        ca, config = self.sim.ca, self.sim.config
        if ca is None:
            raise RuntimeError("the FIX simulator is not started")
        return FixVenueConfig(
            host="127.0.0.1", port=config.port, sender_comp_id=config.target_comp_id,
            target_comp_id=config.sender_comp_id, username_secret="fix_sim_username",
            password_secret="fix_sim_password", tls=TlsConfig(ca_file=ca.ca_file),
            account=config.account, max_logon_attempts=3, logon_backoff_seconds=0.2,
            logon_timeout_seconds=3.0,
        )  # fmt: skip


def _sim_secret(name: str) -> SecretStr:
    return SecretStr(_SIM_SECRETS[name])


class SimFaults:
    """FaultControl on the simulator: its one-shot faults and its ledger."""

    def __init__(self, sim: FixSimulator) -> None:
        self.sim = sim

    def drop_on_next_order(self) -> None:
        self.sim.faults.drop_on_next_order = True

    def duplicate_next_fill(self) -> None:
        self.sim.faults.duplicate_next_fill = True

    def reject_next_order(self, text: str) -> None:
        self.sim.faults.reject_text = text
        self.sim.faults.reject_next_orders = 1

    def skip_sequence(self, count: int) -> None:
        self.sim.skip_sequence(count)

    def orders_received(self, client_order_id: str) -> int:
        kinds = ("order", "duplicate_order")
        return sum(
            1
            for e in self.sim.ledger.entries()
            if e.kind in kinds and e.cl_ord_id == client_order_id
        )

    def fills_sent(self, client_order_id: str) -> list[bool]:
        return [
            e.poss_dup for e in self.sim.ledger.entries("fill") if e.cl_ord_id == client_order_id
        ]

    def net_position(self) -> Decimal:
        with self._broker().lock:  # the book is the broker's, read under its lock
            return self.sim.book.positions().get(DEFAULT_INSTRUMENT, Decimal(0))

    def logons(self) -> int:
        return self._broker().logons

    def resend_requests(self) -> int:
        return self._broker().resend_requests

    def _broker(self) -> BrokerApplication:
        if self.sim.app is None:
            raise RuntimeError("the FIX simulator is not started")
        return self.sim.app
