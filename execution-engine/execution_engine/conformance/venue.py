"""What the kit needs of a venue: `VenueUnderTest`.

Venue-agnostic on purpose: MT5 and OANDA adapters (later issues) must pass the same cards,
so a venue only says how to build a node on its clients for an endpoint, which instrument
the cards trade and in what size, and which optional controls it has. Prices come from the
node itself (the venue's data client); only a simulator can move them (`MarketControl`) or
break its own session (`FaultControl`), and cards that need those are not_applicable on a
real endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.trading.strategy import Strategy


@dataclass(frozen=True)
class Capabilities:
    """What the cards may assume of a venue.

    `order_qty`: the small quantity every card trades. `gtd_expiry_seconds`: the shortest
    GTD expiry the venue accepts (TC-E18 waits this long). `oversize_qty`: a quantity the
    venue is known to refuse (above its maximum), or None. `unlisted_instrument`: an
    instrument the node can trade but the venue does not list, or None.
    `not_applicable`: card id → why this venue cannot be asked what the card asks (a
    feature its protocol does not have); the card is reported not_applicable with that
    reason and not run. `stop_limit_inside`: see the field."""

    order_qty: Decimal
    gtd_expiry_seconds: float = 2.0
    oversize_qty: Decimal | None = None
    unlisted_instrument: InstrumentId | None = None
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    # Where a stop-limit's limit sits: beyond its stop (FIX venues: a buy stop at 1.2010 with
    # its limit at 1.2020) or inside it, between the market and the stop (MetaTrader: a
    # BUY_STOP_LIMIT places a buy limit, which must be below the price that placed it).
    stop_limit_inside: bool = False


class MarketControl(Protocol):
    """A venue whose quotes the kit sets (a simulator)."""

    def push_quote(self, bid: Decimal, ask: Decimal) -> None:
        """Make (bid, ask) the venue's touch for the cards' instrument now."""


class FaultControl(Protocol):
    """Faults only a simulator can inject, and its ledger of what reached it."""

    def drop_on_next_order(self) -> None:
        """Drop the connection when the next order arrives (it is still executed)."""

    def duplicate_next_fill(self) -> None:
        """Send the next fill twice, the copy flagged as a possible duplicate."""

    def reject_next_order(self, text: str) -> None:
        """Reject the next order with `text` as the reason."""

    def skip_sequence(self, count: int) -> None:
        """Leave `count` sequence numbers out of the next message (a gap)."""

    def orders_received(self, client_order_id: str) -> int:
        """How many new-order messages for this id reached the venue (resends included)."""

    def fills_sent(self, client_order_id: str) -> list[bool]:
        """The fills the venue sent for this id: False an original, True a flagged copy."""

    def net_position(self) -> Decimal:
        """The net quantity the venue's ledger holds in the cards' instrument."""

    def logons(self) -> int:
        """Logons the venue has accepted so far (a dropped session that comes back adds one)."""

    def resend_requests(self) -> int:
        """ResendRequests the venue has received so far."""


class RealEndpoint:
    """What every real venue (a broker's UAT, a real terminal) answers alike: the kit cannot
    set its prices or break its session, and nothing is started for it."""

    @property
    def market(self) -> MarketControl | None:
        return None  # a real venue's prices are its own

    @property
    def faults(self) -> FaultControl | None:
        return None

    def start(self) -> None:
        """A real endpoint is up or not: the node's connection says which."""

    def stop(self) -> None:
        """Nothing was started."""


class VenueUnderTest(Protocol):
    """A venue adapter and an endpoint, as the kit drives them."""

    name: str  # the CLI's --venue value
    client_id: ClientId  # the node's data client to subscribe through
    capabilities: Capabilities

    @property
    def endpoint(self) -> str:
        """For the report: host:port or the like."""

    @property
    def instrument_id(self) -> InstrumentId:
        """What the cards trade."""

    @property
    def market(self) -> MarketControl | None: ...

    @property
    def faults(self) -> FaultControl | None: ...

    def start(self) -> None:
        """Make the endpoint ready (a simulator starts and quotes); a broker: nothing."""

    def stop(self) -> None:
        """Undo `start`."""

    def build_node(self, state_dir: Path, strategies: list[Strategy]) -> TradingNode:
        """A built (not started) node on the venue's clients, its state under `state_dir`,
        reconciling with the venue when it starts, with `strategies` added."""
