"""Hostile input for `gauntlet backtest` (and what every command shares: signals, outputs).

Each case is a hostile argument or file and the exit-code contract it must keep
(tests/hostile/harness.py): bad input is exit 2 with one stderr line saying what is wrong,
never a traceback, never an "internal error", and never a wrong or empty result that passes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from research import backtest
from research.engine.config import BacktestConfig
from research.errors import ResearchInputError
from tests.fixtures.bars import make_bars
from tests.hostile.harness import GAUNTLET, assert_bad_input, run


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("GAUNTLET_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", "200")


def bars_csv(path: Path, n: int) -> Path:
    make_bars(n, seed=4).to_csv(path)
    return path


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    return bars_csv(tmp_path / "bars.csv", 300)


# --- wrong or empty results that used to pass silently ------------------------------------------


def test_a_warm_up_longer_than_the_data_is_refused(tmp_path: Path) -> None:
    """slow=200 on 10 bars was exit 0 with 0 trades and Sharpe null, no note."""
    ten = bars_csv(tmp_path / "ten.csv", 10)
    line = assert_bad_input(
        run("backtest", "-s", "sma_cross", "-d", ten, "-p", "slow=200", "--json"),
        r"warm-up of 199 bars.*10 bars",
    )
    assert "sma_cross" in line


def test_a_one_row_file_is_refused(tmp_path: Path) -> None:
    one = bars_csv(tmp_path / "one.csv", 1)
    assert_bad_input(run("backtest", "-s", "sma_cross", "-d", one), r"warm-up of 49 bars.*1 bar")


def test_the_library_refuses_a_warm_up_longer_than_the_data_too() -> None:
    with pytest.raises(ResearchInputError, match="warm-up of 49 bars"):
        backtest("sma_cross", make_bars(30))


def test_a_warm_up_that_fits_still_runs(tmp_path: Path) -> None:
    outcome = run("backtest", "-s", "sma_cross", "-d", bars_csv(tmp_path / "b.csv", 60), "--json")
    assert outcome.code == 0, outcome.stderr
    assert json.loads(outcome.stdout)["params"]["slow"] == 50


def test_a_repeated_param_is_refused(csv: Path) -> None:
    """`-p fast=5 -p fast=7` silently took the last one."""
    line = assert_bad_input(
        run("backtest", "-s", "sma_cross", "-d", csv, "-p", "fast=5", "-p", "fast=7"), r"fast"
    )
    assert "'5'" in line
    assert "'7'" in line


# --- bad settings that were internal errors -------------------------------------------------------


@pytest.mark.parametrize("cash", ["inf", "-inf", "nan", "0", "-5"])
def test_cash_that_is_not_a_positive_finite_number_is_refused(csv: Path, cash: str) -> None:
    """--cash inf was exit 1: 'internal error: Attempt to go in short direction infinitely'."""
    assert_bad_input(run("backtest", "-s", "sma_cross", "-d", csv, "--cash", cash), r"cash")


@pytest.mark.parametrize("option", ["--spread", "--units", "--commission-per-unit"])
def test_costs_and_sizes_that_are_not_finite_are_refused(csv: Path, option: str) -> None:
    assert_bad_input(run("backtest", "-s", "sma_cross", "-d", csv, option, "inf"), r"finite")


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 0.0, -1.0])
def test_the_one_validation_of_run_settings_refuses_bad_cash(value: float) -> None:
    """BacktestConfig is the run settings model every command validates --cash with."""
    with pytest.raises(ValueError, match="cash"):
        BacktestConfig(cash=value)


# --- outputs: one rule for every command (parent folders are created before any computing) ----


def test_save_into_a_missing_folder_creates_it(csv: Path, tmp_path: Path) -> None:
    """--report created its folder, --save failed: now every output creates its folder."""
    saved = tmp_path / "new" / "deeper" / "run.json"
    outcome = run("backtest", "-s", "sma_cross", "-d", csv, "--save", saved)
    assert outcome.code == 0, outcome.stderr
    assert saved.is_file()


def test_an_output_under_a_file_is_refused_before_computing(csv: Path) -> None:
    """--report under a file was 'internal error: FileExistsError'."""
    line = assert_bad_input(
        run("backtest", "-s", "sma_cross", "-d", csv, "--report", csv / "r.html"), r"--report"
    )
    assert "not a folder" in line


def test_an_output_that_is_a_folder_is_refused(csv: Path, tmp_path: Path) -> None:
    assert_bad_input(
        run("backtest", "-s", "sma_cross", "-d", csv, "--save", tmp_path), r"--save.*folder"
    )


# --- signals: one handler in app.py for every command ---------------------------------------------


# A plugin that holds at import (before any data is read or computed) until a signal comes.
HOLDING_PLUGIN = """
import os, pathlib, time
pathlib.Path(os.environ["GAUNTLET_TEST_HOLDING"]).touch()
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    time.sleep(0.02)  # short sleeps: the signal's handler runs between them, in any thread's case
"""


def _signal_while_loading(signum: int, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`gauntlet backtest` signalled once its --plugin is being imported: before computing."""
    plugin, holding = tmp_path / "holding.py", tmp_path / "holding"
    plugin.write_text(HOLDING_PLUGIN)
    env = {k: v for k, v in os.environ.items() if k != "GAUNTLET_DEBUG"}
    proc = subprocess.Popen(
        [GAUNTLET, "backtest", "-s", "sma_cross", "-d", str(tmp_path / "bars.csv"),
         "--plugin", str(plugin)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env | {"GAUNTLET_TEST_HOLDING": str(holding)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not holding.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the plugin was never imported"
            time.sleep(0.02)
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_before_computing_is_one_line(tmp_path: Path, signum: int, code: int) -> None:
    """SIGINT before computation exited 130 with an empty stderr; SIGTERM died silently."""
    proc = _signal_while_loading(signum, tmp_path)
    assert proc.returncode == code, proc.stderr
    assert proc.stdout == ""
    assert [line for line in proc.stderr.splitlines() if line.strip()] == ["gauntlet: interrupted"]


# --- report: the tearsheet of a saved result ------------------------------------------------------


def test_report_png_is_a_png_whatever_its_name(csv: Path, tmp_path: Path) -> None:
    """--png out.csv was 'internal error: ValueError: Format 'csv' is not supported'."""
    saved = tmp_path / "run.json"
    assert run("backtest", "-s", "sma_cross", "-d", csv, "--save", saved).code == 0
    png, html = tmp_path / "new" / "sheet.csv", tmp_path / "new" / "sheet.html"
    outcome = run("report", saved, "--out", html, "--png", png)
    assert outcome.code == 0, outcome.stderr
    assert png.read_bytes().startswith(b"\x89PNG")
    assert html.is_file()


def test_report_on_a_file_that_is_not_a_result_is_one_line(csv: Path) -> None:
    assert_bad_input(run("report", csv), r"not a Gauntlet result file")


@pytest.mark.parametrize("command", ["backtest", "sweep", "walkforward"])
@pytest.mark.parametrize("name", ["", "   ", "EUR\x07USD"])
def test_a_blank_instrument_is_refused_not_replaced(command: str, name: str) -> None:
    # It used to fall back to the file's own instrument without a word (event engine included).
    extra = {"backtest": ["--engine", "event"], "sweep": ["--grid", "fast=5,10"],
             "walkforward": ["--grid", "fast=5,10"]}[command]  # fmt: skip
    outcome = run(command, "--strategy", "sma_cross", "--data", "data/sample/EURUSD_H1_synthetic.csv",
                  "--instrument", name, *extra)  # fmt: skip
    assert_bad_input(outcome, r"--instrument: .* is not an instrument name")
