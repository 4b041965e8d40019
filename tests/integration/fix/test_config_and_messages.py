"""The FIX adapter's pure parts: venue config, message building and reading, ClOrdIDs,
redaction and quotes from bars. No sockets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from execution_engine.adapters.fix.clordid import cl_ord_id, parse_cl_ord_id, strategy_digest
from execution_engine.adapters.fix.codes import ExecType, OrdStatus, OrdType, Side, TimeInForce
from execution_engine.adapters.fix.config import VenueConfigError, load_venue_config
from execution_engine.adapters.fix.fixlog import redact
from execution_engine.adapters.fix.messages import OrderRequest, new_order_single
from execution_engine.adapters.fix.reports import ExecutionReport, parse_message
from execution_engine.adapters.fix.sim.quotes import quotes_from_bars
from execution_engine.adapters.fix.wire import FixMessageError

VALID = """
host = "127.0.0.1"
port = 9876
sender_comp_id = "GAUNTLET"
target_comp_id = "SIMBROKER"
username_secret = "fix_user"
password_secret = "fix_password"

[tls]
ca_file = "certs/ca.pem"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fix-sim.toml"
    path.write_text(text)
    return path


def test_config_loads_with_defaults_and_relative_tls_paths(tmp_path: Path) -> None:
    config = load_venue_config(_write(tmp_path, VALID))
    assert config.tls.ca_file == tmp_path / "certs" / "ca.pem"
    assert (config.begin_string, config.heartbeat_seconds, config.tls.verify) == (
        "FIX.4.4",
        30,
        True,
    )
    assert config.state_dir(Path("/state")) == Path("/state/fix/GAUNTLET-SIMBROKER")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('host = "127.0.0.1"\n', ""), "missing field host"),
        (lambda t: t.replace('ca_file = "certs/ca.pem"', ""), "missing field tls.ca_file"),
        (
            lambda t: t.replace("port = 9876", "port = 0"),
            "field port: Input should be greater than or equal to 1",
        ),
        (lambda t: t + 'password = "hunter2"\n', "unknown field tls.password"),
        (
            lambda t: 'begin_string = "FIX.4.2"\n' + t,
            "field begin_string: Input should be 'FIX.4.4'",
        ),
        (lambda t: t + 'cert_file = "c.pem"\n', "cert_file and key_file go together"),
        (lambda t: t.replace("[tls]", "[tls"), "not valid TOML"),
    ],
)
def test_a_bad_config_is_one_line_naming_the_field(
    tmp_path: Path, edit: object, message: str
) -> None:
    text = edit(VALID)  # type: ignore[operator]  # the parametrized editors are callables
    with pytest.raises(VenueConfigError) as caught:
        load_venue_config(_write(tmp_path, text))
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"venue config {tmp_path / 'fix-sim.toml'}: ")
    assert message in line


def test_a_missing_config_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(VenueConfigError, match="cannot read: No such file or directory"):
        load_venue_config(tmp_path / "absent.toml")


def test_cl_ord_ids_are_a_function_of_their_inputs() -> None:
    first = cl_ord_id("sma_cross_h1@abc123", 42, 1, 0)
    assert first == cl_ord_id("sma_cross_h1@abc123", 42, 1, 0)
    assert first == f"G{strategy_digest('sma_cross_h1@abc123')}-42-1-0"
    assert (
        len({first, cl_ord_id("sma_cross_h1@abc123", 42, 1, 1), cl_ord_id("other", 42, 1, 0)}) == 3
    )
    parts = parse_cl_ord_id(first)
    assert parts is not None
    assert (parts.sequence, parts.column, parts.attempt) == (42, 1, 0)
    assert parse_cl_ord_id("external-order-7") is None
    with pytest.raises(FixMessageError):
        cl_ord_id("s", -1)


def test_order_requests_refuse_terms_a_venue_would_reject() -> None:
    with pytest.raises(FixMessageError, match="a price goes with limit"):
        OrderRequest("a", "EURUSD", Side.BUY, Decimal(1), OrdType.LIMIT)
    with pytest.raises(FixMessageError, match="a stop price goes with stop"):
        OrderRequest("a", "EURUSD", Side.BUY, Decimal(1), OrdType.STOP)
    with pytest.raises(FixMessageError, match="an expire time goes with GTD only"):
        OrderRequest("a", "EURUSD", Side.BUY, Decimal(1), OrdType.MARKET, TimeInForce.GTD)
    with pytest.raises(FixMessageError, match="not positive"):
        OrderRequest("a", "EURUSD", Side.BUY, Decimal(0), OrdType.MARKET)


