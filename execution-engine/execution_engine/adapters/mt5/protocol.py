"""The bridge protocol's messages and their wire form: one compact JSON object per line
(docs/mt5-bridge-protocol.md, "Encoding" and the table of kinds).

Both sides use it: the bridge server (bridge.py, poll.py) and the EA side in Python
(sim/link.py, sim/poll_link.py). Every message is a frozen pydantic model; `decode_line`
turns a received line into one (or a `ProtocolError` naming what was wrong), `encode` turns
one into a line. The tick path is hot (the issue asks for >= 50,000 ticks/s through the
bridge), so an `evt` is built without pydantic validation of its data: its three fields are
checked by hand and its tick rows are left for the consumer to read.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from execution_engine.adapters.mt5.codes import ErrorCode

VERSIONS: tuple[int, ...] = (1,)
MAX_LINE = 65_536  # bytes of one line, its "\n" excluded

_HEX32 = r"^[0-9a-f]{32}$"
_HEX64 = r"^[0-9a-f]{64}$"


class ProtocolError(Exception):
    """A line that breaks the protocol: `code` is MALFORMED or TOO_LARGE, `message` one line."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message


class _Msg(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Hello(_Msg):
    type: Literal["hello"] = "hello"
    versions: tuple[int, ...]
    nonce: Annotated[str, Field(pattern=_HEX32)]
    server: str


class Auth(_Msg):
    type: Literal["auth"] = "auth"
    version: int
    terminal: str
    platform: Literal["mt5", "mt4"]
    login: int
    broker: str
    nonce: Annotated[str, Field(pattern=_HEX32)]
    mac: Annotated[str, Field(pattern=_HEX64)]


class Welcome(_Msg):
    type: Literal["welcome"] = "welcome"
    version: int
    session: str
    heartbeat_s: float
    mac: Annotated[str, Field(pattern=_HEX64)]


class Denied(_Msg):
    type: Literal["denied"] = "denied"
    reason: ErrorCode
    message: str
    versions: tuple[int, ...]


class Ping(_Msg):
    type: Literal["ping"] = "ping"
    t_ms: int


class Pong(_Msg):
    type: Literal["pong"] = "pong"
    t_ms: int


class Req(_Msg):
    type: Literal["req"] = "req"
    id: int
    op: str
    args: dict[str, Any]


class ResError(_Msg):
    # A str, not an ErrorCode: an EA newer than this bridge may send a code it does not know,
    # and that answer must still reach the caller as a refusal.
    code: str
    message: str


class Res(_Msg):
    type: Literal["res"] = "res"
    id: int
    ok: bool
    data: dict[str, Any] | None = None
    error: ResError | None = None

    @model_validator(mode="after")
    def _data_or_error(self) -> Res:
        if self.ok and self.error is not None:
            raise ValueError("ok=true with an error")
        if not self.ok and self.error is None:
            raise ValueError("ok=false without an error")
        return self


class Evt(_Msg):
    type: Literal["evt"] = "evt"
    seq: int
    event: str
    data: dict[str, Any]


class ErrorMsg(_Msg):
    type: Literal["error"] = "error"
    code: str
    message: str


Message = Hello | Auth | Welcome | Denied | Ping | Pong | Req | Res | Evt | ErrorMsg

_KINDS: dict[str, type[_Msg]] = {
    "hello": Hello,
    "auth": Auth,
    "welcome": Welcome,
    "denied": Denied,
    "ping": Ping,
    "pong": Pong,
    "req": Req,
    "res": Res,
    "evt": Evt,
    "error": ErrorMsg,
}
_EVT_FIELDS = frozenset({"type", "seq", "event", "data"})
_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


def decode_line(line: bytes) -> Message:
    """The message on one received line (its trailing newline optional)."""
    return message_from(decode_object(line))


def decode_object(line: bytes) -> dict[str, Any]:
    """The JSON object on one line, not yet a message: a receiver on the tick path looks at
    its "type" and, for an evt, takes `evt_fields` without building a model."""
    if len(line.rstrip(b"\r\n")) > MAX_LINE:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"line of {len(line)} bytes, at most {MAX_LINE}")
    try:
        obj = _decoder.decode(line)
    except msgspec.DecodeError as exc:
        raise ProtocolError(ErrorCode.MALFORMED, f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ProtocolError(ErrorCode.MALFORMED, "not a JSON object")
    return obj


def message_from(obj: dict[str, Any]) -> Message:
    """The message a decoded object is, validated (an evt only by `evt_fields`)."""
    kind = obj.get("type")
    if kind == "evt":
        seq, event, data = evt_fields(obj)
        return Evt.model_construct(seq=seq, event=event, data=data)
    model = _KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        what = "no type" if kind is None else f"unknown type {kind!r}"
        raise ProtocolError(ErrorCode.MALFORMED, what)
    try:
        message: Message = model.model_validate(obj)  # type: ignore[assignment]  # _KINDS holds Message kinds only
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.MALFORMED, f"{kind}: {_first_error(exc)}") from None
    return message


def evt_fields(obj: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    """An evt's seq, event and data, checked by hand: pydantic on every tick batch (even
    model_construct, ~7 us) would cost the tick path more than the JSON decoding does."""
    seq, event, data = obj.get("seq"), obj.get("event"), obj.get("data")
    if type(seq) is not int:
        raise ProtocolError(ErrorCode.MALFORMED, "evt: seq must be an integer")
    if not isinstance(event, str):
        raise ProtocolError(ErrorCode.MALFORMED, "evt: event must be a string")
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.MALFORMED, "evt: data must be an object")
    if len(obj) != len(_EVT_FIELDS):  # the four are there: anything more is unknown
        extra = sorted(obj.keys() - _EVT_FIELDS)
        raise ProtocolError(ErrorCode.MALFORMED, f"evt: unknown field {extra[0]!r}")
    return seq, event, data


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"field {where!r} missing"
    if error["type"] == "extra_forbidden":
        return f"unknown field {where!r}"
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def encode(msg: Message) -> bytes:
    """One line: compact JSON ending in b"\\n" (Decimals become decimal strings)."""
    if isinstance(msg, Evt):
        return encode_evt(msg.seq, msg.event, msg.data)
    return _encoder.encode(msg.model_dump(exclude_none=True)) + b"\n"


def too_large(line: bytes) -> bool:
    """A line the peer would refuse (and close the connection for): never send it."""
    return len(line) > MAX_LINE + 1


def encode_evt(seq: int, event: str, data: dict[str, Any]) -> bytes:
    """An evt line without building a model: the EA side's tick path."""
    return _encoder.encode({"type": "evt", "seq": seq, "event": event, "data": data}) + b"\n"
