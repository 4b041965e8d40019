"""Static checks of the Expert Advisors' MQL sources against the protocol they speak.

MetaEditor (the only MQL compiler) is Windows-only, so GauntletBridge.mq5/.mq4 cannot be
compiled or run here. These checks read the MQL text against docs/mt5-bridge-protocol.md,
codes.py, keys.py and protocol.py, and fail when the EAs drift from them: the operations
they dispatch, the strings the token signs, the line cap, the duplicate guard, the MQL4
error map, the fields of every message and row, and the absence of any DLL import.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest
from execution_engine.adapters.mt5 import keys
from execution_engine.adapters.mt5.codes import (
    MT4_ERRORS,
    Action,
    DealEntry,
    DealReason,
    DealType,
    ErrorCode,
    Event,
    ExecutionMode,
    Filling,
    MarginMode,
    Op,
    OrderState,
    OrderTime,
    OrderType,
    PositionType,
    TradeMode,
    Transaction,
)

ROOT = Path(__file__).resolve().parents[3]
MQL = ROOT / "execution-engine" / "execution_engine" / "adapters" / "mt5" / "mql"
DOC = (ROOT / "docs" / "mt5-bridge-protocol.md").read_text(encoding="utf-8")
TREES = {"mt5": MQL / "MQL5", "mt4": MQL / "MQL4"}
EXPERTS = {"mt5": "Experts/GauntletBridge.mq5", "mt4": "Experts/GauntletBridge.mq4"}
SHARED = ("Json.mqh", "Hmac.mqh", "Protocol.mqh", "Session.mqh", "Common.mqh")
PLATFORMS = sorted(TREES)


# -- reading MQL ------------------------------------------------------------------------


def _without_comments(text: str) -> str:
    """The source with // and /* */ comments blanked; string and character literals kept."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in "\"'":  # a string or a character literal ('"', '{')
            end = i + 1
            while end < n and text[end] != text[i]:
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _read(path: Path) -> str:
    return _without_comments(path.read_text(encoding="utf-8"))


def _ea(platform: str) -> str:
    return _read(TREES[platform] / EXPERTS[platform])


def _include(platform: str, name: str) -> str:
    return _read(TREES[platform] / "Include" / "Gauntlet" / name)


def _all_sources(platform: str) -> str:
    tree = TREES[platform]
    paths = [tree / EXPERTS[platform], *sorted((tree / "Include" / "Gauntlet").glob("*.mqh"))]
    return "\n".join(_read(p) for p in paths)


def _body(source: str, name: str) -> str:
    """The body of the function or method `name` (its definition, not a call or prototype)."""
    head = re.search(
        rf"^[ \t]*(?:[\w<>]+[ \t*&]+)+{re.escape(name)}\s*\([^;{{}}]*\)\s*(?:const\s*)?\{{",
        source,
        re.MULTILINE,
    )
    assert head is not None, f"no definition of {name}"
    depth, i = 1, head.end()
    while depth:
        if source[i] == '"':
            i = source.index('"', i + 1) + 1 if source[i + 1] != '"' else i + 2
            continue
        depth += {"{": 1, "}": -1}.get(source[i], 0)
        i += 1
    return source[head.end() : i - 1]


def _written(body: str, builder: str | None = None) -> set[str]:
    """Member names a function writes through its GtObj builders (o.Str("name", …)), or
    through the one named `builder`."""
    builders = {builder} if builder else set(re.findall(r"\bGtObj\s+(\w+)\s*;", body))
    names: set[str] = set()
    for builder in builders:
        names |= set(re.findall(rf"\b{builder}\.(?:Str|Int|Bool|Money|Raw)\(\"(\w+)\"", body))
    return names


def _squash(expr: str) -> str:
    return re.sub(r"\s+", " ", expr).strip()


def _define(source: str, name: str) -> str:
    found = re.search(rf"#define\s+{name}\s+(.+)", source)
    assert found is not None, f"no #define {name}"
    return found.group(1).strip()


# -- reading the protocol document ------------------------------------------------------


