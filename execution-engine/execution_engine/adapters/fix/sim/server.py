"""Running the simulator: the TLS acceptor, the quote replay and the expiry clock.

`FixSimulator(config, quotes).start()` listens on `config.port` (TLS with the development
CA under the state folder, generated on first use), replays `quotes` at
`quote_interval_seconds` (0: only quotes pushed with `push_quote`), expires GTD orders,
and keeps its ledger in `<state>/ledger.jsonl`. `stop()` ends it all.
"""

from __future__ import annotations

import datetime as dt
import errno
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import quickfix as fix

from execution_engine.adapters.fix.devca import DevCa, generate_dev_ca
from execution_engine.adapters.fix.fixlog import FixLog
from execution_engine.adapters.fix.settings import acceptor_settings, session_id
from execution_engine.adapters.fix.sim.book import Book, BookRules
from execution_engine.adapters.fix.sim.broker import BrokerApplication
from execution_engine.adapters.fix.sim.faults import Faults
from execution_engine.adapters.fix.sim.ledger import Ledger
from execution_engine.adapters.fix.sim.quotes import Quote

_CLOCK_TICK_SECONDS = 0.02  # how often GTD expiry is checked


class SimulatorError(RuntimeError):
    """The simulator cannot start (port in use, bad files); one line."""


@dataclass(frozen=True)
class SimulatorConfig:
    port: int
    state_dir: Path
    username: str = "gauntlet"
    password: str = "sim-password"
    sender_comp_id: str = "SIMBROKER"  # the broker's CompID; clients target it
    target_comp_id: str = "GAUNTLET"
    account: str = "SIM-1"
    heartbeat_seconds: int = 30
    rules: BookRules = field(default_factory=BookRules)
    quote_interval_seconds: float = 0.0
    require_client_cert: bool = False

    @property
    def ca_dir(self) -> Path:
        return self.state_dir / "ca"

    @property
    def ledger_path(self) -> Path:
        return self.state_dir / "ledger.jsonl"


class FixSimulator:
    def __init__(self, config: SimulatorConfig, quotes: Sequence[Quote] = ()) -> None:
        self.config = config
        self.quotes = list(quotes)
        self.faults = Faults()
        self.ledger = Ledger(config.ledger_path)
        self.book = Book(config.rules, lambda: dt.datetime.now(dt.UTC))
        self.session_id = session_id(config.sender_comp_id, config.target_comp_id)
        self.ca: DevCa | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._acceptor: fix.SSLSocketAcceptor | None = None
        self._log: FixLog | None = None
        self.app: BrokerApplication | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.config.port}"

    def start(self) -> None:
        _require_free_port(self.config.port)
        self.ca = _dev_ca(self.config.ca_dir)
        self._log = FixLog(self.config.state_dir / "log")
        self.app = BrokerApplication(
            self._log,
            self.book,
            self.ledger,
            self.faults,
            (self.config.username, self.config.password),
            self.config.account,
            self.session_id,
        )
        store = self.config.state_dir / "store"
        store.mkdir(parents=True, exist_ok=True)
        settings = acceptor_settings(
            port=self.config.port,
            sender_comp_id=self.config.sender_comp_id,
            target_comp_id=self.config.target_comp_id,
            store_dir=store,
            server_cert=self.ca.server_cert,
            server_key=self.ca.server_key,
            client_ca=self.ca.ca_file if self.config.require_client_cert else None,
            heartbeat_seconds=self.config.heartbeat_seconds,
        )
        self._acceptor = fix.SSLSocketAcceptor(self.app, fix.FileStoreFactory(settings), settings)
        try:
            self._acceptor.start()
        except fix.RuntimeError as exc:
            raise SimulatorError(
                f"FIX simulator cannot start on port {self.config.port}: {exc}"
            ) from None
        self._spawn(self._clock_loop)
        if self.quotes and self.config.quote_interval_seconds > 0:
            self._spawn(self._replay_loop)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.app is not None:
            self.app.outbox.close()  # its last sends before QuickFIX stops
        if self._acceptor is not None:
            self._acceptor.stop(True)  # at once: the simulator owes no client a graceful logout
            self._acceptor = None
        if self._log is not None:
            self._log.close()
        self.ledger.close()

    # --- driving it -------------------------------------------------------------------------
    def push_quote(self, quote: Quote) -> None:
        self._broker().on_quote(quote)

    def wait_logged_on(self, timeout: float) -> bool:
        return self._broker().logged_on.wait(timeout)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every message queued so far is handed to QuickFIX (sent, or stored
        for resend while the line is down)."""
        return self._broker().outbox.flush(timeout)

    def skip_sequence(self, count: int) -> None:
        """The next message leaves `count` numbers out: the client sees a gap and resends."""
        self.flush()
        session = self._session()
        session.setNextSenderMsgSeqNum(session.getExpectedSenderNum() + count)

    def lower_sequence(self, count: int) -> None:
        """The next message reuses an old number (no PossDupFlag): the client must log out."""
        self.flush()
        session = self._session()
        session.setNextSenderMsgSeqNum(max(1, session.getExpectedSenderNum() - count))

    def disconnect(self) -> None:
        self._broker().disconnect()

    def unsolicited_cancel(self, cl_ord_id: str, text: str = "canceled by the broker") -> None:
        self._broker().unsolicited_cancel(cl_ord_id, text)

    def _broker(self) -> BrokerApplication:
        if self.app is None:
            raise SimulatorError("the FIX simulator is not started")
        return self.app

    def _session(self) -> fix.Session:
        session = fix.Session.lookupSession(self.session_id)
        if session is None:
            raise SimulatorError(f"no FIX session {self.session_id.toString()}")
        return session

    # --- background -------------------------------------------------------------------------
    def _spawn(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _clock_loop(self) -> None:
        while not self._stop.wait(_CLOCK_TICK_SECONDS):
            self._broker().on_time(dt.datetime.now(dt.UTC))

    def _replay_loop(self) -> None:
        for quote in self.quotes:
            if self._stop.wait(self.config.quote_interval_seconds):
                return
            self.push_quote(quote)


def _dev_ca(folder: Path) -> DevCa:
    """The CA under the state folder, generated the first time."""
    ca = folder / "ca.pem"
    if ca.exists():
        client = folder / "client.pem"
        has_client = client.exists()
        return DevCa(
            folder,
            ca,
            folder / "server.pem",
            folder / "server.key",
            client if has_client else None,
            folder / "client.key" if has_client else None,
        )
    return generate_dev_ca(folder, client=True, name="Gauntlet FIX simulator dev CA")


def _require_free_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError as exc:
            reason = (
                "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be bound: {exc.strerror}"
            )
            raise SimulatorError(f"port {port} {reason}") from None
