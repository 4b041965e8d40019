"""What a live session needs of a venue, and the venues it has: `LiveVenue`, `FixLiveVenue`,
`Mt5LiveVenue`, `OandaLiveVenue`, and `live_venue(config, resolve)` picking one by its config's type.

The session (execution_engine.live.session) is the same on every venue: the checks before
anything connects, the node on the venue's clients, the venue's own session state in
status.json under the venue's kind (`fix`: logged on and sequence numbers; `mt5`/`mt4`: the
terminal connected to the bridge).
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from nautilus_trader.config import CacheConfig, LiveRiskEngineConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.trading.strategy import Strategy

from execution_engine.adapters.fix.config import FixVenueConfig
from execution_engine.adapters.fix.providers import fix_instrument
from execution_engine.adapters.fix.session import FixInitiator, FixSessionError
from execution_engine.adapters.fix.sinks import QueueSink
from execution_engine.adapters.fix.tls import TlsVerificationError, VenueUnreachableError
from execution_engine.adapters.mt5.auth import Token, TokenError
from execution_engine.adapters.mt5.config import MT5_CLIENT, Mt5VenueConfig
from execution_engine.adapters.mt5.execution import Mt5ExecutionClient
from execution_engine.adapters.mt5.providers import mt5_instrument_id, mt5_symbol
from execution_engine.adapters.oanda.config import OANDA_CLIENT, OandaVenueConfig
from execution_engine.adapters.oanda.execution import OandaExecutionClient
from execution_engine.adapters.oanda.preflight import OandaPreflightError, check_account
from execution_engine.adapters.oanda.providers import (
    UnknownInstrumentError as UnknownOandaInstrumentError,
)
from execution_engine.adapters.oanda.providers import oanda_instrument_id, oanda_name
from execution_engine.adapters.quote_tap import QuoteTap
from execution_engine.adapters.sandbox.providers import UnknownInstrumentError
from execution_engine.adapters.secrets import SecretResolver
from execution_engine.live.node import build_fix_node, build_mt5_node, build_oanda_node
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
        tap: QuoteTap | None = None,
    ) -> TradingNode:
        """The built (not started) node on the venue; `tap`, when given, receives every
        quote its data client publishes (the session recorder)."""

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
        tap: QuoteTap | None = None,
    ) -> TradingNode:
        return build_fix_node(
            self.config, state_dir, self.resolve, strategies, instruments=instruments,
            trader_id=trader_id, cache=cache, risk_engine=risk_engine, tap=tap,
        )  # fmt: skip

    def snapshot(self, node: TradingNode) -> dict[str, Any]:
        return fix_snapshot(self.config)

    def closed(self, last: dict[str, Any]) -> dict[str, Any]:
        return {**last, "logged_on": False}


class Mt5LiveVenue:
    """A MetaTrader 5 or 4 terminal (issue 13): its EA dials the node's bridge, so what can
    be checked before the node is the token, the certificate and the bridge's port; a
    terminal that never dials in fails the node's start after `connect_timeout_seconds`."""

    def __init__(self, config: Mt5VenueConfig, resolve: SecretResolver) -> None:
        self.config, self.resolve = config, resolve
        self.kind: str = config.platform

    @property
    def endpoint(self) -> str:
        bridge = self.config.bridge
        return f"bridge {bridge.host}:{bridge.port} for terminal {bridge.terminal}"

    def instrument_id(self, name: str) -> InstrumentId:
        try:
            return mt5_instrument_id(name, self.config.venue)
        except ValueError as exc:
            raise LiveSetupError(f"instrument {name!r}: {exc}") from None

    def preflight(self, state_dir: Path) -> None:
        try:
            token = Token.parse(self.resolve(self.config.token_secret).get_secret_value())
        except TokenError as exc:
            raise LiveSetupError(f"the terminal's token: {exc}") from None
        if token.terminal != self.config.bridge.terminal:
            raise LiveSetupError(
                f"the token is terminal {token.terminal!r}'s, the venue config's terminal is "
                f"{self.config.bridge.terminal!r}"
            )
        if token.expires_at <= dt.datetime.now(dt.UTC):
            raise LiveSetupError(
                f"the terminal's token expired at {token.expires_at:%Y-%m-%d %H:%M} UTC: make "
                f"a new one (gauntlet venue token --terminal {token.terminal})"
            )
        self._check_port()

    def _check_port(self) -> None:
        bridge = self.config.bridge_config()
        for path in (bridge.tls_cert, bridge.tls_key):
            if path is not None and not path.is_file():
                raise LiveSetupError(f"the bridge's TLS file {path} does not exist")
        for port in (bridge.port, bridge.http_port):
            if not port:
                continue
            with socket.socket() as probe:
                try:
                    probe.bind((bridge.host, port))
                except OSError as exc:
                    raise LiveSetupError(
                        f"the bridge cannot listen on {bridge.host}:{port}: {exc.strerror} "
                        "(another node on this port?)"
                    ) from None

    def build_node(
        self,
        state_dir: Path,
        strategies: Sequence[Strategy],
        *,
        instruments: Sequence[str],
        trader_id: str,
        cache: CacheConfig | None,
        risk_engine: LiveRiskEngineConfig,
        tap: QuoteTap | None = None,
    ) -> TradingNode:
        symbols = [self._terminal_symbol(name) for name in instruments]
        return build_mt5_node(
            self.config, state_dir, self.resolve, strategies, instruments=symbols,
            trader_id=trader_id, cache=cache, risk_engine=risk_engine, tap=tap,
        )  # fmt: skip

    def _terminal_symbol(self, name: str) -> str:
        """The terminal's name for `name`: the venue config's `symbols` entry of the same
        instrument (a broker's "EURUSD.m" for EUR/USD), else the plain "EURUSD"."""
        wanted = self.instrument_id(name)
        for symbol in self.config.symbols:
            if mt5_instrument_id(symbol, self.config.venue) == wanted:
                return symbol
        return mt5_symbol(wanted)

    def snapshot(self, node: TradingNode) -> dict[str, Any]:
        # NautilusTrader's execution engine has no public lookup of a client by id.
        client = node.kernel.exec_engine._clients.get(ClientId(MT5_CLIENT))
        if not isinstance(client, Mt5ExecutionClient):
            return {"connected": False}
        return client.bridge_status()

    def closed(self, last: dict[str, Any]) -> dict[str, Any]:
        return {**last, "connected": False}


