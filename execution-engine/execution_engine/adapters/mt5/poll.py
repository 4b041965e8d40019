"""Transport 2 of the bridge protocol, the bridge's side: HTTPS polling for MT4, whose EA
has `WebRequest` and no sockets (docs/mt5-bridge-protocol.md, "Transport 2").

This module only carries lines over HTTP: `POST /mt4/v1/hello`, `/auth` and `/poll`
(the session in `X-Gauntlet-Session`). What the lines mean, who may log on and when a
session dies is the bridge's (`PollHost`, implemented by bridge.BridgeServer), so both
transports keep one set of session rules. `PollChannel` is a poll session's outbox: the
bridge's lines wait there for the EA's next poll.
"""

from __future__ import annotations

import socket
import ssl
from typing import Protocol

from aiohttp import web

from execution_engine.adapters.mt5.protocol import MAX_LINE

SESSION_HEADER = "X-Gauntlet-Session"
HELLO_PATH = "/mt4/v1/hello"
AUTH_PATH = "/mt4/v1/auth"
POLL_PATH = "/mt4/v1/poll"
_CONTENT_TYPE = "application/x-ndjson"
_MAX_BODY = 64 * (MAX_LINE + 1)  # a poll may carry a batch of lines; a longer body is refused


class PollHost(Protocol):
    """What the HTTP side asks of the bridge; every answer is zero or more encoded lines."""

    def poll_hello(self) -> bytes: ...

    def poll_auth(self, body: bytes) -> bytes: ...

    def poll_exchange(self, session_id: str, body: bytes) -> bytes | None:
        """The bridge's queued lines after taking in `body`; None: no such live session."""
        ...


class PollChannel:
    """A poll session's outbox. Requests count as delivered once a poll response has
    carried them, so a session that dies with a request still queued knows nothing left."""

    wants_pings = False  # the EA's polls are its heartbeat; the answers are the bridge's

    def __init__(self) -> None:
        self._lines: list[bytes] = []
        self._queued_requests: set[int] = set()
        self.closed = False
        self.last_sent = 0.0

    def send(self, line: bytes, req_id: int | None = None) -> None:
        if self.closed:
            return
        self._lines.append(line)
        if req_id is not None:
            self._queued_requests.add(req_id)

    def drain(self) -> bytes:
        """Everything queued, for one poll response."""
        body = b"".join(self._lines)
        self._lines.clear()
        self._queued_requests.clear()
        return body

    def delivered(self, req_id: int) -> bool:
        return req_id not in self._queued_requests

    def close(self, abort: bool = False) -> None:
        self.closed = True


class PollServer:
    """The HTTP(S) listener for MT4 terminals, in the caller's running loop."""

    def __init__(
        self, host: PollHost, bind: str, port: int, ssl_context: ssl.SSLContext | None
    ) -> None:
        self._host = host
        self._bind = bind
        self._port = port
        self._ssl = ssl_context
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None

    @property
    def port(self) -> int:
        if self._bound_port is None:
            raise RuntimeError("the MT4 polling server is not started")
        return self._bound_port

    async def start(self) -> None:
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_post(HELLO_PATH, self._hello)
        app.router.add_post(AUTH_PATH, self._auth)
        app.router.add_post(POLL_PATH, self._poll)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        # A socket of our own: with port 0 the bound port is read from it, not from aiohttp.
        sock = socket.create_server((self._bind, self._port), reuse_port=False)
        self._bound_port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, ssl_context=self._ssl).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _hello(self, request: web.Request) -> web.Response:
        return _lines(self._host.poll_hello())

    async def _auth(self, request: web.Request) -> web.Response:
        return _lines(self._host.poll_auth(await request.read()))

    async def _poll(self, request: web.Request) -> web.Response:
        session_id = request.headers.get(SESSION_HEADER, "")
        answer = self._host.poll_exchange(session_id, await request.read()) if session_id else None
        if answer is None:
            return web.Response(status=401, text="no such session: authenticate again\n")
        return _lines(answer)


def _lines(body: bytes) -> web.Response:
    return web.Response(body=body, content_type=_CONTENT_TYPE)
