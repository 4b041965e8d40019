"""The bridge server and the EA-side link over real TLS on loopback (ephemeral ports):
requests and answers, refusals, events, heartbeats, reconnects, dropped answers, every way
an authentication fails, and the protocol errors a broken peer gets."""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from execution_engine.adapters.fix.devca import DevCa, generate_dev_ca
from execution_engine.adapters.mt5.auth import new_auth, new_nonce, new_token, welcome_mac
from execution_engine.adapters.mt5.bridge import (
    BridgeConfig,
    BridgeDisconnectedError,
    BridgeNotConnectedError,
    BridgeRequestError,
    BridgeServer,
    BridgeTimeoutError,
)
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
    Req,
    Res,
    Welcome,
    decode_line,
    encode,
    encode_evt,
)
from execution_engine.adapters.mt5.sim.link import HANDLER_FAILED, TerminalLink
from execution_engine.adapters.mt5.sim.terminal import EaLink
from pydantic import SecretStr, ValidationError

TERMINAL = "T1"
TOKEN = new_token(TERMINAL, datetime.now(UTC) + timedelta(days=1))
FAST = (0.05,)  # the links' backoff in tests
WAIT = 10.0
AnyLink = TypeVar("AnyLink", bound=EaLink)


def aio(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in a fresh loop (the bridge lives in the caller's loop)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


@pytest.fixture(scope="module")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> DevCa:
    return generate_dev_ca(tmp_path_factory.mktemp("mt5-ca"))


@dataclass
class Handler:
    """The terminal's side of the tests: echoes, refuses, fails, and emits on order_send."""

    link: Any = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def handle(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((op, args))
        if op == Op.SYMBOLS and "NOPE" in args.get("names", []):
            raise OpError(ErrorCode.UNKNOWN_SYMBOL, "no symbol NOPE")
        if op == Op.RATES:
            raise RuntimeError("boom")
        if op == Op.HISTORY_DEALS:
            return {"deals": "x" * MAX_LINE}  # more than one line carries
        if op == Op.ORDER_SEND and self.link is not None:
            self.link.emit("transaction", {"type": "TRADE_TRANSACTION_DEAL_ADD", "deal": 7})
        return {"op": op, "args": args}

    def ops(self) -> list[str]:
        return [op for op, _ in self.calls]


@dataclass
class Heard:
    """What the bridge's callbacks heard."""

    events: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)
    connections: list[bool] = field(default_factory=list)
    raise_on: str | None = None

    def on_event(self, event: str, data: dict[str, Any], seq: int) -> None:
        self.events.append((event, data, seq))
        if event == self.raise_on:
            raise ValueError("a broken consumer")


@asynccontextmanager
async def running_bridge(
    ca: DevCa,
    *,
    token: str = TOKEN,
    heartbeat: float = 5.0,
    http: bool = False,
    tls: bool = True,
) -> AsyncIterator[tuple[BridgeServer, Heard]]:
    heard = Heard()
    config = BridgeConfig(
        port=0,
        terminal=TERMINAL,
        tls_cert=ca.server_cert if tls else None,
        tls_key=ca.server_key if tls else None,
        heartbeat_seconds=heartbeat,
        http_port=0 if http else None,
    )
    bridge = BridgeServer(config, SecretStr(token), heard.on_event, heard.connections.append)
    await bridge.start()
    try:
        yield bridge, heard
    finally:
        await bridge.stop()


@contextmanager
def linked(
    bridge: BridgeServer, ca: DevCa, handler: Handler | None = None, **options: Any
) -> Iterator[TerminalLink]:
    options = {"token": TOKEN, "terminal": TERMINAL, "backoff": FAST, **options}
    link = TerminalLink(
        "localhost", bridge.port, handler=handler or Handler(), ca_file=ca.ca_file, **options
    )
    with started(link, handler):
        yield link


@contextmanager
def started(link: AnyLink, handler: Handler | None = None) -> Iterator[AnyLink]:
    """The link running (and told to `handler`, which emits through it) until the block ends."""
    if handler is not None:
        handler.link = link
    link.start()
    try:
        yield link
    finally:
        link.stop()


async def both_up(bridge: BridgeServer, link: Any) -> None:
    """The bridge welcomed the link and the link has read the welcome."""
    await bridge.wait_connected(WAIT)
    await until(lambda: link.connected)


async def until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.01)


class RawEA:
    """A hand-driven EA: for what the link would never send."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def dial(cls, port: int, ca: DevCa) -> RawEA:
        context = ssl.create_default_context(cafile=str(ca.ca_file))
        reader, writer = await asyncio.open_connection(
            "localhost", port, ssl=context, limit=4 * MAX_LINE
        )
        return cls(reader, writer)

    async def read(self) -> Message:
        return decode_line(await asyncio.wait_for(self.reader.readuntil(b"\n"), WAIT))

    def send(self, line: bytes) -> None:
        self.writer.write(line)

    async def closed(self) -> bool:
        """True once the bridge has closed the connection (what it sent before is skipped)."""
        try:
            await asyncio.wait_for(self.reader.read(), WAIT)
        except (ConnectionError, ssl.SSLError):
            return True
        return self.reader.at_eof()

    async def logon(self, token: str = TOKEN) -> tuple[Hello, Auth, Message]:
        hello = await self.read()
        assert isinstance(hello, Hello)
        auth = signed_auth(token, hello.nonce)
        self.send(encode(auth))
        return hello, auth, await self.read()

    def close(self) -> None:
        self.writer.transport.abort()


def signed_auth(token: str, bridge_nonce: str, version: int = 1) -> Auth:
    return new_auth(
        token, bridge_nonce, TERMINAL, platform="mt5", login=42, broker="B", version=version
    )


# -- requests and answers ----------------------------------------------------------------


@aio
async def test_a_request_gets_its_answer_and_the_session_is_known(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, heard):
        handler = Handler()
        with linked(bridge, dev_ca, handler, login=77, broker="Demo-1"):
            info = await bridge.wait_connected(WAIT)
            assert (info.terminal, info.platform, info.login, info.broker) == (
                TERMINAL,
                "mt5",
                77,
                "Demo-1",
            )
            assert info.version == 1
            assert bridge.connected
            assert bridge.session == info
            data = await bridge.request(Op.POSITIONS, {"symbol": "EURUSD"}, WAIT)
            assert data == {"op": "positions", "args": {"symbol": "EURUSD"}}
            assert handler.calls == [("positions", {"symbol": "EURUSD"})]
            assert heard.connections == [True]
            assert bridge.stats()["requests"] == 1


@aio
async def test_plain_tcp_on_loopback(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca, tls=False) as (bridge, _):
        with linked(bridge, dev_ca, Handler(), tls=False) as link:
            await both_up(bridge, link)
            assert await bridge.request(Op.TICK, {}, WAIT) == {"op": "tick", "args": {}}


@aio
async def test_a_refusal_is_a_bridge_request_error(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        with linked(bridge, dev_ca, Handler()):
            await bridge.wait_connected(WAIT)
            with pytest.raises(BridgeRequestError) as info:
                await bridge.request("symbols", {"names": ["NOPE"]}, WAIT)
            assert info.value.code == ErrorCode.UNKNOWN_SYMBOL
            assert info.value.message == "no symbol NOPE"
            with pytest.raises(BridgeRequestError) as failed:
                await bridge.request(Op.RATES, {}, WAIT)
            assert failed.value.code == HANDLER_FAILED
            assert "boom" in failed.value.message
            assert bridge.connected  # refusals are answers: the session goes on


@aio
async def test_an_unknown_op_executes_nothing(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        handler = Handler()
        with linked(bridge, dev_ca, handler):
            await bridge.wait_connected(WAIT)
            with pytest.raises(BridgeRequestError) as info:
                await bridge.request("shell", {"cmd": "format c:"}, WAIT)
            assert info.value.code == ErrorCode.UNKNOWN_OP
            assert handler.calls == []


@aio
async def test_request_ids_increase_per_session(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        for _ in range(2):
            ea = await RawEA.dial(bridge.port, dev_ca)
            *_, welcome = await ea.logon()
            assert isinstance(welcome, Welcome)
            ids = []
            for n in range(3):
                task = asyncio.create_task(bridge.request(Op.TICK, {"n": n}, WAIT))
                req = await ea.read()
                assert isinstance(req, Req)
                ids.append(req.id)
                ea.send(encode(Res(id=req.id, ok=True, data={"n": n})))
                assert await task == {"n": n}
            assert ids == [1, 2, 3]
            ea.close()
            await until(lambda: not bridge.connected)


@aio
async def test_no_terminal_means_nothing_sent(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        with pytest.raises(BridgeNotConnectedError, match="nothing was sent"):
            await bridge.request(Op.ACCOUNT_INFO, {}, 1.0)
        with pytest.raises(BridgeTimeoutError):
            await bridge.wait_connected(0.05)


@aio
async def test_a_slow_answer_times_out_and_arrives_late(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        with linked(bridge, dev_ca, Handler()) as link:
            await bridge.wait_connected(WAIT)
            link.faults.delay_seconds = 0.5
            with pytest.raises(BridgeTimeoutError, match="outcome is unknown"):
                await bridge.request(Op.ACCOUNT_INFO, {}, 0.05)
            await until(lambda: bridge.stats()["late_answers"] == 1)
            link.faults.delay_seconds = 0
            assert await bridge.request(Op.ACCOUNT_INFO, {}, WAIT) == {
                "op": "account_info",
                "args": {},
            }


@aio
async def test_nothing_too_large_for_a_line_is_sent(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, heard):
        handler = Handler()
        with linked(bridge, dev_ca, handler) as link:
            await both_up(bridge, link)
            with pytest.raises(BridgeRequestError, match="nothing was sent") as request:
                await bridge.request(Op.SYMBOLS, {"names": ["X" * MAX_LINE]}, WAIT)
            assert request.value.code == ErrorCode.TOO_LARGE
            assert handler.calls == []
            with pytest.raises(BridgeRequestError, match="ask for less") as answer:
                await bridge.request(Op.HISTORY_DEALS, {}, WAIT)
            assert answer.value.code == ErrorCode.TOO_LARGE
            link.emit("account", {"pad": "x" * MAX_LINE})
            link.emit("account", {"balance": "1"})
            await until(lambda: len(heard.events) == 1)
            assert heard.events == [("account", {"balance": "1"}, 1)]
            assert link.dropped_events == 1
            assert link.connects == 1
            assert bridge.stats()["too_large"] == 0


# -- events ------------------------------------------------------------------------------


@aio
async def test_events_reach_on_event_in_order_and_a_raising_consumer_is_survived(
    dev_ca: DevCa,
) -> None:
    async with running_bridge(dev_ca) as (bridge, heard):
        heard.raise_on = "account"
        handler = Handler()
        with linked(bridge, dev_ca, handler) as link:
            await both_up(bridge, link)
            link.emit("ticks", {"ticks": [["EURUSD", 1, "1.10001", "1.10003", "0", 0]]})
            link.emit("account", {"balance": "1000.00"})
            link.emit("terminal", {"trade_allowed": True, "connected": True})
            await until(lambda: len(heard.events) == 3)
            assert [(e, s) for e, _, s in heard.events] == [
                ("ticks", 1),
                ("account", 2),
                ("terminal", 3),
            ]
            assert heard.events[0][1]["ticks"][0] == ["EURUSD", 1, "1.10001", "1.10003", "0", 0]
            await bridge.request(Op.ORDER_SEND, {"request": {}}, WAIT)
            await until(lambda: len(heard.events) == 4)
            assert heard.events[3][:2] == (
                "transaction",
                {"type": "TRADE_TRANSACTION_DEAL_ADD", "deal": 7},
            )
            assert bridge.connected
            assert bridge.stats()["events"] == 4


@aio
async def test_events_while_disconnected_are_dropped(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, heard):
        link = TerminalLink(
            "localhost", bridge.port, TOKEN, TERMINAL, Handler(), ca_file=dev_ca.ca_file
        )
        link.emit("ticks", {"ticks": []})  # not started: nowhere to go
        assert link.dropped_events == 1
        assert heard.events == []


@aio
async def test_a_line_of_max_line_bytes_passes(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, heard):
        ea = await RawEA.dial(bridge.port, dev_ca)
        await ea.logon()
        head = encode_evt(1, "x", {"p": ""}).rstrip(b"\n")
        line = encode_evt(1, "x", {"p": "y" * (MAX_LINE - len(head))})
        assert len(line) == MAX_LINE + 1
        ea.send(line)
        await until(lambda: len(heard.events) == 1)
        assert bridge.connected
        ea.close()


# -- heartbeats, drops, reconnects -------------------------------------------------------


@aio
async def test_pings_keep_an_idle_link_alive(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca, heartbeat=0.25) as (bridge, heard):
        with linked(bridge, dev_ca) as link:
            await bridge.wait_connected(WAIT)
            await asyncio.sleep(1.5)  # six heartbeats with no request
            assert bridge.connected
            assert link.connects == 1
            assert heard.connections == [True]


@aio
async def test_a_silent_terminal_is_dead_after_three_heartbeats(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca, heartbeat=0.1) as (bridge, heard):
        ea = await RawEA.dial(bridge.port, dev_ca)
        *_, welcome = await ea.logon()
        assert isinstance(welcome, Welcome)
        assert welcome.heartbeat_s == 0.1
        ping = await ea.read()  # the bridge pings when it has sent nothing for a heartbeat
        assert isinstance(ping, Ping)
        await until(lambda: heard.connections == [True, False])
        assert await ea.closed()
        assert bridge.stats()["dead"] == 1


@aio
async def test_the_link_reconnects_after_restart(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, heard):
        with linked(bridge, dev_ca, Handler()) as link:
            await both_up(bridge, link)
            first = bridge.session
            assert first is not None
            link.restart()
            await until(lambda: link.connects == 2 and bridge.connected)
            second = bridge.session
            assert second is not None
            assert second.session != first.session
            assert heard.connections == [True, False, True]
            assert await bridge.request(Op.ORDERS, {}, WAIT) == {"op": "orders", "args": {}}


@aio
async def test_a_dropped_answer_is_unknown_and_was_executed(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, heard):
        handler = Handler()
        with linked(bridge, dev_ca, handler) as link:
            await bridge.wait_connected(WAIT)
            link.faults.drop_after_next = Op.ORDER_SEND
            with pytest.raises(BridgeDisconnectedError, match="outcome is unknown"):
                await bridge.request(Op.ORDER_SEND, {"request": {"comment": "gt1:k"}}, WAIT)
            assert handler.ops() == ["order_send"]  # it did execute
            assert link.dropped_events == 1  # its transaction event went down with the link
            await until(lambda: link.connects == 2 and bridge.connected)
            assert (await bridge.request(Op.HISTORY_ORDERS, {"comment": "gt1:k"}, WAIT))[
                "op"
            ] == "history_orders"
            assert link.faults.drop_after_next is None
            assert [e for e, _, _ in heard.events] == []


# -- authentication ----------------------------------------------------------------------


@aio
async def test_a_second_terminal_with_the_same_id_is_busy(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        with linked(bridge, dev_ca) as first:
            await bridge.wait_connected(WAIT)
            with linked(bridge, dev_ca, backoff=(5.0,)) as second:
                await until(lambda: second.last_denied == "BUSY")
                assert not second.connected
                assert first.connected
                assert bridge.stats()["auth_failures"] == {"BUSY": 1}


@aio
async def test_a_wrong_token_is_denied(dev_ca: DevCa) -> None:
    other = new_token(TERMINAL, datetime.now(UTC) + timedelta(days=1))
    async with running_bridge(dev_ca) as (bridge, heard):
        with linked(bridge, dev_ca, token=other, backoff=(5.0,)) as link:
            await until(lambda: link.last_denied == "BAD_TOKEN")
            assert link.connects == 0
            assert heard.connections == []
            assert bridge.stats()["auth_failures"] == {"BAD_TOKEN": 1}


@aio
async def test_an_expired_token_is_denied(dev_ca: DevCa) -> None:
    expired = new_token(TERMINAL, datetime.now(UTC) - timedelta(seconds=1))
    async with running_bridge(dev_ca, token=expired) as (bridge, _):
        with linked(bridge, dev_ca, token=expired, backoff=(5.0,)) as link:
            await until(lambda: link.last_denied == "TOKEN_EXPIRED")
            assert link.connects == 0


@aio
async def test_an_unknown_terminal_is_denied(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        with linked(bridge, dev_ca, terminal="T2", backoff=(5.0,)) as link:
            await until(lambda: link.last_denied == "UNKNOWN_TERMINAL")
            assert link.connects == 0


@aio
async def test_a_version_mismatch_stops_the_link_reconnecting(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        with linked(bridge, dev_ca, version=2) as link:
            await until(lambda: link.last_denied == "VERSION_MISMATCH")
            assert link.last_error is not None
            assert "[1]" in link.last_error
            await asyncio.sleep(0.5)  # ten backoffs' worth: it must not have tried again
            assert bridge.stats()["connections"] == 1
            assert link.connects == 0


@aio
async def test_a_replayed_auth_is_refused(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        first = await RawEA.dial(bridge.port, dev_ca)
        _, auth, welcome = await first.logon()
        assert isinstance(welcome, Welcome)
        first.close()
        await until(lambda: not bridge.connected)
        second = await RawEA.dial(bridge.port, dev_ca)
        assert isinstance(await second.read(), Hello)
        second.send(encode(auth))  # the first hello's answer, captured
        denied = await second.read()
        assert isinstance(denied, Denied)
        assert denied.reason == ErrorCode.BAD_TOKEN
        assert denied.versions == (1,)
        assert await second.closed()


@aio
async def test_an_impostor_bridge_is_dropped(dev_ca: DevCa) -> None:
    """A bridge without the token cannot forge the welcome mac: the link leaves before any
    request it sends is executed."""
    handler = Handler()

    async def impostor(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonce = new_nonce()
        writer.write(encode(Hello(versions=(1,), nonce=nonce, server="evil")))
        auth = decode_line(await reader.readuntil(b"\n"))
        assert isinstance(auth, Auth)
        forged = welcome_mac("gt1.T1.9999999999." + "a" * 43, auth.nonce, nonce)
        writer.write(encode(Welcome(version=1, session="s", heartbeat_s=5, mac=forged)))
        writer.write(encode(Req(id=1, op="order_send", args={})))
        await reader.read()
        writer.close()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(dev_ca.server_cert), str(dev_ca.server_key))
    server = await asyncio.start_server(impostor, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    link = TerminalLink(
        "localhost", port, TOKEN, TERMINAL, handler, ca_file=dev_ca.ca_file, backoff=(5.0,)
    )
    with started(link):
        await until(lambda: link.impostors == 1)
        await asyncio.sleep(0.1)
        assert handler.calls == []
        assert link.connects == 0
        assert not link.connected
        assert link.last_error is not None
        assert "impostor" in link.last_error
        server.close()
        await server.wait_closed()


@aio
async def test_a_link_without_the_ca_never_connects(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        link = TerminalLink("localhost", bridge.port, TOKEN, TERMINAL, Handler(), backoff=(5.0,))
        with started(link):
            await until(lambda: link.last_error is not None)
            assert link.last_error is not None
            assert "CERTIFICATE_VERIFY_FAILED" in link.last_error
            assert link.connects == 0


# -- protocol errors ---------------------------------------------------------------------


@aio
async def test_a_malformed_line_is_answered_and_the_session_stays(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        ea = await RawEA.dial(bridge.port, dev_ca)
        await ea.logon()
        ea.send(b"this is not json\n")
        error = await ea.read()
        assert isinstance(error, ErrorMsg)
        assert error.code == "MALFORMED"
        assert "not JSON" in error.message
        ea.send(b'{"type":"res","id":1}\n')
        error = await ea.read()
        assert isinstance(error, ErrorMsg)
        assert "field 'ok' missing" in error.message
        ea.send(encode(Req(id=1, op="tick", args={})))  # a bridge's message from the EA
        error = await ea.read()
        assert isinstance(error, ErrorMsg)
        assert "'req'" in error.message
        ea.send(encode(Ping(t_ms=5)))
        assert await ea.read() == Pong(t_ms=5)
        assert bridge.connected
        assert bridge.stats()["malformed"] == 3
        ea.close()


@aio
async def test_an_oversized_line_is_too_large_and_closes(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, heard):
        ea = await RawEA.dial(bridge.port, dev_ca)
        await ea.logon()
        ea.send(b'{"type":"evt","seq":1,"event":"x","data":{"p":"' + b"y" * MAX_LINE + b'"}}\n')
        error = await ea.read()
        assert isinstance(error, ErrorMsg)
        assert error.code == "TOO_LARGE"
        assert await ea.closed()
        await until(lambda: heard.connections == [True, False])
        assert heard.events == []
        assert bridge.stats()["too_large"] == 1


@aio
async def test_anything_but_auth_after_hello_closes(dev_ca: DevCa) -> None:
    async with running_bridge(dev_ca) as (bridge, _):
        ea = await RawEA.dial(bridge.port, dev_ca)
        assert isinstance(await ea.read(), Hello)
        ea.send(encode(Ping(t_ms=1)))
        error = await ea.read()
        assert isinstance(error, ErrorMsg)
        assert "expected auth" in error.message
        assert await ea.closed()
        assert not bridge.connected


# -- configuration -----------------------------------------------------------------------


def test_a_bind_off_loopback_needs_tls(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="only with TLS"):
        BridgeConfig(host="0.0.0.0", port=0, terminal=TERMINAL)  # the refused case
    with pytest.raises(ValidationError, match="both tls_cert and tls_key"):
        BridgeConfig(port=0, terminal=TERMINAL, tls_cert=tmp_path / "c.pem")
    config = BridgeConfig(
        host="10.0.0.5",
        port=0,
        terminal=TERMINAL,
        tls_cert=tmp_path / "c.pem",
        tls_key=tmp_path / "k.pem",
    )
    assert config.tls
    assert not BridgeConfig(host="::1", port=0, terminal=TERMINAL).tls


def test_a_token_for_another_terminal_is_refused() -> None:
    config = BridgeConfig(port=0, terminal="T9")
    with pytest.raises(ValueError, match="the token is for terminal 'T1'"):
        BridgeServer(config, SecretStr(TOKEN), lambda *_: None)