class OandaLiveVenue:
    """An OANDA v20 account (issue 14): before the node, one request with the token checks
    it, the account and the instruments named so far (`instrument_id`), so a wrong token or
    an instrument the account does not list is one line, not a node idling in its log."""

    kind = "oanda"

    def __init__(self, config: OandaVenueConfig, resolve: SecretResolver) -> None:
        self.config, self.resolve = config, resolve
        self._names: list[str] = []

    @property
    def endpoint(self) -> str:
        return self.config.endpoint_text

    def instrument_id(self, name: str) -> InstrumentId:
        try:
            instrument_id = oanda_instrument_id(name, self.config.venue)
        except UnknownOandaInstrumentError as exc:
            raise LiveSetupError(f"instrument {name!r}: {exc}") from None
        self._names.append(oanda_name(instrument_id))
        return instrument_id

    def preflight(self, state_dir: Path) -> None:
        try:
            check_account(self.config, self.resolve, self._names)
        except OandaPreflightError as exc:
            raise LiveSetupError(str(exc)) from None

    def build_node(
        self,
        state_dir: Path,
        strategies: Sequence[Strategy],
        *,
        instruments: Sequence[str],
        trader_id: str,
        cache: CacheConfig | None,
        risk_engine: LiveRiskEngineConfig,
        tap: QuoteTap | None = None,
    ) -> TradingNode:
        names = [oanda_name(self.instrument_id(name)) for name in instruments]
        return build_oanda_node(
            self.config, state_dir, self.resolve, strategies, instruments=names,
            trader_id=trader_id, cache=cache, risk_engine=risk_engine, tap=tap,
        )  # fmt: skip

    def snapshot(self, node: TradingNode) -> dict[str, Any]:
        # NautilusTrader's execution engine has no public lookup of a client by id.
        client = node.kernel.exec_engine._clients.get(ClientId(OANDA_CLIENT))
        if not isinstance(client, OandaExecutionClient):
            return {"connected": False}
        return client.status()

    def closed(self, last: dict[str, Any]) -> dict[str, Any]:
        return {**last, "connected": False}


def live_venue(
    config: FixVenueConfig | Mt5VenueConfig | OandaVenueConfig, resolve: SecretResolver
) -> LiveVenue:
    """The live venue for a venue config."""
    if isinstance(config, Mt5VenueConfig):
        return Mt5LiveVenue(config, resolve)
    if isinstance(config, OandaVenueConfig):
        return OandaLiveVenue(config, resolve)
    return FixLiveVenue(config, resolve)
