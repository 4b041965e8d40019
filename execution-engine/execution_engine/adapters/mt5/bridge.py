"""The bridge server: where a MetaTrader terminal's EA dials in (docs/mt5-bridge-protocol.md).

It runs in the live node's asyncio loop. One terminal at a time authenticates (hello nonce,
`auth`, `welcome` with the bridge's own proof; `denied` with a reason otherwise, BUSY for a
second connection of the same terminal), then the adapter sends it requests
(`await request(op, args, timeout)`) and gets its events through `on_event`. Transport 1
(MT5) is TLS over TCP, here; transport 2 (MT4, HTTPS polling) is poll.py's HTTP side on
the same session rules, which live here: `_Session`, `_admit`, `_receive`, `_close_session`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import secrets
import ssl
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from execution_engine.adapters.mt5.auth import Token, new_nonce, verify_auth, welcome_mac
from execution_engine.adapters.mt5.codes import ErrorCode, Op
from execution_engine.adapters.mt5.poll import PollChannel, PollServer
from execution_engine.adapters.mt5.protocol import (
    MAX_LINE,
    VERSIONS,
    Auth,
    Denied,
    ErrorMsg,
    Evt,
    Hello,
    Message,
    Ping,
    Pong,
    ProtocolError,
    Req,
    Res,
    Welcome,
    decode_line,
    decode_object,
    encode,
    evt_fields,
    message_from,
    too_large,
)

log = logging.getLogger(__name__)

SERVER_NAME = "gauntlet-bridge"
_DEAD_AFTER = 3  # heartbeats without a line from the peer
_STOP_WAIT = 5.0  # seconds stop() waits for the connections' handlers to end
_POLL_NONCES = 32  # hellos served to MT4 terminals and not yet answered, at most
_DENIED_TEXT = {
    ErrorCode.VERSION_MISMATCH: "no protocol version in common: update the EA",
    ErrorCode.UNKNOWN_TERMINAL: "this bridge does not serve that terminal id",
    ErrorCode.TOKEN_EXPIRED: "the terminal's token has expired: issue a new one",
    ErrorCode.BAD_TOKEN: "authentication failed: check the EA's token input",
    ErrorCode.BUSY: "a terminal with this id is already connected",
}


_READ_CHUNK = 256 * 1024  # bytes read at once from a terminal's connection


class BridgeError(Exception):
    """Base of what `BridgeServer.request` raises."""


class BridgeNotConnectedError(BridgeError):
    """No terminal is connected: the request was not sent."""


class BridgeDisconnectedError(BridgeError):
    """The connection was lost after the request went out and before its answer: its
    outcome is UNKNOWN (the EA may have executed it)."""


class BridgeTimeoutError(BridgeError):
    """No answer (or no terminal) in time; for a request, its outcome is unknown."""


class BridgeRequestError(BridgeError):
    """The EA refused the request (`res ok=false`): `code` and `message` are its error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


class BridgeConfig(BaseModel):
    """Where the bridge listens and for which terminal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(ge=0, le=65_535)  # 0: any free port
    tls_cert: Path | None = None
    tls_key: Path | None = None
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    terminal: str = Field(min_length=1)
    http_port: int | None = Field(default=None, ge=0, le=65_535)  # the MT4 transport; 0: any

    @model_validator(mode="after")
    def _tls_off_loopback(self) -> BridgeConfig:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("the bridge's TLS needs both tls_cert and tls_key")
        if self.tls_cert is None and not _is_loopback(self.host):
            raise ValueError(
                f"the bridge binds {self.host} only with TLS (tls_cert, tls_key): "
                "off loopback, the token's proofs and the trades would cross the network in clear"
            )
        return self

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None


@dataclass(frozen=True)
class SessionInfo:
    """Who is connected: what the EA said in `auth`, and the session id the bridge gave."""

    terminal: str
    platform: str
    login: int
    broker: str
    version: int
    session: str


class _Channel(Protocol):
    """A session's way out: a TCP stream or a poll outbox."""

    wants_pings: bool
    last_sent: float

    def send(self, line: bytes, req_id: int | None = None) -> None: ...

    def delivered(self, req_id: int) -> bool: ...

    def close(self, abort: bool = False) -> None: ...


