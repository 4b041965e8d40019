"""The EA's side of transport 1 (MT5, TLS over TCP), in Python, for the terminal simulator
and the tests: what `GauntletBridge.mq5` does, clause by clause of
docs/mt5-bridge-protocol.md.

`TerminalLink` dials the bridge from its own thread (an asyncio loop of its own, so the
simulator, which is synchronous, only calls `start`, `emit` and `stop`), authenticates,
checks the bridge's welcome mac (an impostor bridge is dropped), answers requests ONE AT A
TIME in order through a `RequestHandler` (a real EA is single threaded), answers and sends
pings, and reconnects with the protocol's backoff. Events emitted while disconnected are
dropped, as a real EA's would be. `faults` and `restart()` let tests break the link.
What the polling transport does the same way is ea_session.py's; this module is the
socket: the TLS connection, its reader and writer, the heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from execution_engine.adapters.mt5.codes import ErrorCode
from execution_engine.adapters.mt5.protocol import (
    MAX_LINE,
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
    DEFAULT_BACKOFF,
    HANDLER_FAILED,
    EaSession,
    Event,
    LinkFaults,
    LinkOptions,
    RequestHandler,
    answer_line,
)

# What the simulator and the tests have always imported from here.
__all__ = [
    "DEFAULT_BACKOFF",
    "HANDLER_FAILED",
    "LinkFaults",
    "LinkOptions",
    "RequestHandler",
    "TerminalLink",
]

log = logging.getLogger(__name__)

_HANDSHAKE_TIMEOUT = 10.0
_DEAD_AFTER = 3


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


class TerminalLink(EaSession):
    """The EA side of the MT5 transport, in its own thread: `TerminalLink(host, port,
    token, terminal, handler, **LinkOptions)`."""

    def _init_transport(self) -> None:
        self._conn: _Conn | None = None
        self._lock = threading.Lock()  # _pending and _flush_scheduled, shared with emit()
        self._pending: list[Event] = []
        self._flush_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._ready = threading.Event()

    # -- the simulator's side ------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def start(self) -> None:
        self._start_thread(f"mt-link-{self._terminal}")
        self._ready.wait(_HANDSHAKE_TIMEOUT)  # its loop exists: restart() and emit() reach it

    def stop(self, timeout: float = 10.0) -> None:
        loop, main = self._loop, self._main
        if loop is not None and main is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(main.cancel)
        self._join(timeout)

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
        if self._on_link_thread():
            if not self._hold(event, data):
                self._write_events([(event, data)])
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

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
            self._flush_scheduled = False
        self._write_events(batch)

    def _write_events(self, batch: list[Event]) -> None:
        conn = self._conn
        if conn is None:
            self.dropped_events += len(batch)
            return
        if batch:
            conn.write(b"".join(self._event_lines(batch)))

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
        while (delay := self._next_delay(await self._session())) is not None:
            await asyncio.sleep(delay)

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
        asked = self._auth(hello)
        if asked is None:
            return None
        auth, hello_nonce = asked
        writer.write(encode(auth))
        welcome = self._welcome(auth, hello_nonce, await self._expect(reader, writer))
        return None if welcome is None else welcome.heartbeat_s

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
        self._conn = conn
        self._opened()
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
            self._bridge_error(message)
            return False
        elif not isinstance(message, Pong):
            error = ErrorMsg(code=ErrorCode.MALFORMED.value, message=f"a {message.type!r} here")
            conn.write(encode(error))
        return True

    async def _answer(self, conn: _Conn, req: Req) -> bool:
        res, held = self._execute(req)
        if self.faults.delay_seconds > 0:
            await asyncio.sleep(self.faults.delay_seconds)
        if self._drops_instead(req, held):
            conn.drop()
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
