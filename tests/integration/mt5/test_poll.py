"""The MT4 transport: the same requests, refusals and events over HTTPS polling, and the
session rules a poller meets (401 on an unknown or dead session, single-use hellos, BUSY)."""

from __future__ import annotations

import asyncio
import http.client
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from execution_engine.adapters.fix.devca import DevCa, generate_dev_ca
from execution_engine.adapters.mt5.bridge import (
    BridgeDisconnectedError,
    BridgeNotConnectedError,
    BridgeRequestError,
    BridgeServer,
)
from execution_engine.adapters.mt5.codes import ErrorCode, Op
from execution_engine.adapters.mt5.poll import AUTH_PATH, HELLO_PATH, POLL_PATH, SESSION_HEADER
from execution_engine.adapters.mt5.protocol import (
    Denied,
    ErrorMsg,
    Hello,
    Message,
    Ping,
    Pong,
    Req,
    Res,
    Welcome,
    decode_line,
    encode,
)
from execution_engine.adapters.mt5.sim.poll_link import PollLink

from tests.integration.mt5.test_bridge import (
    FAST,
    TERMINAL,
    TOKEN,
    WAIT,
    Handler,
    aio,
    both_up,
    linked,
    running_bridge,
    signed_auth,
    started,
    until,
)


@pytest.fixture(scope="module")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> DevCa:
    return generate_dev_ca(tmp_path_factory.mktemp("mt4-ca"))


@contextmanager
def polling(
    bridge: BridgeServer, ca: DevCa, handler: Handler | None = None, **options: Any
) -> Iterator[PollLink]:
    port = bridge.http_port
    assert port is not None
    options = {"token": TOKEN, "terminal": TERMINAL, "backoff": FAST, **options}
    link = PollLink(
        "localhost",
        port,
        handler=handler or Handler(),
        ca_file=ca.ca_file,
        poll_interval=0.02,
        **options,
    )
    with started(link, handler):
        yield link


class RawPoller:
    """A hand-driven MT4 EA: one HTTPS connection, posts lines, reads lines."""

    def __init__(self, port: int, ca: DevCa) -> None:
        context = ssl.create_default_context(cafile=str(ca.ca_file))
        self._conn = http.client.HTTPSConnection("localhost", port, timeout=WAIT, context=context)

    def post(self, path: str, body: bytes, session: str | None = None) -> tuple[int, bytes]:
        headers = {} if session is None else {SESSION_HEADER: session}
        self._conn.request("POST", path, body=body, headers=headers)
        response = self._conn.getresponse()
        return response.status, response.read()

    def lines(self, path: str, body: bytes, session: str | None = None) -> list[Message]:
        status, payload = self.post(path, body, session)
        assert status == 200, payload
        return [decode_line(line) for line in payload.splitlines()]

    def logon(self) -> tuple[bytes, Welcome]:
        """The auth's line, and the welcome it got."""
        hello = self.lines(HELLO_PATH, b"")[0]
        assert isinstance(hello, Hello)
        auth = encode(signed_auth(TOKEN, hello.nonce))
        welcome = self.lines(AUTH_PATH, auth)[0]
        assert isinstance(welcome, Welcome)
        return auth, welcome

    def close(self) -> None:
        self._conn.close()


@contextmanager
def raw_poller(bridge: BridgeServer, ca: DevCa) -> Iterator[RawPoller]:
    port = bridge.http_port
    assert port is not None
    raw = RawPoller(port, ca)
    try:
        yield raw
    finally:
        raw.close()


@aio
async def test_requests_refusals_and_events_over_polling(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca, http=True) as (bridge, heard):
        handler = Handler()
        with polling(bridge, dev_ca, handler, login=4) as link:
            await both_up(bridge, link)
            info = bridge.session
            assert info is not None
            assert (info.platform, info.login) == ("mt4", 4)
            data = await bridge.request(Op.POSITIONS, {"symbol": "EURUSD"}, WAIT)
            assert data == {"op": "positions", "args": {"symbol": "EURUSD"}}
            with pytest.raises(BridgeRequestError) as refused:
                await bridge.request(Op.SYMBOLS, {"names": ["NOPE"]}, WAIT)
            assert refused.value.code == ErrorCode.UNKNOWN_SYMBOL
            with pytest.raises(BridgeRequestError) as unknown:
                await bridge.request("exec", {}, WAIT)
            assert unknown.value.code == ErrorCode.UNKNOWN_OP
            assert handler.ops() == ["positions", "symbols"]
            link.emit("ticks", {"ticks": [["EURUSD", 1, "1.1", "1.2", "0", 0]]})
            await bridge.request(Op.ORDER_SEND, {"request": {}}, WAIT)
            await until(lambda: len(heard.events) == 2)
            assert [(e, s) for e, _, s in heard.events] == [("ticks", 1), ("transaction", 2)]
            assert link.connects == 1
            assert heard.connections == [True]


