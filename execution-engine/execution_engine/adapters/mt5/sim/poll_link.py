"""The EA's side of transport 2 (MT4, HTTPS polling), in Python: what `GauntletBridge.mq4`
does with `WebRequest` (docs/mt5-bridge-protocol.md, "Transport 2").

`PollLink` has TerminalLink's constructor and API (plus `poll_interval`): from its own
thread it posts hello and auth, then polls every `poll_interval` seconds and right after
answering a request, carrying its answers, events and pongs out and the bridge's requests
and pings back. An HTTP 401 means the session is gone: it authenticates again.
"""

from __future__ import annotations

import hmac
import http.client
import logging
import ssl
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from execution_engine.adapters.mt5.auth import auth_mac, new_nonce, welcome_mac
from execution_engine.adapters.mt5.codes import ErrorCode
from execution_engine.adapters.mt5.poll import AUTH_PATH, HELLO_PATH, POLL_PATH, SESSION_HEADER
from execution_engine.adapters.mt5.protocol import (
    Auth,
    Denied,
    ErrorMsg,
    Hello,
    Message,
    Ping,
    Pong,
    ProtocolError,
    Req,
    Welcome,
    decode_line,
    encode,
)
from execution_engine.adapters.mt5.sim.link import (
    DEFAULT_BACKOFF,
    LinkFaults,
    RequestHandler,
    answer_line,
    answer_request,
    event_line,
)

log = logging.getLogger(__name__)

_HTTP_TIMEOUT = 10.0


class _SessionGoneError(Exception):
    """HTTP 401 on a poll: the bridge no longer knows this session."""


