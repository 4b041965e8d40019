"""What the EA does the same way on both transports (docs/mt5-bridge-protocol.md), whether
it dials the bridge over TLS (link.py) or polls it over HTTPS (poll_link.py).

`EaSession` is the transports' common base: the authentication (auth's mac, the welcome's
mac checked so an impostor bridge is dropped, a denial recorded, a version mismatch ending
the reconnects), the protocol's reconnect backoff, answering requests ONE AT A TIME through
a `RequestHandler` (a real EA is single threaded) with the events the handler emits held
until the answer is out, the faults a test asks for, and the events' sequence numbers. A
transport adds only how its lines travel.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, TypedDict, Unpack

from execution_engine.adapters.mt5.auth import new_auth, welcome_verified
from execution_engine.adapters.mt5.codes import ErrorCode, Op, OpError
from execution_engine.adapters.mt5.protocol import (
    MAX_LINE,
    Auth,
    Denied,
    ErrorMsg,
    Hello,
    Message,
    Req,
    Res,
    ResError,
    Welcome,
    encode,
    encode_evt,
    too_large,
)

log = logging.getLogger(__name__)

DEFAULT_BACKOFF: tuple[float, ...] = (1, 2, 4, 8, 16, 30)
HANDLER_FAILED = ErrorCode.INTERNAL.value  # the handler raised something not an OpError
OPS = frozenset(op.value for op in Op)

Platform = Literal["mt5", "mt4"]
Event = tuple[str, dict[str, Any]]


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


def kind(message: Message | None) -> str:
    """A received message's kind, for an error saying what came instead."""
    return "a broken line" if message is None else repr(message.type)


def _known_platform(platform: str | None, default: Platform) -> Platform:
    if platform == "mt5":
        return "mt5"
    if platform == "mt4":
        return "mt4"
    return default


class LinkOptions(TypedDict, total=False):
    """The EA's settings both transports take by keyword. Defaults: the transport's own
    platform, login 0, broker "Gauntlet-Sim", the system's CAs, TLS on, DEFAULT_BACKOFF,
    protocol version 1."""

    platform: str
    login: int
    broker: str
    ca_file: Path | None
    tls: bool
    backoff: Sequence[float]
    version: int


