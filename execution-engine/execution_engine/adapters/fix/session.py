"""The initiator: one FIX 4.4 session to a venue over TLS, from logon to logout.

`FixInitiator.start()` checks the venue's certificate (tls.py), then logs on with
credentials from the secrets provider. Once logged on, QuickFIX owns the session layer:
heartbeats, TestRequest, ResendRequest, SequenceReset/GapFill, and the file store of
sequence numbers under the node's state folder. Incoming application messages are parsed
and handed to a sink (sinks.py) for the event loop.

Reconnecting is ours, not QuickFIX's (its ReconnectInterval is set out of reach): before
every attempt the certificate is checked again (the pinned wheel hangs on one that fails,
tls.py says how), waits back off exponentially, and a refused logon (the venue's Logout,
or ours for a MsgSeqNum too low) is retried at most `max_logon_attempts` times: a wrong
password never becomes a retry storm. An unreachable venue is retried until `stop()`.

At start, before the first Logon, the store's expected incoming MsgSeqNum is rewound to the
one after the last message the node applied, when the initiator has a delivered mark (the
hub gives it one; delivered.py says why): the store is loaded when the engine is built and
the socket opens at `engine.start()`, so the rewind goes in between, on our thread
(QuickFIX's `onCreate` would run it inside the engine's constructor, on a SWIG director
callback, for no gain). Reconnects within one process do not rewind:
what QuickFIX took then is on the node's queue still and will be delivered.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import quickfix as fix
from pydantic import SecretStr

from execution_engine.adapters.fix.application import LoggingApplication, msg_type
from execution_engine.adapters.fix.codes import MsgType
from execution_engine.adapters.fix.config import FixVenueConfig, SecretResolver
from execution_engine.adapters.fix.delivered import DeliveredMark
from execution_engine.adapters.fix.fixlog import FixLog
from execution_engine.adapters.fix.reports import UnreadableMessage, parse_message
from execution_engine.adapters.fix.settings import initiator_settings, session_id
from execution_engine.adapters.fix.sinks import Sink
from execution_engine.adapters.fix.tls import VenueUnreachableError, check_venue_certificate
from execution_engine.adapters.fix.wire import FixMessageError

_MAX_BACKOFF_SECONDS = 30.0
_NEVER_SECONDS = 10 * 365 * 86_400  # QuickFIX's ReconnectInterval: we reconnect ourselves


class FixSessionError(RuntimeError):
    """The session cannot do what was asked (not logged on, send refused); one line."""


class FixLogonError(FixSessionError):
    """Logon failed after every allowed attempt; the message says why (the venue's Text)."""


@dataclass
class _LogonOutcome:
    """What one logon attempt came to; set by QuickFIX's thread."""

    done: threading.Event
    logged_on: bool = False
    refused: bool = False  # a Logout came (or went) before the Logon completed
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
        self.last_logout_text = None
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
        elif kind == MsgType.LOGOUT:
            text = message.getField(58) if message.isSetField(58) else "no reason given"
            self._logout_seen(f"we logged out: {text}")

    def on_admin_in(self, message: fix.Message, session_id: fix.SessionID) -> None:
        if msg_type(message) == MsgType.LOGOUT:
            text = message.getField(58) if message.isSetField(58) else "no reason given"
            self._logout_seen(f"the venue logged out: {text}")

    def _logout_seen(self, text: str) -> None:
        # The first Logout of an exchange says why; the reply to it only acknowledges.
        if self.last_logout_text is None or self.logged_on.is_set():
            self.last_logout_text = text
        if not self.logged_on.is_set():
            self.outcome.refused = True

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
        check_certificate: bool = True,
        delivered: DeliveredMark | None = None,
    ) -> None:
        self.config = config
        self.folder = config.state_dir(node_state)
        self.session_id = session_id(config.sender_comp_id, config.target_comp_id)
        self.log = FixLog(self.folder / "log")
        username, password = config.credentials(resolve)
        self.app = InitiatorApplication(self.log, username, password, sink)
        # What the consumer has applied (the hub records it); None: the sink's consumer keeps
        # no such count (a test's queue, the conformance kit) and nothing is rewound.
        self.delivered = delivered
        self.failure: str | None = None  # why the session gave up reconnecting, if it did
        self._check_certificate = check_certificate and config.tls.verify
        self._engine: fix.SSLSocketInitiator | None = None
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Log on, or raise FixLogonError / TlsVerificationError with one line. An initiator
        starts once: after stop(), build a new one (its log is closed)."""
        if self._stopping.is_set():
            raise FixSessionError("this FIX initiator was stopped; create a new one")
        self._connect(persistent=False)
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)
        self._supervisor.start()

    def stop(self, logout_timeout: float = 2.0) -> None:
        """Log out (waiting up to `logout_timeout` for the venue's Logout), then close."""
        self._stopping.set()
        self.app.logged_off.set()  # wakes the supervisor, which sees _stopping and ends
        if self._engine is not None:
            session = fix.Session.lookupSession(self.session_id)
            if session is not None and self.is_logged_on:
                self.app.logged_off.clear()
                session.logout("session stopped by the node")
                self.app.logged_off.wait(logout_timeout)
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
        self._discard_engine()
        if self.delivered is not None:
            self.delivered.close()
        self.log.close()

    def _supervise(self) -> None:
        """Reconnect whenever the session drops, until stop() or a permanent failure."""
        while not self._stopping.is_set():
            self.app.logged_off.wait()
            if self._stopping.is_set():
                return
            self.log.event("session dropped: reconnecting")
            self._discard_engine()
            try:
                self._connect(persistent=True)
            except (FixSessionError, RuntimeError) as exc:
                if self._stopping.is_set():
                    return
                self.failure = str(exc)
                self.log.event(f"giving up: {exc}")
                return

    def _connect(self, *, persistent: bool) -> None:
        """Attempts until logged on. Refused logons give up after max_logon_attempts; an
        unreachable venue too unless `persistent` (then only stop() ends the attempts)."""
        attempts = self.config.max_logon_attempts
        refusals = failures = 0
        while not self._stopping.is_set():
            if refusals or failures:
                delay = self.config.logon_backoff_seconds * 2 ** (refusals + failures - 1)
                if self._stopping.wait(min(delay, _MAX_BACKOFF_SECONDS)):
                    break
            reason, refused = self._attempt(rewind=not persistent)
            if reason is None:
                return
            refusals, failures = refusals + refused, failures + (not refused)
            self.log.event(f"logon attempt failed: {reason}")
            if refusals >= attempts or (failures >= attempts and not persistent):
                raise FixLogonError(
                    f"FIX logon to {self.config.host}:{self.config.port} failed after "
                    f"{refusals + failures} attempt(s): {reason}"
                )
        raise FixSessionError("FIX session stopped while connecting")

    def _attempt(self, *, rewind: bool) -> tuple[str | None, bool]:
        """(None, _) once logged on, else (why not, whether the logon was refused).
        `rewind`: first rewind the store to the delivered mark (the start's attempts)."""
        if self._check_certificate:
            try:
                check_venue_certificate(self.config)  # TlsVerificationError: permanent
            except VenueUnreachableError as exc:
                return str(exc), False
        outcome = self.app.new_attempt()
        self.app.logged_off.clear()
        self._engine = self._new_engine()
        if rewind and self.delivered is not None:
            self._rewind_to_delivered(self.delivered)
        self._engine.start()
        if outcome.done.wait(self.config.logon_timeout_seconds) and outcome.logged_on:
            return None, False
        self._discard_engine()
        timeout = f"no Logon reply within {self.config.logon_timeout_seconds:g} s"
        return outcome.reason or timeout, outcome.refused

    def _new_engine(self) -> fix.SSLSocketInitiator:
        store = self.folder / "store"
        store.mkdir(parents=True, exist_ok=True)
        settings = initiator_settings(self.config, store, _NEVER_SECONDS)
        # No log factory: QuickFIX's logs would hold the password (fixlog.py says why).
        return fix.SSLSocketInitiator(self.app, fix.FileStoreFactory(settings), settings)

    def _rewind_to_delivered(self, delivered: DeliveredMark) -> None:
        """Expect the message after the last one delivered, when QuickFIX took more."""
        session = fix.Session.lookupSession(self.session_id)  # built with the engine
        expected = int(session.getExpectedTargetNum())
        mark = delivered.read()
        if mark is not None and mark + 1 < expected:
            session.setNextTargetMsgSeqNum(mark + 1)  # written to the store at once
            self.log.event(
                f"rewound the expected MsgSeqNum from {expected} to {mark + 1}: the node "
                f"had applied up to {mark}; the venue resends the rest"
            )
            delivered.start_from(mark)
        else:  # nothing recorded yet, or a sequence reset since the mark
            self.log.event(f"expecting MsgSeqNum {expected} (delivered mark: {mark})")
            delivered.start_from(expected - 1)

    def _discard_engine(self) -> None:
        if self._engine is not None:
            self._engine.stop(True)  # forced: the graceful stop polls in one-second steps
            self._engine = None

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