def _doc_row(first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is `first_cell` (e.g. "`positions`")."""
    for line in DOC.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell} in the protocol document")


def _fields(cell: str, *, container: str | None = None) -> set[str]:
    """The lowercase `field` names a table cell lists (enum values are uppercase)."""
    names = {n for n in re.findall(r"`([^`]+)`", cell) if re.fullmatch(r"[a-z_]+", n)}
    return names - {container} if container else names


def _doc_op_fields(op: str, container: str | None) -> set[str]:
    return _fields(_doc_row(f"`{op}`")[2], container=container)


def _doc_event_fields(event: str) -> set[str]:
    return _fields(_doc_row(f"`{event}`")[1])


# -- the operations -----------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_op_is_dispatched_once_and_nothing_else(platform: str) -> None:
    dispatched = re.findall(r'if\(op == "(\w+)"\)', _body(_ea(platform), "Dispatch"))
    assert sorted(dispatched) == sorted(op.value for op in Op)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_unknown_op_is_refused_with_unknown_op(platform: str) -> None:
    body = _body(_ea(platform), "Dispatch").strip()
    last = body.rsplit(";", 2)[-2].strip()  # the statement after every `if(op == …)`
    assert last.startswith('return GtFail(code, message, "UNKNOWN_OP"'), last
    assert ErrorCode.UNKNOWN_OP.value == "UNKNOWN_OP"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_refusals_use_the_protocols_error_codes(platform: str) -> None:
    source = _all_sources(platform)
    used = set(re.findall(r'GtFail\(code, message, "(\w+)"', source))
    used |= set(re.findall(r'GtMsgError\("(\w+)"', source))
    used |= set(re.findall(r'GtMsgResError\(id, "(\w+)"', source))
    assert used, "no refusal found"
    assert used <= {code.value for code in ErrorCode}


# -- authentication --------------------------------------------------------------------


def _doc_mac_input(word: str) -> str:
    found = re.search(rf'HMAC-SHA256\(token,\s*("{word}\|".*?)\)\)', DOC, re.DOTALL)
    assert found is not None, f"the document gives no {word} mac"
    return _squash(found.group(1))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_mac_inputs_are_the_documents_strings(platform: str) -> None:
    protocol = _include(platform, "Protocol.mqh")
    for function, word in (("GtAuthMacInput", "auth"), ("GtWelcomeMacInput", "welcome")):
        returned = re.fullmatch(r"\s*return (.*);\s*", _body(protocol, function), re.DOTALL)
        assert returned is not None, function
        assert _squash(returned.group(1)) == _doc_mac_input(word)
    assert re.search(
        r"GtAuthMacInput\(const string bridge_nonce, const string terminal, const string ea_nonce\)",
        protocol,
    )
    assert re.search(
        r"GtWelcomeMacInput\(const string ea_nonce, const string bridge_nonce\)", protocol
    )
    session = _include(platform, "Session.mqh")
    assert (
        "GtHmacSha256Hex(m_token, GtAuthMacInput(m_bridge_nonce, m_terminal, m_ea_nonce))"
        in session
    )
    assert "GtHmacSha256Hex(m_token, GtWelcomeMacInput(m_ea_nonce, m_bridge_nonce))" in session


@pytest.mark.parametrize("platform", PLATFORMS)
def test_hmac_is_rfc2104_over_cryptencodes_sha256(platform: str) -> None:
    hmac = _include(platform, "Hmac.mqh")
    assert _define(hmac, "GT_HMAC_BLOCK") == "64"  # SHA-256's block
    body = _body(hmac, "GtHmacSha256Hex")
    assert "block[i] ^ 0x36" in body
    assert "block[i] ^ 0x5c" in body
    assert "ArraySize(k) > GT_HMAC_BLOCK" in body  # a token longer than a block is hashed first
    assert "CryptEncode(CRYPT_HASH_SHA256" in _body(hmac, "GtSha256")
    assert '"%02x"' in _body(hmac, "GtHex")  # protocol.py wants lowercase hex
    utf8 = _body(hmac, "GtUtf8")
    assert "CP_UTF8" in utf8
    assert "out[n - 1] == 0" in utf8


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_welcome_is_checked_and_denials_are_read(platform: str) -> None:
    session = _include(platform, "Session.mqh")
    welcome = _body(session, "OnWelcome")
    assert welcome.index("GtMacEquals") < welcome.index("state = GT_READY")
    denied = _body(session, "OnDenied")
    reasons = set(re.findall(r'reason == "(\w+)"', denied))
    assert reasons == set(re.findall(r"`([A-Z_]+)`", _doc_row("`denied`")[2]))
    mismatch = denied.split('reason == "VERSION_MISMATCH"')[1].split("else if")[0]
    assert "give_up = true" in mismatch  # the EA stops reconnecting until it is updated


def test_the_protocol_version_is_the_bridges() -> None:
    from execution_engine.adapters.mt5 import protocol  # lazily: written alongside the EAs

    for platform in PLATFORMS:
        version = int(_define(_include(platform, "Protocol.mqh"), "GT_PROTOCOL_VERSION"))
        assert (version,) == tuple(protocol.VERSIONS)
        assert re.search(rf"^\| {version} \|", DOC, re.MULTILINE)
        assert 'o.Int("version", GT_PROTOCOL_VERSION)' in _include(platform, "Protocol.mqh")


# -- lines --------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_line_is_capped_at_65536_bytes_both_ways(platform: str) -> None:
    from execution_engine.adapters.mt5 import protocol

    source = _include(platform, "Protocol.mqh")
    assert int(_define(source, "GT_MAX_LINE").split()[0]) == protocol.MAX_LINE == 65_536
    assert "65,536 bytes" in DOC
    incoming = _body(source, "Next")
    assert incoming.count("> GT_MAX_LINE") == 2
    assert "oversized = true" in incoming
    assert "GtLineBytes(line) > GT_MAX_LINE" in _body(_include(platform, "Session.mqh"), "Send")
    ea = _ea(platform)
    assert "g_inbox.oversized" in ea
    if platform == "mt5":  # a stream: answer TOO_LARGE, then close
        assert 'GtMsgError("TOO_LARGE"' in _body(ea, "Pump")


# -- idempotent trade requests --------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_key_is_keys_py(platform: str) -> None:
    common = _include(platform, "Common.mqh")
    assert _define(common, "GT_KEY_PREFIX") == f'"{keys.KEY_PREFIX}"'
    assert int(_define(common, "GT_KEY_LENGTH")) == keys.KEY_LENGTH


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_duplicate_guard_runs_before_the_order_is_sent(platform: str) -> None:
    ops = _include(platform, "Ops.mqh")
    send = _body(ops, "GtOpOrderSend")
    guard = send.index("GtFindKey(key")
    if platform == "mt5":
        assert 'req.comment = r.Str("comment")' in _body(ops, "GtParseRequest")
        assert "GtKeyOf(req.comment)" in send
        assert guard < send.index("OrderSend(req, res)")
        assert "TRADE_ACTION_DEAL" in send[:guard]
        assert "TRADE_ACTION_PENDING" in send[:guard]
    else:
        assert "GtKeyOf(comment)" in send
        sent = send.index("OrderSend(symbol")
        assert guard < sent
        assert "comment, (int)magic" in send[sent:]
        assert '"TRADE_ACTION_DEAL"' in send[:guard]
        assert '"TRADE_ACTION_PENDING"' in send[:guard]
    found = ";".join(send[guard:].split(";", 2)[:2])
    assert "return true" in found  # found: answered, nothing sent
    assert _define(ops, "GT_DUPLICATE_LOOKBACK_S") == "(7 * 86400)"  # the document's 7 days


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_guard_looks_at_orders_positions_and_history_with_the_magic(platform: str) -> None:
    find = _body(_include(platform, "Ops.mqh"), "GtFindKey")
    if platform == "mt5":
        for table in ("OrdersTotal", "PositionsTotal", "HistoryOrdersTotal"):
            assert table in find
        assert find.count("!= magic") == 3
        assert find.count("GtHasPrefix(") == 3
        assert "HistorySelect(now - GT_DUPLICATE_LOOKBACK_S" in find
    else:  # MT4: open orders (pending and market) and the closed ones
        assert "MODE_TRADES" in find
        assert "MODE_HISTORY" in find
        assert "OrderMagicNumber() != magic" in find
        assert "GtHasPrefix(OrderComment(), key)" in find
        assert "OrderCloseTime() < since" in find
    assert "true" in _body(_include(platform, "Ops.mqh"), "GtFindKey").split("return")[-2]


def test_the_mt4_error_map_is_codes_py() -> None:
    body = _body(_include("mt4", "Ops.mqh"), "GtMt4Retcode")
    pairs = {int(e): int(r) for e, r in re.findall(r"case (\d+):\s*return (\d+);", body)}
    assert pairs == {error: int(retcode) for error, retcode in MT4_ERRORS.items()}
    assert re.search(r"\}\s*return 10011;\s*$", body)  # the rest: TRADE_RETCODE_ERROR
    assert '"mt4_error"' in _body(_include("mt4", "Rows.mqh"), "GtResultJson")


# -- the sources as a whole ---------------------------------------------------------------


def test_no_dll_anywhere() -> None:
    files = [p for p in MQL.rglob("*") if p.suffix in {".mq5", ".mq4", ".mqh"}]
    assert len(files) >= 2 + 2 * len(SHARED)
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "#import" not in text, path
        assert ".dll" not in text.lower(), path


def _strings_blanked(source: str) -> str:
    """Every string and character literal emptied, in one left-to-right pass."""
    return re.sub(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'""", "''", source)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_brackets_balance_in_every_file(platform: str) -> None:
    # No compiler here: at least every file must close what it opens, in order.
    tree = TREES[platform]
    for path in [tree / EXPERTS[platform], *(tree / "Include" / "Gauntlet").glob("*.mqh")]:
        stack: list[str] = []
        for char in _strings_blanked(_read(path)):
            if char in "([{":
                stack.append(char)
            elif char in ")]}":
                assert stack, f"{path.name}: {char} closes nothing"
                assert "([{"[")]}".index(char)] == stack.pop(), f"{path.name}: {char} mismatched"
        assert not stack, f"{path.name}: {stack[-1]} never closed"