class PollLink:
    """The EA side of the MT4 transport, in its own thread."""

    def __init__(
        self,
        host: str,
        port: int,
        token: str,
        terminal: str,
        handler: RequestHandler,
        *,
        platform: str = "mt4",
        login: int = 0,
        broker: str = "Gauntlet-Sim",
        ca_file: Path | None = None,
        tls: bool = True,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        version: int = 1,
        poll_interval: float = 0.1,
    ) -> None:
        if not backoff:
            raise ValueError("the link's backoff needs at least one delay")
        self._host, self._port = host, port
        self._token, self._terminal = token, terminal
        self._handler = handler
        self._platform, self._login, self._broker = platform, login, broker
        self._ca_file, self._tls = ca_file, tls
        self._backoff = tuple(backoff)
        self._version = version
        self._poll_interval = poll_interval
        self.faults = LinkFaults()
        self.connects = 0
        self.last_denied: str | None = None
        self.last_error: str | None = None
        self.impostors = 0
        self.dropped_events = 0
        self._lock = threading.Lock()  # the outbox and the session, shared with emit()
        self._outbox: list[bytes] = []
        self._session: str | None = None
        self._seq = 0
        self._held: list[tuple[str, dict[str, Any]]] | None = None
        self._give_up = False
        self._stopping = threading.Event()
        self._restart = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the simulator's side ------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._session is not None

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the link is already started")
        self._thread = threading.Thread(
            target=self._run, name=f"mt4-link-{self._terminal}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def restart(self) -> None:
        """Forget the session now; the link authenticates again after its backoff."""
        self._restart.set()

    def emit(self, event: str, data: dict[str, Any]) -> None:
        """Queue an event for the next poll (thread-safe); dropped while disconnected.
        Events the handler emits while answering go out after the answer."""
        on_link_thread = self._thread is not None and threading.get_ident() == self._thread.ident
        with self._lock:
            if on_link_thread and self._held is not None:
                self._held.append((event, data))
                return
            self._queue_event(event, data)

    # -- the link's thread ---------------------------------------------------------------

    def _queue_event(self, event: str, data: dict[str, Any]) -> None:
        if self._session is None:
            self.dropped_events += 1
            return
        line = event_line(self._seq + 1, event, data)
        if line is None:
            self.dropped_events += 1
            return
        self._seq += 1
        self._outbox.append(line)

    def _run(self) -> None:
        attempt = 0
        while not self._stopping.is_set() and not self._give_up:
            if self._session_once():
                attempt = 0
            if self._give_up:
                log.error("MT4 link: %s; not reconnecting until the EA is updated", self.last_error)
                return
            self._stopping.wait(self._backoff[min(attempt, len(self._backoff) - 1)])
            attempt += 1

    def _connection(self) -> http.client.HTTPConnection:
        if not self._tls:
            return http.client.HTTPConnection(self._host, self._port, timeout=_HTTP_TIMEOUT)
        cafile = None if self._ca_file is None else str(self._ca_file)
        context = ssl.create_default_context(cafile=cafile)
        return http.client.HTTPSConnection(
            self._host, self._port, timeout=_HTTP_TIMEOUT, context=context
        )

    def _session_once(self) -> bool:
        """One session; True when the bridge welcomed it."""
        conn = self._connection()
        welcomed = False
        try:
            session = self._authenticate(conn)
            if session is not None:
                welcomed = True
                self._open(session)
                self._polling(conn, session)
        except _SessionGoneError:
            self.last_error = "the bridge forgot the session (HTTP 401)"
        except (OSError, http.client.HTTPException, ProtocolError) as exc:
            self.last_error = f"connection lost: {type(exc).__name__} {exc}"
        finally:
            self._close()
            conn.close()
        return welcomed

    def _post(
        self, conn: http.client.HTTPConnection, path: str, body: bytes, session: str | None = None
    ) -> list[Message]:
        headers = {"Content-Type": "application/x-ndjson"}
        if session is not None:
            headers[SESSION_HEADER] = session
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status == 401:
            raise _SessionGoneError
        if response.status != 200:
            raise http.client.HTTPException(f"HTTP {response.status} on {path}")
        return [decode_line(line) for line in payload.splitlines() if line.strip()]

    def _authenticate(self, conn: http.client.HTTPConnection) -> str | None:
        hello = self._post(conn, HELLO_PATH, b"")[0]
        if not isinstance(hello, Hello):
            self.last_error = f"expected hello, got {hello.type!r}"
            return None
        ea_nonce = new_nonce()
        auth = Auth(
            version=self._version,
            terminal=self._terminal,
            platform="mt5" if self._platform == "mt5" else "mt4",
            login=self._login,
            broker=self._broker,
            nonce=ea_nonce,
            mac=auth_mac(self._token, hello.nonce, self._terminal, ea_nonce),
        )
        answer = self._post(conn, AUTH_PATH, encode(auth))[0]
        if isinstance(answer, Denied):
            self._denied(answer)
            return None
        if not isinstance(answer, Welcome):
            self.last_error = f"expected welcome or denied, got {answer.type!r}"
            return None
        expected = welcome_mac(self._token, ea_nonce, hello.nonce)
        if not hmac.compare_digest(expected.encode(), answer.mac.encode()):
            self.impostors += 1
            self.last_error = "the bridge's welcome mac is wrong: an impostor, disconnecting"
            log.error("MT4 link: %s", self.last_error)
            return None
        return answer.session

    def _denied(self, denied: Denied) -> None:
        self.last_denied = denied.reason.value
        self.last_error = f"denied {denied.reason.value}: {denied.message}"
        if denied.reason is ErrorCode.VERSION_MISMATCH:
            self.last_error += f" (the bridge speaks versions {list(denied.versions)})"
            self._give_up = True
        log.warning("MT4 link: %s", self.last_error)

    def _open(self, session: str) -> None:
        with self._lock:
            self._session = session
            self._seq = 0
            self._outbox.clear()
        self._restart.clear()
        self.connects += 1
        self.last_error = None
        self._connected.set()

    def _close(self) -> None:
        with self._lock:
            self._session = None
            self._outbox.clear()
        self._connected.clear()

    def _polling(self, conn: http.client.HTTPConnection, session: str) -> None:
        while not self._stopping.is_set() and not self._restart.is_set():
            with self._lock:
                body, self._outbox = b"".join(self._outbox), []
            answered = False
            for message in self._post(conn, POLL_PATH, body, session):
                if isinstance(message, Req):
                    if not self._answer(message):
                        return
                    answered = True
                else:
                    self._on_message(message)
            if not answered:  # after an answer, poll at once: it carries the answer out
                self._stopping.wait(self._poll_interval)

    def _on_message(self, message: Message) -> None:
        if isinstance(message, Ping):
            with self._lock:
                self._outbox.append(encode(Pong(t_ms=message.t_ms)))
        elif isinstance(message, ErrorMsg):
            self.last_error = f"the bridge reports {message.code}: {message.message}"
            log.warning("MT4 link: %s", self.last_error)

    def _answer(self, req: Req) -> bool:
        """Answer one request into the outbox; False when a fault drops the session."""
        with self._lock:
            self._held = []
        try:
            res = answer_request(self._handler, req)
        finally:
            with self._lock:
                held, self._held = self._held or [], None
        if self.faults.delay_seconds > 0:
            self._stopping.wait(self.faults.delay_seconds)
        if self.faults.drop_after_next == req.op:
            self.faults.drop_after_next = None
            self.dropped_events += len(held)
            return False
        with self._lock:
            self._outbox.append(answer_line(res))
            for event, data in held:
                self._queue_event(event, data)
        return True
