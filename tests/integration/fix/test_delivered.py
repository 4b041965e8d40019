"""The delivered mark (adapters/fix/delivered.py): what reaches the file, and when."""

from __future__ import annotations

from pathlib import Path

from execution_engine.adapters.fix.delivered import SETTLE_SECONDS, DeliveredMark, seq_num_of
from execution_engine.adapters.fix.reports import UnreadableMessage, parse_message

_SOH = "\x01"


def _mark(tmp_path: Path, start: int) -> DeliveredMark:
    mark = DeliveredMark(tmp_path / "delivered")
    mark.start_from(start)
    return mark


def test_a_message_counts_as_applied_only_once_it_settled(tmp_path: Path) -> None:
    mark = _mark(tmp_path, 4)
    assert mark.read() == 4  # written at the start: a node killed at once still has one
    mark.record(5, poss_dup=False, now=100.0)
    mark.record(6, poss_dup=False, now=100.0 + SETTLE_SECONDS / 2)
    assert mark.read() == 4
    mark.settle(100.0 + SETTLE_SECONDS)
    assert mark.read() == 5
    mark.settle(101.0 + SETTLE_SECONDS)
    assert mark.read() == 6
    mark.close()


def test_a_possdup_resend_never_moves_the_mark_back_but_a_sequence_reset_does(
    tmp_path: Path,
) -> None:
    mark = _mark(tmp_path, 40)
    mark.record(12, poss_dup=True, now=0.0)  # an old message resent
    mark.settle(10.0)
    assert mark.read() == 40
    mark.record(1, poss_dup=False, now=20.0)  # a fresh 1: the venue reset the sequence
    mark.settle(30.0)
    assert mark.read() == 1
    mark.close()


def test_a_bad_or_missing_file_reads_as_no_mark(tmp_path: Path) -> None:
    assert DeliveredMark(tmp_path / "delivered").read() is None
    (tmp_path / "delivered").write_text("garbage\n", encoding="ascii")
    assert DeliveredMark(tmp_path / "delivered").read() is None


def test_the_sequence_number_of_every_inbound_kind(tmp_path: Path) -> None:
    raw = _SOH.join(
        ["8=FIX.4.4", "9=60", "35=j", "34=17", "43=Y", "49=SIMBROKER", "56=GAUNTLET",
         "52=20260101-00:00:00.000", "45=3", "372=D", "380=3", "58=no", "10=000", ""]
    )  # fmt: skip
    assert seq_num_of(parse_message(raw)) == (17, True)
    assert seq_num_of(UnreadableMessage(_SOH + "34=9" + _SOH + "35=8" + _SOH, "bad")) == (9, False)
    assert seq_num_of(UnreadableMessage("35=8", "no sequence number")) is None