def test_the_shared_includes_are_identical_on_both_platforms() -> None:
    for name in SHARED:
        mql5 = (TREES["mt5"] / "Include" / "Gauntlet" / name).read_bytes()
        mql4 = (TREES["mt4"] / "Include" / "Gauntlet" / name).read_bytes()
        assert mql5 == mql4, name


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_include_resolves_and_none_is_orphaned(platform: str) -> None:
    included = re.findall(r"#include <Gauntlet/(\w+\.mqh)>", _ea(platform))
    present = sorted(p.name for p in (TREES[platform] / "Include" / "Gauntlet").glob("*.mqh"))
    assert sorted(included) == present
    assert included.index("Session.mqh") < included.index("Common.mqh")  # Common takes GtSession


# -- messages and rows carry the document's fields ------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_ea_messages_carry_the_models_fields(platform: str) -> None:
    from execution_engine.adapters.mt5 import protocol

    source = _include(platform, "Protocol.mqh")
    expected = {
        "GtMsgAuth": set(protocol.Auth.model_fields),
        "GtMsgResOk": set(protocol.Res.model_fields) - {"error"},
        "GtMsgResError": set(protocol.Res.model_fields) - {"data"},
        "GtMsgEvt": set(protocol.Evt.model_fields),
        "GtMsgPing": set(protocol.Ping.model_fields),
        "GtMsgError": set(protocol.ErrorMsg.model_fields),
    }
    for function, fields in expected.items():
        assert _written(_body(source, function), "o") == fields, function
    res_error = _written(_body(source, "GtMsgResError"), "err")
    assert res_error == set(protocol.ResError.model_fields)


