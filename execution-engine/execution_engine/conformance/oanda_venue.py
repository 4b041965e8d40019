"""The OANDA adapter as the kit drives it: `OandaVenue` (an account reached from a venue
config: a practice account, or OANDA live) and `OandaSimVenue` (the bundled v20 simulator,
in-process on a free loopback port, with the market and fault controls only it has).

Cards OANDA's model has no counterpart for are not run and say why (`NOT_APPLICABLE`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from nautilus_trader.config import LiveRiskEngineConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.trading.strategy import Strategy
from pydantic import SecretStr

from execution_engine.adapters.oanda.config import OANDA_CLIENT, OandaVenueConfig
from execution_engine.adapters.oanda.providers import oanda_instrument_id
from execution_engine.adapters.oanda.sim.config import SimConfig
from execution_engine.adapters.oanda.sim.simulator import OandaSimulator
from execution_engine.adapters.oanda.sim.streams import Subscriber
from execution_engine.adapters.oanda.sim.transactions import Transaction
from execution_engine.adapters.secrets import SecretResolver
from execution_engine.conformance.venue import (
    Capabilities,
    FaultControl,
    MarketControl,
    RealEndpoint,
)
from execution_engine.live.node import build_oanda_node

DEFAULT_INSTRUMENT = "EUR_USD"
DEFAULT_ORDER_QTY = Decimal(1_000)  # units; OANDA's minimum trade size is 1 unit
# Above OANDA's maximumOrderUnits for EUR_USD (100,000,000): UNITS_LIMIT_EXCEEDED.
OVERSIZE_QTY = Decimal(200_000_000)
_TRADER_ID = "CERTIFY-001"

NOT_APPLICABLE: dict[str, str] = {
    "GC-R2": (
        "the node's instruments come from the account's own instrument list, so it cannot "
        "hold one the account does not list"
    ),
}


def _capabilities(gtd_expiry_seconds: float = 2.0) -> Capabilities:
    return Capabilities(
        order_qty=DEFAULT_ORDER_QTY, gtd_expiry_seconds=gtd_expiry_seconds,
        oversize_qty=OVERSIZE_QTY, not_applicable=NOT_APPLICABLE,
    )  # fmt: skip


@dataclass
class OandaVenue(RealEndpoint):
    """An OANDA account (practice or live) reached with the config's token."""

    config: OandaVenueConfig
    resolve: SecretResolver
    instrument: str = DEFAULT_INSTRUMENT  # OANDA's name
    capabilities: Capabilities = field(default_factory=_capabilities)
    client_id: ClientId = field(default_factory=lambda: ClientId(OANDA_CLIENT))
    name: str = "oanda"

    @property
    def endpoint(self) -> str:
        return self.config.endpoint_text

    @property
    def instrument_id(self) -> InstrumentId:
        return oanda_instrument_id(self.instrument, self.config.venue)

    def build_node(self, state_dir: Path, strategies: list[Strategy]) -> TradingNode:
        # The spec's prerequisite: the risk engine bypassed, so what is tested is the venue.
        return build_oanda_node(
            self.config, state_dir, self.resolve, strategies, instruments=(self.instrument,),
            trader_id=_TRADER_ID, risk_engine=LiveRiskEngineConfig(bypass=True),
        )  # fmt: skip


# --- the bundled simulator ------------------------------------------------------------------

SIM_BID, SIM_ASK = Decimal("1.20000"), Decimal("1.20010")
SIM_TOKEN_SECRET = "oanda_sim_token"
SIM_TOKEN = SecretStr("conformance-kit-token")
SIM_HEARTBEAT_SECONDS = 0.5  # streams heartbeat often: a stall is seen within a second
SIM_GTD_SECONDS = 1.5


