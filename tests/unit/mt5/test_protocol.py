"""The bridge protocol's wire form: every kind round-trips, and every broken line is one
clear ProtocolError (MALFORMED or TOO_LARGE) naming what was wrong."""

from __future__ import annotations

from decimal import Decimal

import pytest
from execution_engine.adapters.mt5.codes import ErrorCode
from execution_engine.adapters.mt5.protocol import (
    MAX_LINE,
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
    ResError,
    Welcome,
    decode_line,
    decode_object,
    encode,
    encode_evt,
    evt_fields,
    message_from,
)

NONCE = "0123456789abcdef" * 2
MAC = "ab" * 32

MESSAGES: list[Message] = [
    Hello(versions=(1,), nonce=NONCE, server="gauntlet"),
    Auth(
        version=1,
        terminal="t1",
        platform="mt5",
        login=5,
        broker="B",
        nonce=NONCE,
        mac=MAC,
    ),
    Welcome(version=1, session="s", heartbeat_s=5.0, mac=MAC),
    Denied(reason=ErrorCode.BUSY, message="busy", versions=(1,)),
    Ping(t_ms=1),
    Pong(t_ms=2),
    Req(id=3, op="positions", args={"symbol": "EURUSD"}),
    Res(id=3, ok=True, data={"positions": []}),
    Res(id=4, ok=False, error=ResError(code="UNKNOWN_OP", message="no")),
    Evt(seq=1, event="ticks", data={"ticks": [["EURUSD", 1, "1.1", "1.2", "0", 0]]}),
    ErrorMsg(code="MALFORMED", message="bad"),
]


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: m.type)
def test_every_kind_round_trips_as_one_compact_line(msg: Message) -> None:
    line = encode(msg)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert b": " not in line
    assert b", " not in line
    assert decode_line(line) == msg


def test_decimals_travel_as_strings() -> None:
    line = encode(Res(id=1, ok=True, data={"balance": Decimal("1000.10")}))
    assert b'"balance":"1000.10"' in line


def test_res_without_data_or_error_is_kept_apart() -> None:
    assert b"error" not in encode(Res(id=1, ok=True, data={}))
    assert b"data" not in encode(MESSAGES[8])


def test_evt_fast_path_equals_the_model() -> None:
    line = encode_evt(7, "ticks", {"ticks": [["X", 1, "1", "2", "0", 3]]})
    evt = decode_line(line)
    assert isinstance(evt, Evt)
    assert (evt.seq, evt.event, evt.data["ticks"][0][0]) == (7, "ticks", "X")


def _malformed(line: bytes) -> str:
    with pytest.raises(ProtocolError) as info:
        decode_line(line)
    assert info.value.code == ErrorCode.MALFORMED
    assert "\n" not in info.value.message
    return info.value.message


@pytest.mark.parametrize(
    ("line", "names"),
    [
        (b"not json\n", "not JSON"),
        (b"[1,2]\n", "not a JSON object"),
        (b'{"a":1}\n', "no type"),
        (b'{"type":"nope"}\n', "unknown type 'nope'"),
        (b'{"type":7}\n', "unknown type 7"),
        (b'{"type":"ping"}\n', "field 't_ms' missing"),
        (b'{"type":"ping","t_ms":1,"x":2}\n', "unknown field 'x'"),
        (b'{"type":"req","id":"a","op":"x","args":{}}\n', "id"),
        (b'{"type":"hello","versions":[1],"nonce":"short","server":"s"}\n', "nonce"),
        (b'{"type":"res","id":1,"ok":false}\n', "ok=false without an error"),
        (b'{"type":"res","id":1,"ok":true,"error":{"code":"A","message":"m"}}\n', "ok=true"),
        (b'{"type":"evt","event":"ticks","data":{}}\n', "seq must be an integer"),
        (b'{"type":"evt","seq":true,"event":"ticks","data":{}}\n', "seq must be an integer"),
        (b'{"type":"evt","seq":1,"event":2,"data":{}}\n', "event must be a string"),
        (b'{"type":"evt","seq":1,"event":"x","data":[]}\n', "data must be an object"),
        (b'{"type":"evt","seq":1,"event":"x","data":{},"y":1}\n', "unknown field 'y'"),
        (b"\xff\xfe\n", "not JSON"),
    ],
)
def test_a_broken_line_is_malformed_naming_what(line: bytes, names: str) -> None:
    assert names in _malformed(line)


def test_an_oversized_line_is_too_large() -> None:
    line = encode_evt(1, "ticks", {"pad": "x" * MAX_LINE})
    with pytest.raises(ProtocolError) as info:
        decode_line(line)
    assert info.value.code == ErrorCode.TOO_LARGE
    assert str(MAX_LINE) in info.value.message


def test_a_line_of_exactly_max_line_bytes_is_accepted() -> None:
    head = encode_evt(1, "x", {"p": ""}).rstrip(b"\n")
    line = encode_evt(1, "x", {"p": "y" * (MAX_LINE - len(head))})
    assert len(line) == MAX_LINE + 1
    assert isinstance(decode_line(line), Evt)


def test_the_tick_path_reads_an_evt_without_a_model() -> None:
    line = encode_evt(9, "ticks", {"ticks": [["X", 1, "1", "2", "0", 3]]})
    obj = decode_object(line)
    assert obj["type"] == "evt"
    assert evt_fields(obj) == (9, "ticks", {"ticks": [["X", 1, "1", "2", "0", 3]]})
    assert message_from(decode_object(encode(Ping(t_ms=4)))) == Ping(t_ms=4)