_OP_ROWS = {  # op -> (the container the document names, the function writing one row)
    "account_info": (None, "GtOpAccountInfo"),
    "symbols": ("symbols", "GtSymbolSpec"),
    "positions": ("positions", "GtPositionRow"),
    "history_deals": ("deals", "GtDealRow"),
    "order_send": (None, "GtResultJson"),
}


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("op", sorted(_OP_ROWS))
def test_each_row_carries_the_documents_fields(platform: str, op: str) -> None:
    container, function = _OP_ROWS[op]
    source = _include(platform, "Ops.mqh") + _include(platform, "Rows.mqh")
    extra = {"mt4_error"} if (platform, op) == ("mt4", "order_send") else set()
    assert _written(_body(source, function)) == _doc_op_fields(op, container) | extra


@pytest.mark.parametrize("platform", PLATFORMS)
def test_order_rows_carry_the_documents_fields(platform: str) -> None:
    active = _doc_op_fields("orders", "orders")
    history = active | _doc_op_fields("history_orders", "orders")
    written = _written(_body(_include(platform, "Rows.mqh"), "GtOrderRow"))
    assert written == history
    assert history - active == {"time_done_ms"}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_trade_request_reads_the_documents_fields(platform: str) -> None:
    paragraph = DOC.split("`MqlTradeRequest` fields:")[1].split("\n\n")[0]
    fields = _fields(paragraph)
    ops = _include(platform, "Ops.mqh")
    body = _body(ops, "GtParseRequest" if platform == "mt5" else "GtOpOrderSend")
    read = set(re.findall(r'\br\.(?:Str|Int|Dbl|Has)\("(\w+)"', body))
    if platform == "mt5":
        assert read == fields
    else:  # MT4 has no stop limits and no filling policy
        assert read == fields - {"stoplimit", "type_filling"}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_events_are_the_documents(platform: str) -> None:
    source = _all_sources(platform)
    sent = set(re.findall(r'\.Event\("(\w+)"', source))
    assert sent == {event.value for event in Event}
    rows = _include(platform, "Rows.mqh")
    assert _written(_body(rows, "GtAccountJson")) == _doc_event_fields("account")
    assert _written(_body(rows, "GtTerminalJson")) == _doc_event_fields("terminal")
    events = _include(platform, "Events.mqh")
    transaction = _body(events, "GtOnTransaction" if platform == "mt5" else "GtSendTransaction")
    rows_named = {op.value for op in Op}  # "(a `history_deals` row)": not fields
    assert _written(transaction, "data") == _doc_event_fields("transaction") - rows_named
    assert _written(transaction, "so") == _doc_event_fields("stop_out")
    assert _written(_body(events, "GtPollBars"), "data") == _doc_event_fields("bar")
    assert _written(_body(source, "GtSendTicks"), "data") == _doc_event_fields("ticks")


