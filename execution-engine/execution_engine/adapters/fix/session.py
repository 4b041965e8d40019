"""The initiator: one FIX 4.4 session to a venue over TLS, from logon to logout.

`FixInitiator.start()` checks the venue's certificate, then logs on with credentials from
the secrets provider, retrying a refused logon a bounded number of times with backoff (a
wrong password must not become a retry storm). Once logged on, QuickFIX owns the session
layer: heartbeats, TestRequest, ResendRequest, SequenceReset/GapFill, the file store of
sequence numbers under the node's state folder, and reconnects. Incoming application
messages are parsed and handed to a sink (sinks.py) for the event loop.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import quickfix as fix
from pydantic import SecretStr

from execution_engine.adapters.fix.application import LoggingApplication, msg_type
from execution_engine.adapters.fix.codes import MsgType
from execution_engine.adapters.fix.config import FixVenueConfig, SecretResolver
from execution_engine.adapters.fix.fixlog import FixLog
from execution_engine.adapters.fix.reports import UnreadableMessage, parse_message
from execution_engine.adapters.fix.settings import initiator_settings, session_id
from execution_engine.adapters.fix.sinks import Sink
from execution_engine.adapters.fix.tls import check_venue_certificate
from execution_engine.adapters.fix.wire import FixMessageError


class FixSessionError(RuntimeError):
    """The session cannot do what was asked (not logged on, send refused); one line."""


class FixLogonError(FixSessionError):
    """Logon failed after every allowed attempt; the message says why (the venue's Text)."""


@dataclass
class _LogonOutcome:
    """What one logon attempt came to; set once by QuickFIX's thread."""

    done: threading.Event
    logged_on: bool = False
    reason: str | None = None


class InitiatorApplication(LoggingApplication):
    def __init__(self, log: FixLog, username: SecretStr, password: SecretStr, sink: Sink) -> None:
        super().__init__(log)
        self._username = username
        self._password = password
        self._sink = sink
        self.outcome = _LogonOutcome(threading.Event())
        self.logged_on = threading.Event()
        self.logged_off = threading.Event()
        self.last_logout_text: str | None = None

    def new_attempt(self) -> _LogonOutcome:
        self.outcome = _LogonOutcome(threading.Event())
        return self.outcome

    def on_logon(self, session_id: fix.SessionID) -> None:
        self.logged_off.clear()
        self.logged_on.set()
        self.outcome.logged_on = True
        self.outcome.done.set()

    def on_logout(self, session_id: fix.SessionID) -> None:
        self.logged_on.clear()
        self.logged_off.set()
        if not self.outcome.done.is_set():
            self.outcome.reason = self.last_logout_text or "the venue closed the connection"
            self.outcome.done.set()

    def on_admin_out(self, message: fix.Message, session_id: fix.SessionID) -> None:
        kind = msg_type(message)
        if kind == MsgType.LOGON:
            message.setField(553, self._username.get_secret_value())
            message.setField(554, self._password.get_secret_value())
        elif kind == MsgType.LOGOUT and message.isSetField(58):
            self.last_logout_text = f"we logged out: {message.getField(58)}"

    def on_admin_in(self, message: fix.Message, session_id: fix.SessionID) -> None:
        if msg_type(message) == MsgType.LOGOUT:
            text = message.getField(58) if message.isSetField(58) else "no reason given"
            self.last_logout_text = f"the venue logged out: {text}"

    def on_app_in(self, raw: str, session_id: fix.SessionID) -> None:
        try:
            self._sink(parse_message(raw))
        except FixMessageError as exc:
            self.log.event(f"unreadable message: {exc}")
            self._sink(UnreadableMessage(raw, str(exc)))


class FixInitiator:
    """One session to the venue in `config`; its store and logs under `node_state`."""

    def __init__(
        self,
        config: FixVenueConfig,
        node_state: Path,
        resolve: SecretResolver,
        sink: Sink,
        *,
        reconnect_seconds: int = 5,
        check_certificate: bool = True,
    ) -> None:
        self.config = config
        self.folder = config.state_dir(node_state)
        self.session_id = session_id(config.sender_comp_id, config.target_comp_id)
        self.log = FixLog(self.folder / "log")
        username, password = config.credentials(resolve)
        self.app = InitiatorApplication(self.log, username, password, sink)
        self._reconnect_seconds = reconnect_seconds
        self._check_certificate = check_certificate
        self._engine: fix.SSLSocketInitiator | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Log on, or raise FixLogonError / TlsVerificationError with one line."""
        if self._check_certificate and self.config.tls.verify:
            check_venue_certificate(self.config)
        attempts = self.config.max_logon_attempts
        reason: str | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.config.logon_backoff_seconds * 2 ** (attempt - 1))
            reason = self._attempt_logon()
            if not reason:
                return
            self.log.event(f"logon attempt {attempt + 1} of {attempts} failed: {reason}")
        raise FixLogonError(
            f"FIX logon to {self.config.host}:{self.config.port} failed after "
            f"{attempts} attempt(s): {reason}"
        )

    def stop(self, logout_timeout: float = 2.0) -> None:
        """Log out (waiting up to `logout_timeout` for the venue's Logout), then close."""
        if self._engine is not None:
            session = fix.Session.lookupSession(self.session_id)
            if session is not None and self.is_logged_on:
                session.logout("session stopped by the node")
                self.app.logged_off.wait(logout_timeout)
            # Forced: the graceful stop polls in one-second steps after the logout is done.
            self._engine.stop(True)
            self._engine = None
        self.log.close()

    def _attempt_logon(self) -> str | None:
        """None once logged on, else why not (the engine is stopped again)."""
        outcome = self.app.new_attempt()
        self.app.last_logout_text = None
        self._engine = self._new_engine()
        self._engine.start()
        if outcome.done.wait(self.config.logon_timeout_seconds) and outcome.logged_on:
            return None
        self._engine.stop(True)  # at once: QuickFIX's own reconnect must not retry for us
        self._engine = None
        return outcome.reason or f"no Logon reply within {self.config.logon_timeout_seconds:g} s"

    def _new_engine(self) -> fix.SSLSocketInitiator:
        store = self.folder / "store"
        store.mkdir(parents=True, exist_ok=True)
        settings = initiator_settings(self.config, store, self._reconnect_seconds)
        # No log factory: QuickFIX's logs would hold the password (fixlog.py says why).
        return fix.SSLSocketInitiator(self.app, fix.FileStoreFactory(settings), settings)

    # --- use ------------------------------------------------------------------------------
    @property
    def is_logged_on(self) -> bool:
        return self.app.logged_on.is_set()

    def wait_logged_on(self, timeout: float) -> bool:
        return self.app.logged_on.wait(timeout)

    def send(self, message: fix.Message) -> None:
        """Send an application message now; FixSessionError when the session is not up."""
        if not self.is_logged_on:
            raise FixSessionError(f"FIX session {self.session_id.toString()} is not logged on")
        if not fix.Session.sendToTarget(message, self.session_id):
            raise FixSessionError(f"QuickFIX refused to send on {self.session_id.toString()}")

    def sequence_numbers(self) -> tuple[int, int]:
        """(next sender MsgSeqNum, next expected target MsgSeqNum), for `live status`."""
        session = fix.Session.lookupSession(self.session_id)
        if session is None:
            raise FixSessionError(f"no FIX session {self.session_id.toString()}")
        return int(session.getExpectedSenderNum()), int(session.getExpectedTargetNum())
