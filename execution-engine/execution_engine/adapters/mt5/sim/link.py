"""The EA's side of transport 1 (MT5, TLS over TCP), in Python, for the terminal simulator
and the tests: what `GauntletBridge.mq5` does, clause by clause of
docs/mt5-bridge-protocol.md.

`TerminalLink` dials the bridge from its own thread (an asyncio loop of its own, so the
simulator, which is synchronous, only calls `start`, `emit` and `stop`), authenticates,
checks the bridge's welcome mac (an impostor bridge is dropped), answers requests ONE AT A
TIME in order through a `RequestHandler` (a real EA is single threaded), answers and sends
pings, and reconnects with the protocol's backoff. Events emitted while disconnected are
dropped, as a real EA's would be. `faults` and `restart()` let tests break the link.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from execution_engine.adapters.mt5.auth import auth_mac, new_nonce, welcome_mac
from execution_engine.adapters.mt5.codes import ErrorCode, Op, OpError
from execution_engine.adapters.mt5.protocol import (
    MAX_LINE,
    Auth,
    Denied,
    ErrorMsg,
    Hello,
    Message,
    Ping,
    Pong,
    ProtocolError,
    Req,
    Res,
    ResError,
    Welcome,
    decode_line,
    encode,
    encode_evt,
    too_large,
)

log = logging.getLogger(__name__)

DEFAULT_BACKOFF: tuple[float, ...] = (1, 2, 4, 8, 16, 30)
HANDLER_FAILED = ErrorCode.INTERNAL.value  # the handler raised something not an OpError
OPS = frozenset(op.value for op in Op)
_HANDSHAKE_TIMEOUT = 10.0
_DEAD_AFTER = 3


class RequestHandler(Protocol):
    """What executes `req.op` on the terminal: returns the answer's `data`, or raises
    `codes.OpError` for an ok=false answer."""

    def handle(self, op: str, args: dict[str, Any]) -> dict[str, Any]: ...


@dataclass
class LinkFaults:
    """Breakage a test asks for. `drop_after_next`: execute the next request with this op,
    then drop the connection instead of answering. `delay_seconds`: wait before each answer."""

    drop_after_next: str | None = None
    delay_seconds: float = 0.0


@dataclass
class _Conn:
    writer: asyncio.StreamWriter
    heartbeat: float
    last_sent: float = field(default_factory=time.monotonic)
    last_received: float = field(default_factory=time.monotonic)

    def write(self, line: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(line)
            self.last_sent = time.monotonic()

    def drop(self) -> None:
        self.writer.transport.abort()


def answer_request(handler: RequestHandler, req: Req) -> Res:
    """The EA's answer to one request: only the protocol's operations are executed."""
    if req.op not in OPS:
        error = ResError(code=ErrorCode.UNKNOWN_OP.value, message=f"unknown op {req.op!r}")
        return Res(id=req.id, ok=False, error=error)
    try:
        data = handler.handle(req.op, req.args)
    except OpError as exc:
        return Res(id=req.id, ok=False, error=ResError(code=exc.code.value, message=exc.message))
    except Exception as exc:
        log.exception("MT link: the handler of %r raised", req.op)
        message = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return Res(id=req.id, ok=False, error=ResError(code=HANDLER_FAILED, message=message))
    return Res.model_construct(id=req.id, ok=True, data=data, error=None)


def answer_line(res: Res) -> bytes:
    """The answer's line; one the bridge would refuse for its size becomes a refusal, so
    the connection survives and the adapter can ask for less (a shorter history range)."""
    line = encode(res)
    if not too_large(line):
        return line
    message = f"an answer of {len(line)} bytes, at most {MAX_LINE}: ask for less"
    return encode(
        Res(id=res.id, ok=False, error=ResError(code=ErrorCode.TOO_LARGE.value, message=message))
    )


def event_line(seq: int, event: str, data: dict[str, Any]) -> bytes | None:
    """An event's line, or None (logged) when it is too large to send."""
    line = encode_evt(seq, event, data)
    if too_large(line):
        log.error(
            "MT link: a %r event of %d bytes is dropped (at most %d)", event, len(line), MAX_LINE
        )
        return None
    return line


