"""What a live session needs of a venue, and the venues it has: `LiveVenue`, `FixLiveVenue`,
`Mt5LiveVenue`, and `live_venue(config, resolve)` picking one by its config's type.

The session (execution_engine.live.session) is the same on every venue: the checks before
anything connects, the node on the venue's clients, the venue's own session state in
status.json under the venue's kind (`fix`: logged on and sequence numbers; `mt5`/`mt4`: the
terminal connected to the bridge).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from nautilus_trader.config import CacheConfig, LiveRiskEngineConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy

from execution_engine.adapters.fix.config import FixVenueConfig
from execution_engine.adapters.fix.providers import fix_instrument
from execution_engine.adapters.fix.session import FixInitiator, FixSessionError
from execution_engine.adapters.fix.sinks import QueueSink
from execution_engine.adapters.fix.tls import TlsVerificationError, VenueUnreachableError
from execution_engine.adapters.sandbox.providers import UnknownInstrumentError
from execution_engine.adapters.secrets import SecretResolver
from execution_engine.live.node import build_fix_node
from execution_engine.live.status import fix_snapshot


class LiveSetupError(ValueError):
    """The session cannot start: the message is one line saying what and how to fix it."""


class LiveVenue(Protocol):
    kind: str  # status.json's key for the venue's session state
    config: Any  # the venue config it was made from (LiveConfig.venue)

    @property
    def endpoint(self) -> str: ...

    def instrument_id(self, name: str) -> InstrumentId:
        """The venue's id for the marketdata name `name`; LiveSetupError if it has none."""

    def preflight(self, state_dir: Path) -> None:
        """Every check that can fail before the node is built; LiveSetupError, one line."""

    def build_node(
        self,
        state_dir: Path,
        strategies: Sequence[Strategy],
        *,
        instruments: Sequence[str],
        trader_id: str,
        cache: CacheConfig | None,
        risk_engine: LiveRiskEngineConfig,
    ) -> TradingNode: ...

    def snapshot(self, node: TradingNode) -> dict[str, Any]:
        """The venue session's state now, for status.json."""

    def closed(self, last: dict[str, Any]) -> dict[str, Any]:
        """`last` snapshot as it reads once the session has ended."""


class FixLiveVenue:
    """A FIX 4.4 venue (issue 12): QuickFIX session, logon checked before the node."""

    kind = "fix"

    def __init__(self, config: FixVenueConfig, resolve: SecretResolver) -> None:
        self.config, self.resolve = config, resolve

    @property
    def endpoint(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def instrument_id(self, name: str) -> InstrumentId:
        try:
            instrument_id: InstrumentId = fix_instrument(name).id
        except UnknownInstrumentError as exc:
            raise LiveSetupError(f"unknown instrument {name!r}: {exc}") from None
        return instrument_id

    def preflight(self, state_dir: Path) -> None:
        """One logon and logout with the configured certificate and credentials: inside a
        node a refused logon only shows in its log and the node idles."""
        initiator = FixInitiator(self.config, state_dir, self.resolve, QueueSink())
        try:
            initiator.start()
        except (FixSessionError, TlsVerificationError, VenueUnreachableError) as exc:
            raise LiveSetupError(f"venue {self.endpoint}: {exc}") from None
        finally:
            initiator.stop()

    def build_node(
        self,
        state_dir: Path,
        strategies: Sequence[Strategy],
        *,
        instruments: Sequence[str],
        trader_id: str,
        cache: CacheConfig | None,
        risk_engine: LiveRiskEngineConfig,
    ) -> TradingNode:
        return build_fix_node(
            self.config, state_dir, self.resolve, strategies, instruments=instruments,
            trader_id=trader_id, cache=cache, risk_engine=risk_engine,
        )  # fmt: skip

    def snapshot(self, node: TradingNode) -> dict[str, Any]:
        return fix_snapshot(self.config)

    def closed(self, last: dict[str, Any]) -> dict[str, Any]:
        return {**last, "logged_on": False}


def live_venue(config: FixVenueConfig, resolve: SecretResolver) -> LiveVenue:
    """The live venue for a venue config."""
    return FixLiveVenue(config, resolve)
