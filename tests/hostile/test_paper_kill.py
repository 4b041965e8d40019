"""Hostile input for `gauntlet paper` and `gauntlet kill`, with real paper nodes (and for the
other event-engine commands: `check parity`, `backtest --engine event`).

The kill switch must prove that it reached the live node it names: a folder that is not a paper
run, a finished or crashed run, a pid that now belongs to another process or a node that never
acknowledges are exit 2 with one line saying what was found, and nothing is written to a folder
that is not a paper run. A running node acknowledges the request and sends no order afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.harness import GAUNTLET, assert_bad_input, assert_failed_check, run
from tests.integration.event.conftest import fx_bars

pytestmark = pytest.mark.slow

STRATEGY = ("--strategy", "sma_cross", "-p", "fast=3", "-p", "slow=8")
# Hourly bars at 36 000x real time: ten bars a second, so a node runs long enough to be killed.
SLOW = ("--speed", "36000", "--duration", "120")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("GAUNTLET_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("GAUNTLET_RUNS_DIR", str(tmp_path / "runs"))


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "eurusd_h1.csv"
    fx_bars("EUR/USD", n=1200).round(5).to_csv(path)  # on EUR/USD's tick, as a real file
    return path


def _events(run_dir: Path) -> list[dict[str, object]]:
    path = run_dir / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _status(run_dir: Path) -> dict[str, object]:
    try:
        return dict(json.loads((run_dir / "status.json").read_text()))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _start_node(
    csv: Path, run_dir: Path, pace: tuple[str, ...] = SLOW, fills: bool = True
) -> subprocess.Popen[str]:
    """A `gauntlet paper` process, returned once its node runs (and has filled an order)."""
    proc = subprocess.Popen(
        [GAUNTLET, "paper", *STRATEGY, "--data", str(csv), *pace, "--out", str(run_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"paper exited {proc.returncode}: {proc.communicate()}")
        running = _status(run_dir).get("state") == "running"
        if running and (not fills or any(e["kind"] == "fill" for e in _events(run_dir))):
            return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"paper node not running after 90 s: {proc.communicate()}")


@pytest.fixture
def node(csv: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    run_dir = tmp_path / "runs" / "paper" / "live-run"
    proc = _start_node(csv, run_dir)
    yield proc, run_dir
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=30)


# -- 1. the kill switch -------------------------------------------------------------------


def test_kill_on_a_folder_that_is_not_a_paper_run_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "holiday-photos"
    folder.mkdir()
    (folder / "beach.jpg").write_bytes(b"\xff\xd8")

    assert_bad_input(run("kill", "--run", folder), r"not a paper run.*holiday-photos")

    assert sorted(p.name for p in folder.iterdir()) == ["beach.jpg"]


def test_kill_on_a_file_or_a_corrupt_status_is_bad_input(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("hello")
    assert_bad_input(run("kill", "--run", file), r"not a paper run")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "status.json").write_text("{not json")
    assert_bad_input(run("kill", "--run", corrupt), r"status\.json")
    assert not (corrupt / "control").exists()


def test_kill_on_a_finished_run_says_it_finished(csv: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "paper" / "done"
    finished = run("paper", *STRATEGY, "--data", csv, "--out", run_dir, "--quiet")
    assert finished.code == 0, finished.stderr

    assert_bad_input(run("kill", "--run", run_dir), r"finished")
    assert not (run_dir / "control").exists()
    # Without --run there is no running node either; the message says where it looked.
    assert_bad_input(run("kill"), r"no running paper node.*runs")


def test_kill_on_a_crashed_node_says_it_is_not_running(
    node: tuple[subprocess.Popen[str], Path],
) -> None:
    proc, run_dir = node
    proc.send_signal(signal.SIGKILL)  # a crash: status.json still says running
    proc.wait(timeout=30)

    assert_bad_input(run("kill", "--run", run_dir), rf"pid {proc.pid} .*not running")
    assert not (run_dir / "control").exists()


def test_kill_on_a_reused_pid_is_refused(node: tuple[subprocess.Popen[str], Path]) -> None:
    """status.json names a live pid that is another process: the start time tells them apart."""
    proc, run_dir = node
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    status = _status(run_dir)
    status["pid"] = os.getpid()  # alive, but not the node
    status["node"] = {**dict(status["node"]), "pid": os.getpid()}  # type: ignore[arg-type]
    (run_dir / "status.json").write_text(json.dumps(status))

    assert_bad_input(run("kill", "--run", run_dir), rf"pid {os.getpid()} .*not that node")
    assert not (run_dir / "control").exists()


def test_kill_without_acknowledgement_in_time_is_bad_input(
    node: tuple[subprocess.Popen[str], Path],
) -> None:
    proc, run_dir = node
    proc.send_signal(signal.SIGSTOP)  # alive and itself, but it cannot answer
    try:
        line = assert_bad_input(
            run("kill", "--run", run_dir, "--timeout", "1"), r"no acknowledgement"
        )
    finally:
        proc.send_signal(signal.SIGCONT)
    assert "1" in line


def test_kill_halts_a_running_node_and_no_order_follows(
    node: tuple[subprocess.Popen[str], Path],
) -> None:
    proc, run_dir = node

    killed = run("kill")  # no --run: the newest running node

    assert killed.code == 0, killed.stderr
    assert "HALTED" in killed.stdout
    assert "acknowledged" in killed.stdout
    status = _status(run_dir)
    assert status["trading_state"] == "HALTED"
    halted_at = len(_events(run_dir))
    time.sleep(2)  # twenty more bars at ten a second
    assert proc.poll() is None  # halted, not stopped: it still marks and reports
    after = _events(run_dir)[halted_at:]
    assert [e for e in after if e["kind"] == "mark"]
    assert not [e for e in after if e["kind"] == "fill"]
    orders = {e["client_order_id"] for e in after if e["kind"] == "order"}
    assert orders == {e["client_order_id"] for e in after if e["kind"] == "denied"}


def test_kill_flatten_closes_the_position_then_halts(
    node: tuple[subprocess.Popen[str], Path],
) -> None:
    proc, run_dir = node

    killed = run("kill", "--run", run_dir, "--flatten")

    assert killed.code == 0, killed.stderr
    assert "closed" in killed.stdout
    status = _status(run_dir)
    assert status["trading_state"] == "HALTED"
    flatten = status["flatten"]
    assert isinstance(flatten, dict)
    assert flatten["done"]
    assert not flatten["left_open"]
    time.sleep(1)  # ten more bars: still flat, still halted
    assert proc.poll() is None
    marks = [e for e in _events(run_dir) if e["kind"] == "mark"]
    assert marks[-1]["positions"] == [0.0]


def test_kill_reaches_a_real_time_node_between_bars(csv: Path, tmp_path: Path) -> None:
    """At real-time speed the next hourly bar is an hour away: the heartbeat applies the kill."""
    run_dir = tmp_path / "runs" / "paper" / "real-time"
    proc = _start_node(csv, run_dir, pace=("--speed", "1", "--duration", "120"), fills=False)
    try:
        killed = run("kill", "--run", run_dir)

        assert killed.code == 0, killed.stderr
        assert _status(run_dir)["trading_state"] == "HALTED"
        assert sum(e["kind"] == "mark" for e in _events(run_dir)) <= 1  # no bar since
    finally:
        proc.kill()
        proc.communicate(timeout=30)


# -- 2. paper's settings, before the node starts --------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "pattern"),
    [
        ("--cash", "-1", r"cash"),
        ("--cash", "0", r"cash"),
        ("--cash", "nan", r"cash"),
        ("--commission", "-0.5", r"commission"),
        ("--max-order-rate", "garbage", r"--max-order-rate.*garbage"),
        ("--max-order-rate", "0/00:00:01", r"--max-order-rate"),
        ("--max-order-rate", "10/soon", r"--max-order-rate"),
        ("--max-notional", "-1", r"--max-notional"),
        ("--max-notional", "nan", r"--max-notional"),
        ("--speed", "0", r"--speed"),
        ("--speed", "-5", r"--speed"),
        ("--speed", "inf", r"--speed"),
        ("--duration", "nan", r"--duration"),
        ("--duration", "-1", r"--duration"),
    ],
)
def test_paper_settings_are_checked_before_the_node_starts(
    csv: Path, tmp_path: Path, option: str, value: str, pattern: str
) -> None:
    run_dir = tmp_path / "run"

    assert_bad_input(
        run("paper", *STRATEGY, "--data", csv, "--out", run_dir, option, value), pattern
    )

    assert not run_dir.exists()  # the node never started


def test_paper_out_pointing_at_a_file_is_bad_input(csv: Path, tmp_path: Path) -> None:
    file = tmp_path / "results.txt"
    file.write_text("mine\n")

    assert_bad_input(run("paper", *STRATEGY, "--data", csv, "--out", file), r"--out.*results")

    assert file.read_text() == "mine\n"


def test_paper_out_pointing_at_another_run_is_bad_input(csv: Path, tmp_path: Path) -> None:
    """Two sessions appended to one events.jsonl would be one wrong paper record."""
    run_dir = tmp_path / "run"
    assert run("paper", *STRATEGY, "--data", csv, "--out", run_dir, "--quiet").code == 0
    before = (run_dir / "events.jsonl").read_bytes()

    assert_bad_input(
        run("paper", *STRATEGY, "--data", csv, "--out", run_dir), r"already holds a paper run"
    )

    assert (run_dir / "events.jsonl").read_bytes() == before


# -- 3. the paper run's lifecycle -----------------------------------------------------------


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stop_signal_shuts_the_node_down_cleanly(
    node: tuple[subprocess.Popen[str], Path], sig: signal.Signals, code: int
) -> None:
    proc, run_dir = node

    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == code, err
    assert [line for line in err.splitlines() if line.strip()] == ["gauntlet: interrupted"]
    assert "stopped:" in out
    status, summary = _status(run_dir), json.loads((run_dir / "summary.json").read_text())
    assert status["state"] == "stopped"
    events = _events(run_dir)
    assert summary["fills"] == sum(e["kind"] == "fill" for e in events) > 0  # nothing lost
    assert summary["orders"] == sum(e["kind"] == "order" for e in events)
    assert_bad_input(run("kill", "--run", run_dir), r"is stopped")


def test_paper_out_under_a_file_is_bad_input(csv: Path, tmp_path: Path) -> None:
    file = tmp_path / "results.txt"
    file.write_text("mine\n")

    assert_bad_input(
        run("paper", *STRATEGY, "--data", csv, "--out", file / "run"), r"--out.*results\.txt"
    )


@pytest.mark.parametrize("command", ["paper", "parity"])
def test_an_empty_instrument_is_bad_input(csv: Path, tmp_path: Path, command: str) -> None:
    args = ("paper", "--out", tmp_path / "run") if command == "paper" else ("check", "parity")

    assert_bad_input(run(*args, *STRATEGY, "--data", csv, "--instrument", ""), r"--instrument")


def test_kill_timeout_must_be_a_positive_number(tmp_path: Path) -> None:
    for timeout in ("0", "-1", "nan", "inf"):
        assert_bad_input(run("kill", "--run", tmp_path, "--timeout", timeout), r"--timeout")


# -- the other event-engine commands -------------------------------------------------------

NEVER_TRADES = """
import pandas as pd
from strategies import Strategy, StrategyParams, register