class TerminalLink:
    """The EA side of the MT5 transport, in its own thread."""

    def __init__(
        self,
        host: str,
        port: int,
        token: str,
        terminal: str,
        handler: RequestHandler,
        *,
        platform: str = "mt5",
        login: int = 0,
        broker: str = "Gauntlet-Sim",
        ca_file: Path | None = None,
        tls: bool = True,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        version: int = 1,
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
        self.faults = LinkFaults()
        self.connects = 0
        self.last_denied: str | None = None
        self.last_error: str | None = None
        self.impostors = 0  # welcomes whose mac was wrong
        self.dropped_events = 0
        self._conn: _Conn | None = None
        self._seq = 0
        self._held: list[tuple[str, dict[str, Any]]] | None = None
        self._lock = threading.Lock()  # _pending and _flush_scheduled, shared with emit()
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._flush_scheduled = False
        self._give_up = False
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._ready = threading.Event()

    # -- the simulator's side ------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the link is already started")
        self._thread = threading.Thread(
            target=self._run, name=f"mt-link-{self._terminal}", daemon=True
        )
        self._thread.start()
        self._ready.wait(_HANDSHAKE_TIMEOUT)  # its loop exists: restart() and emit() reach it

    def stop(self, timeout: float = 10.0) -> None:
        loop, main = self._loop, self._main
        if loop is not None and main is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(main.cancel)
        if self._thread is not None:
            self._thread.join(timeout)

    def restart(self) -> None:
        """Drop the connection now; the link reconnects after its backoff."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._drop)

    def emit(self, event: str, data: dict[str, Any]) -> None:
        """Send an event (thread-safe). Dropped while disconnected. Events the handler emits
        while answering a request go out after the answer, as a real EA's
        OnTradeTransaction runs after its OrderSend returned."""
        loop = self._loop
        if loop is None:
            self.dropped_events += 1
            return
        if self._thread is not None and threading.get_ident() == self._thread.ident:
            self._emit_in_loop(event, data, from_handler=True)
            return
        # One wake-up of the loop per batch, not per event: at tens of thousands of ticks
        # a second, waking the loop for each costs more than encoding them.
        with self._lock:
            self._pending.append((event, data))
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
        try:
            loop.call_soon_threadsafe(self._flush)
        except RuntimeError:  # the link's loop has ended
            with self._lock:
                self.dropped_events += len(self._pending)
                self._pending.clear()
                self._flush_scheduled = False

    # -- the link's thread ---------------------------------------------------------------

    def _emit_in_loop(self, event: str, data: dict[str, Any], from_handler: bool) -> None:
        if from_handler and self._held is not None:
            self._held.append((event, data))
            return
        self._write_events([(event, data)])

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
            self._flush_scheduled = False
        self._write_events(batch)

    def _write_events(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        conn = self._conn
        if conn is None:
            self.dropped_events += len(batch)
            return
        if not batch:
            return
        lines = []
        for event, data in batch:
            line = event_line(self._seq + 1, event, data)
            if line is None:
                self.dropped_events += 1
                continue
            self._seq += 1
            lines.append(line)
        conn.write(b"".join(lines))

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.drop()

    def _run(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(self._reconnecting())

    async def _reconnecting(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        self._ready.set()
        attempt = 0
        while not self._give_up:
            if await self._session():
                attempt = 0
            if self._give_up:
                log.error("MT link: %s; not reconnecting until the EA is updated", self.last_error)
                return
            await asyncio.sleep(self._backoff[min(attempt, len(self._backoff) - 1)])
            attempt += 1

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self._tls:
            return None
        cafile = None if self._ca_file is None else str(self._ca_file)
        return ssl.create_default_context(cafile=cafile)

    async def _session(self) -> bool:
        """One connection; True when the bridge welcomed it."""
        context = self._ssl_context()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    self._host,
                    self._port,
                    ssl=context,
                    server_hostname=self._host if context else None,
                    limit=MAX_LINE,
                ),
                _HANDSHAKE_TIMEOUT,
            )
        except (OSError, TimeoutError) as exc:
            self.last_error = f"cannot connect to {self._host}:{self._port}: {exc}"
            return False
        welcomed = False
        try:
            heartbeat = await self._handshake(reader, writer)
            if heartbeat is not None:
                welcomed = True
                await self._serve(reader, _Conn(writer, heartbeat))
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            self.last_error = f"connection lost: {type(exc).__name__} {exc}"
        finally:
            writer.transport.abort()
        return welcomed

    async def _handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> float | None:
        hello = await self._expect(reader, writer)
        if not isinstance(hello, Hello):
            self.last_error = f"expected hello, got {_kind(hello)}"
            return None
        ea_nonce = new_nonce()
        auth = Auth(
            version=self._version,
            terminal=self._terminal,
            platform="mt4" if self._platform == "mt4" else "mt5",
            login=self._login,
            broker=self._broker,
            nonce=ea_nonce,
            mac=auth_mac(self._token, hello.nonce, self._terminal, ea_nonce),
        )
        writer.write(encode(auth))
        answer = await self._expect(reader, writer)
        if isinstance(answer, Denied):
            self._denied(answer)
            return None
        if not isinstance(answer, Welcome):
            self.last_error = f"expected welcome or denied, got {_kind(answer)}"
            return None
        expected = welcome_mac(self._token, ea_nonce, hello.nonce)
        if not hmac.compare_digest(expected.encode(), answer.mac.encode()):
            self.impostors += 1
            self.last_error = "the bridge's welcome mac is wrong: an impostor, disconnecting"
            log.error("MT link: %s", self.last_error)
            return None
        return answer.heartbeat_s

    def _denied(self, denied: Denied) -> None:
        self.last_denied = denied.reason.value
        self.last_error = f"denied {denied.reason.value}: {denied.message}"
        if denied.reason is ErrorCode.VERSION_MISMATCH:
            self.last_error += f" (the bridge speaks versions {list(denied.versions)})"
            self._give_up = True
        log.warning("MT link: %s", self.last_error)

    async def _expect(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Message | None:
        line = await asyncio.wait_for(reader.readuntil(b"\n"), _HANDSHAKE_TIMEOUT)
        try:
            return decode_line(line)
        except ProtocolError as exc:
            writer.write(encode(ErrorMsg(code=exc.code.value, message=exc.message)))
            return None

    async def _serve(self, reader: asyncio.StreamReader, conn: _Conn) -> None:
        self._open(conn)
        beats = asyncio.create_task(self._heartbeat(conn))
        try:
            while True:
                try:
                    line = await reader.readuntil(b"\n")
                except asyncio.LimitOverrunError:
                    message = f"a line longer than {MAX_LINE} bytes"
                    conn.write(encode(ErrorMsg(code=ErrorCode.TOO_LARGE.value, message=message)))
                    return
                except asyncio.IncompleteReadError:
                    return
                conn.last_received = time.monotonic()
                if not await self._on_line(conn, line):
                    return
        finally:
            beats.cancel()
            self._close(conn)

    def _open(self, conn: _Conn) -> None:
        self._seq = 0
        self._conn = conn
        self.connects += 1
        self.last_error = None
        self._connected.set()

    def _close(self, conn: _Conn) -> None:
        if self._conn is conn:
            self._conn = None
            self._connected.clear()

    async def _on_line(self, conn: _Conn, line: bytes) -> bool:
        """Handle one line; False when the connection must end."""
        try:
            message = decode_line(line)
        except ProtocolError as exc:
            conn.write(encode(ErrorMsg(code=exc.code.value, message=exc.message)))
            return True
        if isinstance(message, Req):
            return await self._answer(conn, message)
        if isinstance(message, Ping):
            conn.write(encode(Pong(t_ms=message.t_ms)))
        elif isinstance(message, ErrorMsg):
            self.last_error = f"the bridge reports {message.code}: {message.message}"
            log.warning("MT link: %s", self.last_error)
            return False
        elif not isinstance(message, Pong):
            error = ErrorMsg(code=ErrorCode.MALFORMED.value, message=f"a {message.type!r} here")
            conn.write(encode(error))
        return True

    async def _answer(self, conn: _Conn, req: Req) -> bool:
        self._held = []
        try:
            res = answer_request(self._handler, req)
        finally:
            held, self._held = self._held, None
        if self.faults.delay_seconds > 0:
            await asyncio.sleep(self.faults.delay_seconds)
        if self.faults.drop_after_next == req.op:
            self.faults.drop_after_next = None
            conn.drop()
            self.dropped_events += len(held)
            return False
        conn.write(answer_line(res))
        self._write_events(held)
        return True

    async def _heartbeat(self, conn: _Conn) -> None:
        while True:
            await asyncio.sleep(conn.heartbeat / 4)
            now = time.monotonic()
            if now - conn.last_received > _DEAD_AFTER * conn.heartbeat:
                self.last_error = f"nothing from the bridge for {_DEAD_AFTER * conn.heartbeat:g} s"
                log.warning("MT link: %s", self.last_error)
                conn.drop()
                return
            if now - conn.last_sent >= conn.heartbeat:
                conn.write(encode(Ping(t_ms=int(time.time() * 1000))))


def _kind(message: Message | None) -> str:
    return "a broken line" if message is None else repr(message.type)
