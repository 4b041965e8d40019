"""The control file's flatten request, the trading state it persists across restarts, and
the kill switch applying it (a real NautilusTrader risk-engine stand-in is not needed: the
switch only calls `set_trading_state`, recorded here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from execution_engine.risk import (
    KillSwitch,
    persisted_state,
    read_control,
    read_request,
    write_state,
)
from nautilus_trader.model.enums import TradingState


class RiskEngine:
    """What the kill switch uses of NautilusTrader's risk engine: the trading state."""

    def __init__(self) -> None:
        self.states: list[TradingState] = []

    def set_trading_state(self, state: TradingState) -> None:
        self.states.append(state)


class Flattener:
    def __init__(self) -> None:
        self.begun: list[str] = []
        self.polls = 0

    def begin(self, token: str) -> None:
        self.begun.append(token)

    def poll(self) -> None:
        self.polls += 1


def test_a_flatten_request_is_a_third_line_older_readers_ignore(tmp_path: Path) -> None:
    write_state(tmp_path, "HALTED", "t1", flatten=True)
    assert (tmp_path / "control").read_text() == "HALTED\nt1\nflatten\n"
    assert read_control(tmp_path / "control") == ("HALTED", "t1", True)
    assert read_request(tmp_path / "control") == ("HALTED", "t1")
    write_state(tmp_path, "ACTIVE", "t2")
    assert read_control(tmp_path / "control") == ("ACTIVE", "t2", False)


@pytest.mark.parametrize(
    ("written", "persisted"),
    [
        ("HALTED\nt\n", "HALTED"),
        ("REDUCING\n", "REDUCING"),
        ("HALTED\nt\nflatten\n", "REDUCING"),  # not done yet: the next node flattens
        ("ACTIVE\nt\n", "ACTIVE"),
        ("PAUSED\n", None),
    ],
)
def test_the_persisted_state_of_a_folder(tmp_path: Path, written: str, persisted: str) -> None:
    (tmp_path / "control").write_text(written)
    assert persisted_state(tmp_path) == persisted


def test_no_control_file_persists_nothing(tmp_path: Path) -> None:
    assert persisted_state(tmp_path) is None


def test_a_restarted_switch_applies_the_persisted_state_and_a_pending_flatten(
    tmp_path: Path,
) -> None:
    write_state(tmp_path, "HALTED", "t1", flatten=True)
    engine, changes = RiskEngine(), list[str]()
    switch = KillSwitch(tmp_path, engine, changes.append)
    switch.flattener = flattener = Flattener()

    assert switch.resume_persisted(flatten=False) == "REDUCING"  # before the node starts
    assert flattener.begun == []
    assert switch.resume_persisted() == "REDUCING"  # after: positions known, flatten now
    assert flattener.begun == ["t1"]
    assert engine.states == [TradingState.REDUCING, TradingState.REDUCING]
    assert changes == ["REDUCING"]  # the same request twice is one change
    switch()  # the file did not change since the switch was made: nothing re-read
    assert flattener.polls == 1
    assert flattener.begun == ["t1"]


def test_a_flatten_request_goes_to_the_flattener_and_is_acknowledged_once_flat(
    tmp_path: Path,
) -> None:
    engine, changes = RiskEngine(), list[str]()
    switch = KillSwitch(tmp_path, engine, changes.append)
    switch.flattener = flattener = Flattener()
    write_state(tmp_path, "HALTED", "t9", flatten=True)
    switch()

    assert flattener.begun == ["t9"]
    assert (switch.state, switch.token) == ("REDUCING", "")  # not yet acknowledged
    switch.settle("HALTED", "t9")  # what the flattener does once flat
    assert (switch.state, switch.token) == ("HALTED", "t9")
    assert read_control(tmp_path / "control") == ("HALTED", "t9", False)
    switch()  # its own write is not re-read as a new request
    assert changes == ["REDUCING", "HALTED"]


def test_without_a_flattener_a_flatten_request_halts_and_says_so(tmp_path: Path) -> None:
    engine, changes = RiskEngine(), list[str]()
    switch = KillSwitch(tmp_path, engine, changes.append)
    write_state(tmp_path, "HALTED", "t3", flatten=True)
    switch()

    assert (switch.state, switch.token) == ("HALTED", "t3")
    assert changes[0] == "HALTED"
    assert "flatten unsupported" in changes[1]
