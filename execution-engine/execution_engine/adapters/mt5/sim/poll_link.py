"""The EA's side of transport 2 (MT4, HTTPS polling), in Python: what `GauntletBridge.mq4`
does with `WebRequest` (docs/mt5-bridge-protocol.md, "Transport 2").

`PollLink` has TerminalLink's constructor and API (plus `poll_interval`): from its own
thread it posts hello and auth, then polls every `poll_interval` seconds and right after
answering a request, carrying its answers, events and pongs out and the bridge's requests
and pings back. An HTTP 401 means the session is gone: it authenticates again. What
TerminalLink does the same way is ea_session.py's; this module is the HTTP polling.
"""

from __future__ import annotations

import http.client
import threading
from typing import Any, ClassVar, Unpack

from execution_engine.adapters.mt5.poll import AUTH_PATH, HELLO_PATH, POLL_PATH, SESSION_HEADER
from execution_engine.adapters.mt5.protocol import (
    ErrorMsg,
    Message,
    Ping,
    Pong,
    ProtocolError,
    Req,
    decode_line,
    encode,
)
from execution_engine.adapters.mt5.sim.ea_session import (
    EaSession,
    LinkOptions,
    Platform,
    RequestHandler,
    answer_line,
)

_HTTP_TIMEOUT = 10.0


class _SessionGoneError(Exception):
    """HTTP 401 on a poll: the bridge no longer knows this session."""


class PollLink(EaSession):
    """The EA side of the MT4 transport, in its own thread."""

    DEFAULT_PLATFORM: ClassVar[Platform] = "mt4"
    LOG_PREFIX: ClassVar[str] = "MT4 link"

    def __init__(
        self,
        host: str,
        port: int,
        token: str,
        terminal: str,
        handler: RequestHandler,
        *,
        poll_interval: float = 0.1,
        **options: Unpack[LinkOptions],
    ) -> None:
        super().__init__(host, port, token, terminal, handler, **options)
        self._poll_interval = poll_interval

    def _init_transport(self) -> None:
        self._lock = threading.Lock()  # the outbox and the session, shared with emit()
        self._outbox: list[bytes] = []
        self._session: str | None = None
        self._stopping = threading.Event()
        self._restart = threading.Event()

    # -- the simulator's side ------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._session is not None

    def start(self) -> None:
        self._start_thread(f"mt4-link-{self._terminal}")

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._join(timeout)

    def restart(self) -> None:
        """Forget the session now; the link authenticates again after its backoff."""
        self._restart.set()

    def emit(self, event: str, data: dict[str, Any]) -> None:
        """Queue an event for the next poll (thread-safe); dropped while disconnected.
        Events the handler emits while answering go out after the answer."""
        if self._hold(event, data):
            return
        with self._lock:
            self._queue_event(event, data)

    # -- the link's thread ---------------------------------------------------------------

    def _queue_event(self, event: str, data: dict[str, Any]) -> None:
        if self._session is None:
            self.dropped_events += 1
            return
        self._outbox.extend(self._event_lines([(event, data)]))

    def _run(self) -> None:
        while not self._stopping.is_set():
            delay = self._next_delay(self._session_once())
            if delay is None:
                return
            self._stopping.wait(delay)

    def _connection(self) -> http.client.HTTPConnection:
        context = self._ssl_context()
        if context is None:
            return http.client.HTTPConnection(self._host, self._port, timeout=_HTTP_TIMEOUT)
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
        asked = self._auth(self._post(conn, HELLO_PATH, b"")[0])
        if asked is None:
            return None
        auth, hello_nonce = asked
        welcome = self._welcome(auth, hello_nonce, self._post(conn, AUTH_PATH, encode(auth))[0])
        return None if welcome is None else welcome.session

    def _open(self, session: str) -> None:
        self._restart.clear()
        with self._lock:  # emit() numbers events from 1 from the session's first one
            self._session = session
            self._outbox.clear()
            self._opened()

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
            self._bridge_error(message)

    def _answer(self, req: Req) -> bool:
        """Answer one request into the outbox; False when a fault drops the session."""
        res, held = self._execute(req)
        if self.faults.delay_seconds > 0:
            self._stopping.wait(self.faults.delay_seconds)
        if self._drops_instead(req, held):
            return False
        with self._lock:
            self._outbox.append(answer_line(res))
            for event, data in held:
                self._queue_event(event, data)
        return True