class OandaSimVenue:
    """The v20 simulator in this process on a free loopback port, quoting only what the kit
    pushes (no replayed bars), its account netting as `venues/oanda-sim.toml`'s."""

    def __init__(self, hedging: bool = False) -> None:
        self.name = "oanda"
        self.hedging = hedging
        self.sim = OandaSimulator(
            SimConfig(
                token=SIM_TOKEN, hedging=hedging, replay=False,
                heartbeat_interval=SIM_HEARTBEAT_SECONDS,
            )
        )  # fmt: skip
        self._faults = OandaSimFaults(self.sim)
        self.client_id = ClientId(OANDA_CLIENT)
        self.capabilities = _capabilities(gtd_expiry_seconds=SIM_GTD_SECONDS)

    def venue_config(self) -> OandaVenueConfig:
        return OandaVenueConfig(
            environment="sim", port=self.sim.port, token_secret=SIM_TOKEN_SECRET,
            account_id=self.sim.account_id, hedging=self.hedging,
            heartbeat_seconds=SIM_HEARTBEAT_SECONDS, request_timeout_seconds=3.0,
            instruments=(DEFAULT_INSTRUMENT,),
        )  # fmt: skip

    @property
    def endpoint(self) -> str:
        port = self.sim.port or "a free port"  # 0 until the simulator listens
        return f"http://127.0.0.1:{port} (OANDA v20 simulator)"

    @property
    def instrument_id(self) -> InstrumentId:
        return oanda_instrument_id(DEFAULT_INSTRUMENT)

    @property
    def market(self) -> MarketControl:
        return self

    @property
    def faults(self) -> FaultControl:
        return self._faults

    def push_quote(self, bid: Decimal, ask: Decimal) -> None:
        self.sim.push_quote(DEFAULT_INSTRUMENT, bid, ask)

    def start(self) -> None:
        self.sim.start()
        self.push_quote(SIM_BID, SIM_ASK)

    def stop(self) -> None:
        self.sim.stop()

    def resolve(self, name: str) -> SecretStr:
        if name != SIM_TOKEN_SECRET:
            raise KeyError(f"no secret {name!r} in the simulator's set")
        return SIM_TOKEN

    def build_node(self, state_dir: Path, strategies: list[Strategy]) -> TradingNode:
        venue = OandaVenue(self.venue_config(), self.resolve)
        return venue.build_node(state_dir, strategies)


class _CountingSet(set[Subscriber]):
    """The simulator's set of open transaction streams, counting every one added: how many
    times a client (re)connected its stream, the session logons of a FIX venue."""

    added = 0

    def add(self, item: Subscriber) -> None:
        self.added += 1
        super().add(item)


class OandaSimFaults:
    """FaultControl on the simulator: its one-shot faults and its ledger. What the simulator
    neither does nor counts, this adds on its stream hub and its transaction log: a gap
    (the next transactions left out of the transaction streams, still in the log for
    `sinceid`), the streams opened (logons) and the `sinceid` reads (resend requests)."""

    def __init__(self, sim: OandaSimulator) -> None:
        self.sim = sim
        self._streams = _CountingSet()
        sim.hub.transactions = self._streams  # counting every stream it opens
        self._duplicate_after: int | None = None  # the last transaction id when armed
        self._skip = 0  # transactions still to leave out of the streams
        self._since_reads = 0
        publish, since = sim.hub.publish_transaction, sim.broker.log.since

        def publish_unless_skipped(line: bytes) -> None:
            if self._skip > 0:
                self._skip -= 1
                return
            publish(line)

        def counted_since(transaction_id: int) -> list[Transaction]:
            if transaction_id > 0:  # the ledger's own reads start at 0
                self._since_reads += 1
            return since(transaction_id)

        sim.hub.publish_transaction = publish_unless_skipped  # type: ignore[method-assign]  # instrumented
        sim.broker.log.since = counted_since  # type: ignore[method-assign,assignment]  # instrumented

    def drop_on_next_order(self) -> None:
        self.sim.faults.drop_on_next_order = True

    def duplicate_next_fill(self) -> None:
        self._duplicate_after = int(self.sim.broker.log.last_id or 0)
        self.sim.faults.duplicate_next_fill = True

    def reject_next_order(self, text: str) -> None:
        self.sim.faults.reject_next_order(text)

    def skip_sequence(self, count: int) -> None:
        self._skip = count

    def orders_received(self, client_order_id: str) -> int:
        return len(self.sim.orders_received(client_order_id))

    def fills_sent(self, client_order_id: str) -> list[bool]:
        """Each ORDER_FILL of the order the simulator sent: False, and True after the one
        its duplicate fault sent twice."""
        fills = self.sim.fills_sent(client_order_id)
        sent: list[bool] = []
        copied = self._copied_fill()
        for fill in fills:
            sent.append(False)
            if fill["id"] == copied:
                sent.append(True)
        return sent

    def _copied_fill(self) -> str | None:
        """The fill the duplicate fault was spent on: the first after it was armed."""
        if self._duplicate_after is None or self.sim.faults.duplicate_next_fill:
            return None
        for transaction in self.sim.transactions():
            if (
                transaction["type"] == "ORDER_FILL"
                and int(transaction["id"]) > self._duplicate_after
            ):
                return str(transaction["id"])
        return None

    def net_position(self) -> Decimal:
        return Decimal(self.sim.net_position(DEFAULT_INSTRUMENT))

    def logons(self) -> int:
        return self._streams.added

    def resend_requests(self) -> int:
        return self._since_reads