class _P(StrategyParams):
    pass


@register
class Never(Strategy[_P]):
    name = "h10_never"
    Params = _P

    @property
    def warmup(self) -> int:
        return 1

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        return pd.Series(0.0, index=bars.index)
"""


def test_parity_on_a_strategy_that_never_trades_is_inconclusive(csv: Path, tmp_path: Path) -> None:
    """Zero trades against zero trades compares nothing: it must not read as parity."""
    plugin = tmp_path / "never.py"
    plugin.write_text(NEVER_TRADES)
    args = ("check", "parity", "--plugin", plugin, "--strategy", "h10_never", "--data", csv)

    assert_failed_check(run(*args), r"inconclusive.*neither engine traded")
    as_json = run(*args, "--json")
    assert_failed_check(as_json, r"inconclusive")
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert report["trades_vectorized"] == report["trades_event"] == 0


@pytest.mark.parametrize("instrument", ["garbage", "FOO/BAR", "EUR/USD/JPY"])
def test_event_backtest_and_parity_refuse_an_unknown_instrument(csv: Path, instrument: str) -> None:
    for command in (("backtest", "--engine", "event"), ("check", "parity")):
        assert_bad_input(
            run(*command, *STRATEGY, "--data", csv, "--instrument", instrument),
            rf"'{instrument}' is unknown to venue SIM",
        )


# Settings the simulated venue cannot book (NautilusTrader's Money and Quantity are bounded
# fixed-point numbers; money is kept to the cent): bad input, not a crash inside the engine.
VENUE_LIMITS = [
    (("--cash", "1e300"), r"cash"),
    (("--cash", "inf"), r"cash"),
    (("--cash", "1e-6"), r"cash"),
    (("--size-mode", "units", "--units", "1e20"), r"units"),
    (("--spread", "1e6"), r"spread"),
    (("--commission-per-unit", "1e9"), r"--commission-per-unit"),
]


@pytest.mark.parametrize(("options", "pattern"), VENUE_LIMITS)
def test_event_backtest_refuses_what_the_venue_cannot_book(
    csv: Path, options: tuple[str, ...], pattern: str
) -> None:
    assert_bad_input(
        run("backtest", "--engine", "event", *STRATEGY, "--data", csv, *options), pattern
    )


@pytest.mark.parametrize("cash", ["1e300", "inf", "1e-6"])
def test_paper_refuses_cash_the_venue_cannot_book(csv: Path, tmp_path: Path, cash: str) -> None:
    run_dir = tmp_path / "run"

    assert_bad_input(
        run("paper", *STRATEGY, "--data", csv, "--out", run_dir, "--cash", cash), r"cash"
    )

    assert not run_dir.exists()


def test_a_path_the_filesystem_refuses_is_bad_input(csv: Path, tmp_path: Path) -> None:
    too_long = tmp_path / ("a" * 5000)  # ENAMETOOLONG: exists() raises instead of saying no

    assert_bad_input(run("kill", "--run", too_long), r"File name too long")
    assert_bad_input(
        run("paper", *STRATEGY, "--data", csv, "--out", too_long), r"--out.*File name too long"
    )