class _TcpChannel:
    wants_pings = True

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.last_sent = time.monotonic()

    def send(self, line: bytes, req_id: int | None = None) -> None:
        if self._writer.is_closing():
            return
        self._writer.write(line)
        self.last_sent = time.monotonic()

    def delivered(self, req_id: int) -> bool:
        return True  # written to the socket: whether the EA read it is unknowable

    def close(self, abort: bool = False) -> None:
        if abort:
            self._writer.transport.abort()  # a dead peer would hold a graceful close
        else:
            self._writer.close()


class _Session:
    def __init__(self, info: SessionInfo, channel: _Channel) -> None:
        self.info = info
        self.channel = channel
        self.pending: dict[int, asyncio.Future[Res]] = {}
        self.next_id = 1
        self.last_received = time.monotonic()
        self.closed = False
        self.heartbeat: asyncio.Task[None] | None = None


def server_ssl_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context


class BridgeServer:
    """The bridge, in the caller's running loop. `on_event(event, data, seq)` gets every
    `evt`; `on_connection(True/False)` hears a session begin and end."""

    def __init__(
        self,
        config: BridgeConfig,
        token: SecretStr,
        on_event: Callable[[str, dict[str, Any], int], None],
        on_connection: Callable[[bool], None] | None = None,
    ) -> None:
        parsed = Token.parse(token.get_secret_value())
        if parsed.terminal != config.terminal:
            raise ValueError(
                f"the token is for terminal {parsed.terminal!r}, the bridge serves {config.terminal!r}"
            )
        self._config = config
        self._token = token
        self._on_event = on_event
        self._on_connection = on_connection
        self._server: asyncio.Server | None = None
        self._poll: PollServer | None = None
        self._session: _Session | None = None
        self._connected = asyncio.Event()
        self._handshakes: set[_TcpChannel] = set()
        self._clients: set[asyncio.Task[Any]] = set()
        self._poll_nonces: dict[str, float] = {}
        self._stats: Counter[str] = Counter()
        self._auth_failures: Counter[str] = Counter()

    # -- the adapter's side --------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the bridge is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def http_port(self) -> int | None:
        return None if self._poll is None else self._poll.port

    @property
    def connected(self) -> bool:
        return self._session is not None

    @property
    def session(self) -> SessionInfo | None:
        return None if self._session is None else self._session.info

    async def start(self) -> None:
        config = self._config
        context = None
        if config.tls_cert is not None and config.tls_key is not None:
            context = server_ssl_context(config.tls_cert, config.tls_key)
        self._server = await asyncio.start_server(
            self._on_client, config.host, config.port, ssl=context, limit=MAX_LINE
        )
        if config.http_port is not None:
            self._poll = PollServer(self, config.host, config.http_port, context)
            await self._poll.start()
        log.info("MT bridge listening on %s:%d (tls %s)", config.host, self.port, config.tls)

    async def stop(self) -> None:
        if self._session is not None:
            self._close_session(self._session, "the bridge stops", abort=True)
        for channel in list(self._handshakes):
            channel.close(abort=True)
        if self._poll is not None:
            await self._poll.stop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        # The aborted connections' handlers end on their own; waiting for them keeps a
        # loop that ends next from cancelling them mid-read.
        if self._clients:
            await asyncio.wait(self._clients, timeout=_STOP_WAIT)

    async def wait_connected(self, timeout: float) -> SessionInfo:
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            raise BridgeTimeoutError(f"no terminal connected within {timeout} s") from None
        assert self._session is not None  # the event is set only while a session is
        return self._session.info

    async def request(self, op: Op | str, args: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send `op` to the terminal and return the `data` of its ok answer.

        Raises BridgeRequestError when the EA answers ok=false; BridgeNotConnectedError when
        no terminal is connected (nothing was sent); BridgeDisconnectedError when the
        connection is lost after the request was written and before its answer, and
        BridgeTimeoutError when no answer comes in `timeout` seconds: in both of these the
        outcome is UNKNOWN (the EA may have executed it), so a trade request must be looked up
        after reconnecting (by its comment key), never resent.
        """
        session = self._session
        if session is None:
            raise BridgeNotConnectedError(f"{op}: no terminal is connected; nothing was sent")
        line = encode(Req(id=session.next_id, op=str(op), args=args))
        if too_large(line):
            raise BridgeRequestError(
                ErrorCode.TOO_LARGE.value,
                f"{op}: a request of {len(line)} bytes, at most {MAX_LINE}; nothing was sent",
            )
        req_id = session.next_id
        session.next_id += 1
        future: asyncio.Future[Res] = asyncio.get_running_loop().create_future()
        session.pending[req_id] = future
        self._stats["requests"] += 1
        session.channel.send(line, req_id)
        try:
            res = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise BridgeTimeoutError(
                f"{op} (request {req_id}): no answer in {timeout} s; its outcome is unknown"
            ) from None
        finally:
            session.pending.pop(req_id, None)
        if res.error is not None:
            raise BridgeRequestError(res.error.code, res.error.message)
        return res.data if res.data is not None else {}

    def stats(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "connections": self._stats["connections"],
            "sessions": self._stats["sessions"],
            "auth_failures": dict(self._auth_failures),
            "requests": self._stats["requests"],
            "events": self._stats["events"],
            "malformed": self._stats["malformed"],
            "too_large": self._stats["too_large"],
            "late_answers": self._stats["late_answers"],
            "dead": self._stats["dead"],
        }

    # -- sessions, both transports -------------------------------------------------------

    def _verify(self, auth: Auth, nonces: Sequence[str]) -> tuple[ErrorCode | None, str]:
        """The denial's reason, or None and the bridge nonce whose hello this auth answers."""
        token, now = self._token.get_secret_value(), datetime.now(UTC)
        for nonce in nonces:
            reason = verify_auth(token, auth, nonce, now)
            if reason is None:
                return None, nonce
            if reason is not ErrorCode.BAD_TOKEN:
                return reason, ""  # version, terminal, expiry: the same for every nonce
        return ErrorCode.BAD_TOKEN, ""

    def _admit(
        self, auth: Auth, nonces: Sequence[str], channel: _Channel
    ) -> tuple[Welcome | Denied, _Session | None, str]:
        """The answer to `auth`, the session it opens (or None), and the nonce it used up."""
        reason, nonce = self._verify(auth, nonces)
        if reason is None and self._session is not None:
            reason = ErrorCode.BUSY
        if reason is not None:
            self._auth_failures[reason.value] += 1
            log.warning("MT bridge: terminal %r denied: %s", auth.terminal, reason.value)
            denied = Denied(reason=reason, message=_DENIED_TEXT[reason], versions=VERSIONS)
            return denied, None, nonce
        info = SessionInfo(
            auth.terminal,
            auth.platform,
            auth.login,
            auth.broker,
            auth.version,
            secrets.token_hex(16),
        )
        session = _Session(info, channel)
        self._session = session
        self._stats["sessions"] += 1
        mac = welcome_mac(self._token.get_secret_value(), auth.nonce, nonce)
        welcome = Welcome(
            version=auth.version,
            session=info.session,
            heartbeat_s=self._config.heartbeat_seconds,
            mac=mac,
        )
        return welcome, session, nonce

    def _announce(self, session: _Session) -> None:
        """After the welcome went out: the session is the adapter's."""
        session.heartbeat = asyncio.create_task(self._heartbeat(session))
        self._connected.set()
        info = session.info
        log.info(
            "MT bridge: %s terminal %r (login %d, %s) connected, session %s",
            info.platform,
            info.terminal,
            info.login,
            info.broker,
            info.session,
        )
        self._tell_connection(True)

    def _tell_connection(self, connected: bool) -> None:
        if self._on_connection is None:
            return
        try:
            self._on_connection(connected)
        except Exception:
            log.exception("MT bridge: the on_connection callback raised")

    def _close_session(self, session: _Session, why: str, *, abort: bool = False) -> None:
        if session.closed:
            return
        session.closed = True
        session.channel.close(abort=abort)
        if session.heartbeat is not None and session.heartbeat is not asyncio.current_task():
            session.heartbeat.cancel()
        for req_id, future in session.pending.items():
            if future.done():
                continue
            if session.channel.delivered(req_id):
                future.set_exception(
                    BridgeDisconnectedError(
                        f"request {req_id}: the terminal disconnected ({why}) before answering; "
                        "its outcome is unknown"
                    )
                )
            else:
                future.set_exception(
                    BridgeNotConnectedError(
                        f"request {req_id}: the terminal disconnected ({why}); nothing was sent"
                    )
                )
        if self._session is session:
            self._session = None
            self._connected.clear()
            log.warning("MT bridge: terminal %r disconnected: %s", session.info.terminal, why)
            self._tell_connection(False)

    async def _heartbeat(self, session: _Session) -> None:
        beat = self._config.heartbeat_seconds
        while not session.closed:
            await asyncio.sleep(beat / 4)
            now = time.monotonic()
            if now - session.last_received > _DEAD_AFTER * beat:
                self._stats["dead"] += 1
                self._close_session(
                    session, f"nothing received for {_DEAD_AFTER * beat:g} s", abort=True
                )
                return
            if session.channel.wants_pings and now - session.channel.last_sent >= beat:
                session.channel.send(encode(Ping(t_ms=int(time.time() * 1000))))

    def _receive(self, session: _Session, line: bytes) -> None:
        session.last_received = time.monotonic()
        try:
            obj = decode_object(line)
            if obj.get("type") == "evt":  # the tick path: no model built
                self._event(*evt_fields(obj))
                return
            message = message_from(obj)
        except ProtocolError as exc:
            self._protocol_error(session.channel, exc)
            if exc.code is ErrorCode.TOO_LARGE:
                self._close_session(session, "an oversized line")
            return
        self._dispatch(session, message)

    def _event(self, seq: int, event: str, data: dict[str, Any]) -> None:
        self._stats["events"] += 1
        try:
            self._on_event(event, data, seq)
        except Exception:
            log.exception("MT bridge: the handler of a %r event raised", event)

    def _protocol_error(self, channel: _Channel, exc: ProtocolError) -> None:
        self._stats["malformed" if exc.code is ErrorCode.MALFORMED else "too_large"] += 1
        log.warning("MT bridge: %s from the terminal: %s", exc.code.value, exc.message)
        channel.send(encode(ErrorMsg(code=exc.code.value, message=exc.message)))

    def _dispatch(self, session: _Session, message: Message) -> None:
        if isinstance(message, Evt):
            self._event(message.seq, message.event, message.data)
        elif isinstance(message, Res):
            future = session.pending.get(message.id)
            if future is None or future.done():
                self._stats["late_answers"] += 1
                log.info("MT bridge: an answer to request %d nobody waits for", message.id)
            else:
                future.set_result(message)
        elif isinstance(message, Ping):
            session.channel.send(encode(Pong(t_ms=message.t_ms)))
        elif isinstance(message, Pong):
            pass
        elif isinstance(message, ErrorMsg):
            log.warning("MT bridge: the EA reports %s: %s", message.code, message.message)
            self._close_session(session, f"the EA reported {message.code}")
        else:
            unexpected = ProtocolError(ErrorCode.MALFORMED, f"a {message.type!r} from the EA")
            self._protocol_error(session.channel, unexpected)

    # -- transport 1: TLS over TCP -------------------------------------------------------

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._stats["connections"] += 1
        channel = _TcpChannel(writer)
        self._handshakes.add(channel)
        task = asyncio.current_task()
        if task is not None:
            self._clients.add(task)
            task.add_done_callback(self._clients.discard)
        session: _Session | None = None
        try:
            session = await self._tcp_handshake(reader, channel)
            self._handshakes.discard(channel)
            if session is not None:
                await self._tcp_serve(reader, session)
        except (OSError, ssl.SSLError) as exc:
            log.info("MT bridge: connection error: %s", exc)
        except Exception:  # a bug here must end this connection, never the bridge
            log.exception("MT bridge: the connection's handler failed")
        finally:
            self._handshakes.discard(channel)
            if session is not None:
                self._close_session(session, "the connection closed")
            channel.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()

    async def _tcp_handshake(
        self, reader: asyncio.StreamReader, channel: _TcpChannel
    ) -> _Session | None:
        nonce = new_nonce()
        channel.send(encode(Hello(versions=VERSIONS, nonce=nonce, server=SERVER_NAME)))
        line = await self._read_line(reader, channel, _DEAD_AFTER * self._config.heartbeat_seconds)
        if line is None:
            return None
        try:
            message = decode_line(line)
        except ProtocolError as exc:
            self._protocol_error(channel, exc)
            return None
        if not isinstance(message, Auth):
            self._protocol_error(
                channel, ProtocolError(ErrorCode.MALFORMED, f"expected auth, got {message.type!r}")
            )
            return None
        answer, session, _ = self._admit(message, (nonce,), channel)
        channel.send(encode(answer))
        if session is not None:
            self._announce(session)
        return session

    async def _read_line(
        self, reader: asyncio.StreamReader, channel: _Channel, timeout: float | None
    ) -> bytes | None:
        """The next line, or None when the connection ends (an oversized line ends it)."""
        try:
            if timeout is None:  # the tick path: no wait_for wrapper per line
                return await reader.readuntil(b"\n")
            return await asyncio.wait_for(reader.readuntil(b"\n"), timeout)
        except asyncio.LimitOverrunError:
            error = ProtocolError(ErrorCode.TOO_LARGE, f"a line longer than {MAX_LINE} bytes")
            self._protocol_error(channel, error)
            return None
        except (asyncio.IncompleteReadError, TimeoutError):
            return None

    async def _tcp_serve(self, reader: asyncio.StreamReader, session: _Session) -> None:
        """The session's lines, read a chunk at a time and split here: one await per chunk
        rather than per line, which was a third of the node's time per tick (bench_mt5_bridge).
        A line longer than MAX_LINE ends the session, as `_receive` does for one that fits a
        chunk."""
        pending = b""
        while not session.closed:
            chunk = await reader.read(_READ_CHUNK)
            if not chunk:
                return
            *lines, pending = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
            for line in lines:
                if session.closed:
                    return
                self._receive(session, line)
            if len(pending) > MAX_LINE:
                error = ProtocolError(ErrorCode.TOO_LARGE, f"a line longer than {MAX_LINE} bytes")
                self._protocol_error(session.channel, error)
                self._close_session(session, "an oversized line")
                return

    # -- transport 2: the poll host (poll.PollServer calls these) ------------------------

    def poll_hello(self) -> bytes:
        self._stats["connections"] += 1
        now = time.monotonic()
        for nonce, expires in list(self._poll_nonces.items()):
            if expires < now:
                del self._poll_nonces[nonce]
        while len(self._poll_nonces) >= _POLL_NONCES:
            del self._poll_nonces[next(iter(self._poll_nonces))]
        nonce = new_nonce()
        self._poll_nonces[nonce] = now + _DEAD_AFTER * self._config.heartbeat_seconds
        return encode(Hello(versions=VERSIONS, nonce=nonce, server=SERVER_NAME))

    def poll_auth(self, body: bytes) -> bytes:
        channel = PollChannel()
        try:
            message = decode_line(body)
        except ProtocolError as exc:
            self._protocol_error(channel, exc)
            return channel.drain()
        if not isinstance(message, Auth):
            error = ProtocolError(ErrorCode.MALFORMED, f"expected auth, got {message.type!r}")
            self._protocol_error(channel, error)
            return channel.drain()
        now = time.monotonic()
        nonces = [nonce for nonce, expires in self._poll_nonces.items() if expires >= now]
        answer, session, used = self._admit(message, nonces, channel)
        self._poll_nonces.pop(used, None)  # single use, even when the answer is BUSY
        if session is not None:
            self._announce(session)
        return encode(answer)

    def poll_exchange(self, session_id: str, body: bytes) -> bytes | None:
        session = self._session
        # The session id is the poller's bearer credential: compared in constant time.
        if session is None or not hmac.compare_digest(
            session.info.session.encode(), session_id.encode()
        ):
            return None
        channel = session.channel
        if not isinstance(channel, PollChannel):
            return None
        session.last_received = time.monotonic()  # a poll is a sign of life, lines or not
        for line in body.splitlines():
            if line.strip():
                self._receive(session, line)
            if session.closed:
                break
        return channel.drain()