class EaSession:
    """The EA's state and rules both transports share; a subclass moves the lines. The EA
    dials `host:port` as `terminal` with `token`, and `handler` executes the requests."""

    DEFAULT_PLATFORM: ClassVar[Platform] = "mt5"  # what an unknown `platform` is sent as
    LOG_PREFIX: ClassVar[str] = "MT link"

    def __init__(
        self,
        host: str,
        port: int,
        token: str,
        terminal: str,
        handler: RequestHandler,
        **options: Unpack[LinkOptions],
    ) -> None:
        backoff = tuple(options.get("backoff", DEFAULT_BACKOFF))
        if not backoff:
            raise ValueError("the link's backoff needs at least one delay")
        self._host, self._port = host, port
        self._token, self._terminal = token, terminal
        self._handler = handler
        self._platform = _known_platform(options.get("platform"), self.DEFAULT_PLATFORM)
        self._login = options.get("login", 0)
        self._broker = options.get("broker", "Gauntlet-Sim")
        self._ca_file = options.get("ca_file")
        self._tls = options.get("tls", True)
        self._backoff = backoff
        self._attempt = 0
        self._version = options.get("version", 1)
        self.faults = LinkFaults()
        self.connects = 0
        self.last_denied: str | None = None
        self.last_error: str | None = None
        self.impostors = 0  # welcomes whose mac was wrong
        self.dropped_events = 0
        self._seq = 0
        self._held: list[Event] | None = None  # what the handler emits while answering
        self._give_up = False
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._init_transport()

    def _init_transport(self) -> None:
        """The transport's own state, set when the shared state is."""

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def _start_thread(self, name: str) -> None:
        if self._thread is not None:
            raise RuntimeError("the link is already started")
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        raise NotImplementedError

    def _on_link_thread(self) -> bool:
        return self._thread is not None and threading.get_ident() == self._thread.ident

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self._tls:
            return None
        cafile = None if self._ca_file is None else str(self._ca_file)
        return ssl.create_default_context(cafile=cafile)

    # -- reconnecting ----------------------------------------------------------------------

    def _next_delay(self, welcomed: bool) -> float | None:
        """The wait before the next session, after one that ended; None: give up for good."""
        if welcomed:
            self._attempt = 0
        if self._give_up:
            log.error(
                "%s: %s; not reconnecting until the EA is updated", self.LOG_PREFIX, self.last_error
            )
            return None
        delay = self._backoff[min(self._attempt, len(self._backoff) - 1)]
        self._attempt += 1
        return delay

    # -- authenticating --------------------------------------------------------------------

    def _auth(self, hello: Message | None) -> tuple[Auth, str] | None:
        """The auth answering the bridge's hello, and the hello's nonce (the welcome's mac
        covers both nonces); None when `hello` is not one."""
        if not isinstance(hello, Hello):
            self.last_error = f"expected hello, got {kind(hello)}"
            return None
        auth = new_auth(
            self._token,
            hello.nonce,
            self._terminal,
            platform=self._platform,
            login=self._login,
            broker=self._broker,
            version=self._version,
        )
        return auth, hello.nonce

    def _welcome(self, auth: Auth, hello_nonce: str, answer: Message | None) -> Welcome | None:
        """The bridge's welcome, when it is one and its mac proves the bridge knows the token."""
        if isinstance(answer, Denied):
            self._denied(answer)
            return None
        if not isinstance(answer, Welcome):
            self.last_error = f"expected welcome or denied, got {kind(answer)}"
            return None
        if not welcome_verified(self._token, auth, hello_nonce, answer.mac):
            self.impostors += 1
            self.last_error = "the bridge's welcome mac is wrong: an impostor, disconnecting"
            log.error("%s: %s", self.LOG_PREFIX, self.last_error)
            return None
        return answer

    def _denied(self, denied: Denied) -> None:
        self.last_denied = denied.reason.value
        self.last_error = f"denied {denied.reason.value}: {denied.message}"
        if denied.reason is ErrorCode.VERSION_MISMATCH:
            self.last_error += f" (the bridge speaks versions {list(denied.versions)})"
            self._give_up = True
        log.warning("%s: %s", self.LOG_PREFIX, self.last_error)

    # -- a session -------------------------------------------------------------------------

    def _opened(self) -> None:
        self._seq = 0
        self.connects += 1
        self.last_error = None
        self._connected.set()

    def _bridge_error(self, message: ErrorMsg) -> None:
        self.last_error = f"the bridge reports {message.code}: {message.message}"
        log.warning("%s: %s", self.LOG_PREFIX, self.last_error)

    def _hold(self, event: str, data: dict[str, Any]) -> bool:
        """Keep an event the handler emits while answering, to send after the answer."""
        if not self._on_link_thread() or self._held is None:
            return False
        self._held.append((event, data))
        return True

    def _execute(self, req: Req) -> tuple[Res, list[Event]]:
        """The request's answer and the events its handling emitted."""
        self._held = []
        try:
            res = answer_request(self._handler, req)
        finally:
            held, self._held = self._held or [], None
        return res, held

    def _drops_instead(self, req: Req, held: list[Event]) -> bool:
        """True when the faults say to drop the connection instead of answering `req`."""
        if self.faults.drop_after_next != req.op:
            return False
        self.faults.drop_after_next = None
        self.dropped_events += len(held)
        return True

    def _event_lines(self, batch: Sequence[Event]) -> list[bytes]:
        """The events' lines, numbered in this session; one too large is dropped."""
        lines = []
        for event, data in batch:
            line = event_line(self._seq + 1, event, data)
            if line is None:
                self.dropped_events += 1
                continue
            self._seq += 1
            lines.append(line)
        return lines
