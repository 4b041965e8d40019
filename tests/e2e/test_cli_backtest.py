"""`gauntlet backtest` as a user runs it: the installed console script, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.bars import make_bars

GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))
CONTRACT = {
    "trades", "final_equity", "total_return", "cagr", "sharpe", "sortino", "max_drawdown",
    "calmar", "win_rate", "profit_factor", "exposure",
}  # fmt: skip


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GAUNTLET_DEBUG"}
    return subprocess.run(
        [GAUNTLET, "backtest", *args], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "eurusd_h1.csv"
    make_bars(1_500, seed=4).to_csv(path)  # as pandas writes it: the index in the first column
    return path


def _one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gauntlet: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.slow
def test_json_is_one_object_with_the_contract(csv: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    proc = _run(
        "--strategy", "sma_cross", "--param", "fast=10", "--param", "slow=30",
        "--data", str(csv), "--instrument", "EURUSD", "--fill", "close",
        "--commission", "1e-4", "--spread", "1e-5", "--slippage", "1e-5",
        "--financing-long", "0.01", "--financing-short", "0.01", "--cash", "50000",
        "--size-mode", "vol_target", "--vol-target", "0.2", "--vol-window", "30",
        "--max-leverage", "2", "--periods-per-year", "6000",
        "--report", str(report), "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # the whole of stdout is exactly one JSON object
    assert set(out) >= CONTRACT
    assert out["trades"] > 0
    assert out["params"] == {"fast": 10, "slow": 30, "allow_short": True, "entry": "state"}
    assert out["config"]["cash"] == 50_000
    assert out["config"]["fill"] == "close"
    assert out["config"]["costs"]["financing_long"] == 0.01
    config = out["config"]
    assert (config["size_mode"], config["vol_target"], config["vol_window"]) == (
        "vol_target",
        0.2,
        30,
    )
    assert (config["max_leverage"], config["periods_per_year"]) == (2.0, 6000.0)
    assert out["periods_per_year"] == 6000.0
    assert out["engine"] == "vectorized"
    assert len(out["data_fingerprint"]) == 64
    assert report.stat().st_size > 1_000_000
    assert f"report: {report}" in proc.stderr


@pytest.mark.slow
def test_table_by_default(csv: Path) -> None:
    proc = _run(
        "--strategy", "ema_cross", "--data", str(csv), "--size-mode", "units", "--units",
        "10000", "--round-units", "--long-only", "--commission-per-unit", "0.00002",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Sharpe" in proc.stdout
    # The label wraps in an 80-column table header: its two lines.
    assert "ema_cross(fast=10, slow=50, allow_short=True," in proc.stdout
    assert "entry=state) [vectorized]" in proc.stdout
    assert "[vectorized]" in proc.stdout
    assert "eurusd_h1.csv: 1,500 bars, 2024-01-01 → 2024-03-03" in proc.stdout


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    _one_line_error(_run("--strategy", "sma_cross", "--data", str(missing)), "nope.csv")


def test_wrong_columns(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("when,price\n2024-01-01 00:00,1.1\n2024-01-01 01:00,1.2\n")
    _one_line_error(_run("--strategy", "sma_cross", "--data", str(path)), "bad.csv")


def test_unknown_strategy(csv: Path) -> None:
    proc = _run("--strategy", "sma_crossover", "--data", str(csv))
    _one_line_error(proc, "unknown strategy 'sma_crossover'", "sma_cross")


@pytest.mark.parametrize(
    ("param", "fragment"),
    [
        ("fast=abc", "fast"),
        ("fast=50", "fast must be < slow"),
        ("speed=3", "speed"),
        ("fast", "--param expects key=value"),
    ],
)
def test_bad_param(csv: Path, param: str, fragment: str) -> None:
    _one_line_error(_run("--strategy", "sma_cross", "--param", param, "--data", str(csv)), fragment)


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--fill", "tomorrow", "--fill must be one of next_open, close"),
        ("--size-mode", "kelly", "--size-mode must be one of"),
        ("--engine", "quantum", "--engine must be one of"),
        ("--commission", "-1", "commission"),
    ],
)
def test_bad_option(csv: Path, option: str, value: str, fragment: str) -> None:
    proc = _run("--strategy", "sma_cross", "--data", str(csv), option, value)
    _one_line_error(proc, fragment)


@pytest.mark.slow
def test_save_and_track_feed_gauntlet_report(csv: Path, tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    saved = tmp_path / "run.json"
    proc = _run(
        "--strategy", "sma_cross", "--data", str(csv), "--save", str(saved), "--track",
        "--tracking-uri", str(store), "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert len(out["mlflow_run_id"]) == 32
    # Both records render the same tearsheet numbers as the run printed.
    for source, extra in ((str(saved), ()), (out["mlflow_run_id"], ("--tracking-uri", str(store)))):
        page = tmp_path / f"{len(extra)}.html"
        report = subprocess.run(
            [GAUNTLET, "report", source, "--out", str(page), "--json", *extra],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert report.returncode == 0, report.stderr
        assert json.loads(report.stdout)["sharpe"] == pytest.approx(out["sharpe"], rel=1e-12)
        assert "Monthly returns" in page.read_text()


def test_unwritable_tracking_store_fails_before_running(csv: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    proc = _run("--strategy", "sma_cross", "--data", str(csv), "--track",
                "--tracking-uri", str(blocked / "mlruns"))  # fmt: skip
    _one_line_error(proc, "not writable")