_ENUMS: tuple[type[StrEnum], ...] = (
    Action,
    DealEntry,
    DealReason,
    DealType,
    ExecutionMode,
    Filling,
    MarginMode,
    OrderState,
    OrderTime,
    OrderType,
    PositionType,
    TradeMode,
    Transaction,
)


def test_the_mt4_eas_enum_names_are_mql5s() -> None:
    # The MT5 EA writes enums with EnumToString; the MT4 EA spells MQL5's names itself.
    names = {member.value for enum in _ENUMS for member in enum}
    prefixes = sorted({name.rsplit("_", 1)[0].split("_")[0] for name in names})
    quoted = set(re.findall(r'"((?:' + "|".join(prefixes) + r')_[A-Z_]+)"', _all_sources("mt4")))
    assert quoted, "no enum name quoted"
    assert quoted - names <= {"ORDER_TYPE_"}, quoted - names


# -- the transports -----------------------------------------------------------------------


def test_the_backoff_and_the_timers_are_the_documents() -> None:
    assert "after 1, 2, 4, 8, 16, then every 30 seconds" in DOC
    for platform in PLATFORMS:
        assert "g_backoff_s[] = {1, 2, 4, 8, 16, 30}" in _ea(platform)
    mt5, mt4 = _ea("mt5"), _ea("mt4")
    assert _define(mt5, "GT_TIMER_MS") == "50"
    assert "EventSetMillisecondTimer(GT_TIMER_MS)" in mt5
    assert "every 100 ms" in DOC
    assert _define(mt4, "GT_POLL_MS") == "100"
    assert "EventSetMillisecondTimer(GT_POLL_MS)" in mt4


def test_the_mt5_ea_dials_out_over_tls() -> None:
    connect = _body(_ea("mt5"), "Connect")
    order = [
        connect.index(call) for call in ("SocketCreate()", "SocketConnect(", "SocketTlsHandshake(")
    ]
    assert order == sorted(order)
    assert "SocketTlsReadAvailable" in _body(_ea("mt5"), "Receive")


def test_the_mt4_ea_posts_to_the_bridges_paths() -> None:
    from execution_engine.adapters.mt5 import poll, protocol

    ea = _ea("mt4")
    for path in (poll.HELLO_PATH, poll.AUTH_PATH, poll.POLL_PATH):
        assert f'"{path}"' in ea
        assert f"`POST {path}`" in DOC
    assert f'"{poll.SESSION_HEADER}: "' in ea
    per_body = int(_define(ea, "GT_LINES_PER_BODY").split()[0])
    assert per_body * (protocol.MAX_LINE + 1) <= poll._MAX_BODY  # what the bridge accepts
    assert "status == 401" in _body(ea, "Poll")  # a dead session: authenticate again
