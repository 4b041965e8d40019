"""The session layer over real TLS sockets: logon, verification, credentials, sequence numbers."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

import pytest
from execution_engine.adapters.fix.codes import ExecType, OrdType, Side
from execution_engine.adapters.fix.devca import generate_dev_ca
from execution_engine.adapters.fix.messages import OrderRequest, new_order_single
from execution_engine.adapters.fix.reports import ExecutionReport
from execution_engine.adapters.fix.session import FixInitiator, FixLogonError
from execution_engine.adapters.fix.sim.server import FixSimulator
from execution_engine.adapters.fix.sinks import AsyncioSink, QueueSink
from execution_engine.adapters.fix.tls import TlsVerificationError

from tests.integration.fix.conftest import (
    SECRETS,
    SYMBOL,
    Pair,
    quote,
    report_for,
    resolver,
    send_order,
    venue_config,
)


def test_logs_on_over_tls_with_verification(pair: Pair) -> None:
    assert pair.initiator.is_logged_on
    sender, target = pair.initiator.sequence_numbers()
    assert sender >= 2
    assert target >= 2
    store = pair.initiator.folder / "store"
    assert any(p.name.endswith(".seqnums") for p in store.iterdir())


def _initiator(
    sim: FixSimulator, node: Path, secrets: dict[str, str] = SECRETS, **overrides: object
) -> FixInitiator:
    check = bool(overrides.pop("check_certificate", True))
    config = venue_config(sim, **overrides)  # type: ignore[arg-type]  # test overrides of the config's fields
    return FixInitiator(config, node, resolver(secrets), QueueSink(), check_certificate=check)


def test_a_certificate_from_another_ca_is_refused_with_one_clear_line(
    simulator: FixSimulator, tmp_path: Path
) -> None:
    other = generate_dev_ca(tmp_path / "other-ca")
    initiator = _initiator(simulator, tmp_path / "node", ca_file=other.ca_file)
    with pytest.raises(TlsVerificationError) as caught:
        initiator.start()
    message = str(caught.value)
    assert "\n" not in message
    assert "does not verify" in message
    assert str(other.ca_file) in message
    assert not simulator.wait_logged_on(0.2)


def test_a_wrong_password_gets_logout_and_a_bounded_retry(
    simulator: FixSimulator, tmp_path: Path
) -> None:
    initiator = _initiator(simulator, tmp_path / "node", {**SECRETS, "fix_password": "wrong"})
    started = time.monotonic()
    with pytest.raises(FixLogonError) as caught:
        initiator.start()
    assert str(caught.value) == (
        f"FIX logon to 127.0.0.1:{simulator.config.port} failed after 2 attempt(s): "
        "the venue logged out: invalid username or password"
    )
    assert simulator.app is not None
    assert simulator.app.rejected_logons == 2
    assert time.monotonic() - started >= 0.2  # the backoff between the two attempts
    time.sleep(1.0)  # nothing retries behind our back
    assert simulator.app.rejected_logons == 2
    initiator.stop()


def _all_bytes(folder: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in folder.rglob("*") if p.is_file()]


def test_no_file_of_either_side_holds_the_password(pair: Pair, tmp_path: Path) -> None:
    pair.initiator.stop()
    password = SECRETS["fix_password"].encode()
    files = _all_bytes(tmp_path)
    assert any(p.name == "messages.log" for p, _ in files)
    assert [p for p, content in files if password in content] == []
    messages = (pair.initiator.folder / "log" / "messages.log").read_text()
    assert "553=***" in messages
    assert "554=***" in messages


def _log(pair: Pair) -> str:
    return (pair.initiator.folder / "log" / "messages.log").read_text()


def test_a_sequence_gap_is_recovered_by_resend_request(pair: Pair) -> None:

    pair.sim.push_quote(quote("1.10000", "1.10020"))
    pair.sim.skip_sequence(5)
    send_order(pair, OrderRequest("gap-1", SYMBOL, Side.BUY, Decimal(1_000), OrdType.MARKET))
    assert report_for(pair, "gap-1", ExecType.TRADE).cum_qty == Decimal(1_000)
    log = _log(pair)
    assert "OUT" in log
    assert "|35=2|" in log
    assert "|35=4|" in log
    assert "|123=Y|" in log
    assert pair.initiator.is_logged_on


def test_a_msg_seq_num_lower_than_expected_logs_out_and_retries_are_bounded(pair: Pair) -> None:

    # First move the venue's numbers 100 ahead (gap-filled), then 50 back: every Logon
    # reply of the reconnects stays below what we expect.
    pair.sim.skip_sequence(100)
    send_order(pair, OrderRequest("low-0", SYMBOL, Side.BUY, Decimal(1), OrdType.MARKET))
    pair.expect(lambda m: getattr(m, "cl_ord_id", None) == "low-0")
    pair.sim.lower_sequence(50)
    send_order(pair, OrderRequest("low-1", SYMBOL, Side.BUY, Decimal(1), OrdType.MARKET))
    deadline = time.monotonic() + 6
    while pair.initiator.failure is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "|35=5|" in _log(pair)
    assert "MsgSeqNum too low" in _log(pair)
    assert pair.initiator.failure is not None
    assert "failed after 2 attempt(s): we logged out: MsgSeqNum too low" in pair.initiator.failure
    assert not pair.initiator.is_logged_on


def test_a_connection_dropped_mid_order_reconnects_and_resends_the_reports(pair: Pair) -> None:

    pair.sim.push_quote(quote("1.10000", "1.10020"))
    pair.sim.faults.drop_on_next_order = True
    send_order(pair, OrderRequest("drop-1", SYMBOL, Side.BUY, Decimal(2_000), OrdType.MARKET))
    fill = report_for(pair, "drop-1", ExecType.TRADE)  # after our reconnect, by ResendRequest
    assert fill.header.poss_dup
    assert fill.cum_qty == Decimal(2_000)
    assert pair.initiator.is_logged_on
    assert pair.initiator.failure is None
    counts = pair.sim.ledger.counts()
    assert (counts["order"], counts["fill"]) == (1, 1)  # nothing sent twice, nothing lost
    assert (
        "session dropped: reconnecting"
        in (pair.initiator.folder / "log" / "events.log").read_text()
    )


def test_reports_reach_an_asyncio_loop_in_order(simulator: FixSimulator, tmp_path: Path) -> None:

    async def trade() -> list[ExecType]:
        sink = AsyncioSink(asyncio.get_running_loop())
        initiator = FixInitiator(
            venue_config(simulator), tmp_path / "node", resolver(SECRETS), sink
        )
        await asyncio.to_thread(initiator.start)  # logon blocks; the loop keeps running
        simulator.push_quote(quote("1.10000", "1.10020"))
        initiator.send(
            new_order_single(OrderRequest("aio-1", SYMBOL, Side.BUY, Decimal(1), OrdType.MARKET))
        )
        seen: list[ExecType] = []
        while len(seen) < 2:
            message = await asyncio.wait_for(sink.queue.get(), 3)
            if isinstance(message, ExecutionReport):
                seen.append(message.exec_type)
        await asyncio.to_thread(initiator.stop)
        return seen

    assert asyncio.run(trade()) == [ExecType.NEW, ExecType.TRADE]


def test_a_garbled_execution_report_gets_a_session_reject_and_the_session_stays_up(
    pair: Pair,
) -> None:
    import quickfix as fix
    import quickfix44 as fix44

    broken = fix44.ExecutionReport()  # no ExecID (17), which FIX44.xml requires
    for tag, value in ((37, "O-x"), (11, "c-x"), (150, "0"), (39, "0"), (55, SYMBOL), (54, "1"),
                       (151, "1"), (14, "0"), (6, "0")):  # fmt: skip
        broken.setField(tag, value)
    fix.Session.sendToTarget(broken, pair.sim.session_id)
    deadline = time.monotonic() + 3
    while "|35=3|" not in _log(pair) and time.monotonic() < deadline:
        time.sleep(0.05)
    rejects = [
        line for line in _log(pair).splitlines() if line.split()[1] == "OUT" and "|35=3|" in line
    ]
    assert len(rejects) == 1
    assert "|371=17|" in rejects[0]  # RefTagID: the missing ExecID
    assert not [m for m in pair.quiet(0.2) if isinstance(m, ExecutionReport)]  # never delivered
    assert pair.initiator.is_logged_on


def test_a_restarted_initiator_continues_the_sequence_numbers_from_its_store(pair: Pair) -> None:
    send_order(
        pair,
        OrderRequest("restart-1", SYMBOL, Side.BUY, Decimal(1), OrdType.LIMIT, price=Decimal(1)),
    )
    report_for(pair, "restart-1", ExecType.NEW)
    sender_before, target_before = pair.initiator.sequence_numbers()
    pair.initiator.stop()

    again = FixInitiator(venue_config(pair.sim), pair.node_state, resolver(SECRETS), QueueSink())
    again.start()
    try:
        sender, target = again.sequence_numbers()
        # Our Logout and the venue's reply were numbered after the "before" reading; then the
        # new Logon, and the venue's Logon reply: nothing starts again at 1.
        assert sender >= sender_before + 2
        assert target >= target_before + 2
        log = (again.folder / "log" / "messages.log").read_text().splitlines()
        logons = [line for line in log if line.split()[1] == "OUT" and "|35=A|" in line]
        assert f"|34={sender_before + 1}|" in logons[-1]  # after the Logout that took sender_before
    finally:
        again.stop()