@aio
async def test_plain_http_on_loopback(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca, http=True, tls=False) as (bridge, _):
        with polling(bridge, dev_ca, Handler(), tls=False) as link:
            await both_up(bridge, link)
            assert await bridge.request(Op.TICK, {}, WAIT) == {"op": "tick", "args": {}}


@aio
async def test_a_poll_on_an_unknown_session_is_401(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca, http=True) as (bridge, _):
        with raw_poller(bridge, dev_ca) as raw:
            status, _ = await asyncio.to_thread(raw.post, POLL_PATH, b"", "nope")
            assert status == 401
            status, _ = await asyncio.to_thread(raw.post, POLL_PATH, b"")
            assert status == 401
            status, _ = await asyncio.to_thread(raw.post, POLL_PATH, b"", "caf\u00e9")
            assert status == 401  # not a server error: the comparison takes any text


@aio
async def test_a_poller_that_stops_polling_is_dead_and_its_queue_was_never_sent(
    dev_ca: DevCa,
) -> None:
    async with running_bridge(dev_ca, heartbeat=0.1, http=True) as (bridge, heard):
        with raw_poller(bridge, dev_ca) as raw:
            _, welcome = await asyncio.to_thread(raw.logon)
            request = asyncio.create_task(bridge.request(Op.ACCOUNT_INFO, {}, WAIT))
            with pytest.raises(BridgeNotConnectedError, match="nothing was sent"):
                await request
            assert heard.connections == [True, False]
            status, _ = await asyncio.to_thread(raw.post, POLL_PATH, b"", welcome.session)
            assert status == 401


@aio
async def test_a_polled_request_lost_with_its_session_is_unknown(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca, heartbeat=0.1, http=True) as (bridge, _):
        with raw_poller(bridge, dev_ca) as raw:
            _, welcome = await asyncio.to_thread(raw.logon)
            request = asyncio.create_task(bridge.request(Op.ORDER_SEND, {}, WAIT))
            await asyncio.sleep(0)
            lines = await asyncio.to_thread(raw.lines, POLL_PATH, b"", welcome.session)
            assert [type(line) for line in lines] == [Req]
            with pytest.raises(BridgeDisconnectedError, match="outcome is unknown"):
                await request  # carried out by a poll, then the poller went silent


@aio
async def test_raw_polls_carry_lines_both_ways(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca, http=True) as (bridge, heard):
        with raw_poller(bridge, dev_ca) as raw:
            auth, welcome = await asyncio.to_thread(raw.logon)
            session = welcome.session
            request = asyncio.create_task(bridge.request(Op.TICK, {"symbol": "X"}, WAIT))
            await asyncio.sleep(0)
            (req,) = await asyncio.to_thread(raw.lines, POLL_PATH, b"", session)
            assert isinstance(req, Req)
            assert req.id == 1
            body = encode(Res(id=req.id, ok=True, data={"tick": []})) + encode(Ping(t_ms=3))
            body += b"garbage\n"
            answer = await asyncio.to_thread(raw.lines, POLL_PATH, body, session)
            assert answer[0] == Pong(t_ms=3)
            assert isinstance(answer[1], ErrorMsg)
            assert answer[1].code == "MALFORMED"
            assert await request == {"tick": []}
            # The auth answered one hello: replayed, it is refused.
            replay = await asyncio.to_thread(raw.lines, AUTH_PATH, auth)
            assert isinstance(replay[0], Denied)
            assert replay[0].reason == ErrorCode.BAD_TOKEN
            assert bridge.connected
            assert heard.events == []


@aio
async def test_an_mt4_terminal_is_busy_while_the_mt5_link_is_on(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca, http=True) as (bridge, _):
        with linked(bridge, dev_ca) as first:
            await both_up(bridge, first)
            with polling(bridge, dev_ca, backoff=(5.0,)) as second:
                await until(lambda: second.last_denied == "BUSY")
                assert not second.connected
                info = bridge.session
                assert info is not None
                assert info.platform == "mt5"


@aio
async def test_the_poll_link_comes_back_after_its_session_died(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca, heartbeat=0.25, http=True) as (bridge, heard):
        handler = Handler()
        with polling(bridge, dev_ca, handler) as link:
            await both_up(bridge, link)
            link.faults.drop_after_next = Op.ORDER_SEND
            with pytest.raises(BridgeDisconnectedError):
                await bridge.request(Op.ORDER_SEND, {}, WAIT)
            assert handler.ops() == ["order_send"]
            await until(lambda: link.connects == 2 and bridge.connected)
            assert await bridge.request(Op.ORDERS, {}, WAIT) == {"op": "orders", "args": {}}
            assert heard.connections == [True, False, True]