def test_new_order_single_carries_the_decimal_digits_exactly() -> None:
    expiry = dt.datetime(2026, 12, 1, 12, 30, 15, 250_000, tzinfo=dt.UTC)
    order = OrderRequest(
        "G1-1-0-0",
        "EURUSD",
        Side.SELL,
        Decimal("12345.67"),
        OrdType.STOP_LIMIT,
        TimeInForce.GTD,
        price=Decimal("1.100005"),
        stop_px=Decimal("1.10010"),
        expire_time=expiry,
    )
    raw = new_order_single(order).toString().split("\x01")
    assert {
        "35=D",
        "11=G1-1-0-0",
        "38=12345.67",
        "40=4",
        "44=1.100005",
        "99=1.10010",
        "54=2",
        "59=6",
    } <= set(raw)
    assert "126=20261201-12:30:15.250" in raw


def _execution_report(**fields: str) -> str:
    values = {
        35: "8",
        34: "7",
        52: "20261201-12:00:00.000",
        37: "O1",
        11: "c1",
        17: "E1",
        150: "F",
        39: "1",
        55: "EURUSD",
        54: "1",
        38: "3",
        14: "1",
        151: "2",
        6: "1.1",
        32: "1",
        31: "1.10003",
    }
    values.update({int(k[1:]): v for k, v in fields.items()})
    return "".join(f"{tag}={value}\x01" for tag, value in values.items())


def test_execution_report_parses_to_decimals() -> None:
    report = parse_message(_execution_report())
    assert isinstance(report, ExecutionReport)
    assert (report.exec_type, report.ord_status, report.side) == (
        ExecType.TRADE,
        OrdStatus.PARTIALLY_FILLED,
        Side.BUY,
    )
    assert report.last_px == Decimal("1.10003")
    assert (report.cum_qty, report.leaves_qty) == (Decimal(1), Decimal(2))
    assert report.header.seq_num == 7
    assert not report.header.poss_dup


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (_execution_report(t150="Z"), "tag 150 has unknown code 'Z'"),
        (_execution_report(t31="1.1.1"), "tag 31 is not a number"),
        (_execution_report(t31="NaN"), "tag 31 is not a number"),
        (_execution_report().replace("37=O1\x01", ""), "required tag 37 missing"),
        ("8=FIX.4.4\x01garbage\x01", "garbled field"),
    ],
)
def test_a_bad_report_is_one_clear_error(raw: str, message: str) -> None:
    with pytest.raises(FixMessageError, match=message):
        parse_message(raw)


def test_redact_masks_every_credential_tag_and_nothing_else() -> None:
    raw = "8=FIX.4.4\x0135=A\x01553=alice\x01554=s3cret\x0195=6\x0196=rawpwd\x01925=newpw\x011553=keep\x01"
    assert (
        redact(raw)
        == "8=FIX.4.4\x0135=A\x01553=***\x01554=***\x0195=***\x0196=***\x01925=***\x011553=keep\x01"
    )


def test_quotes_from_bars_walk_open_high_low_close_around_the_mid() -> None:
    bars = pd.DataFrame(
        {"open": [1.1], "high": [1.1004], "low": [1.0996], "close": [1.1001]},
        index=pd.DatetimeIndex([pd.Timestamp("2026-01-02 10:00", tz="UTC")]),
    )
    quotes = list(quotes_from_bars(bars, "EURUSD", Decimal("0.0002"), 5))
    assert [(q.bid, q.ask) for q in quotes] == [
        (Decimal("1.09990"), Decimal("1.10010")),
        (Decimal("1.10030"), Decimal("1.10050")),
        (Decimal("1.09950"), Decimal("1.09970")),
        (Decimal("1.10000"), Decimal("1.10020")),
    ]


def test_fix_symbols_map_to_instruments_on_venue_fix() -> None:
    from execution_engine.adapters.fix.providers import FixInstrumentProvider, fix_symbol
    from execution_engine.adapters.sandbox.providers import UnknownInstrumentError

    provider = FixInstrumentProvider(["EURUSD", "USDJPY"])
    eurusd = provider.by_fix_symbol("EURUSD")
    assert str(eurusd.id) == "EUR/USD.FIX"
    assert fix_symbol(eurusd.id) == "EURUSD"
    assert provider.by_fix_symbol("USDJPY").price_precision == 3
    with pytest.raises(
        UnknownInstrumentError, match="FIX symbol 'GBPUSD' is not a configured instrument of FIX"
    ):
        provider.by_fix_symbol("GBPUSD")
