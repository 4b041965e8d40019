"""`gauntlet check parity`, `gauntlet paper`, `gauntlet kill` as a user runs them (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.event.conftest import fx_bars

GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))

PEEKING_STRATEGY = '''
import numpy as np
import pandas as pd
from strategies import Strategy, StrategyParams, register


class _P(StrategyParams):
    pass


@register
class Peek(Strategy[_P]):
    """Looks one bar ahead: the vectorized engine sees the future, the event host cannot."""

    name = "h4_peek"
    Params = _P

    @property
    def warmup(self) -> int:
        return 1

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        ahead = bars["close"].shift(-1) - bars["close"]
        return pd.Series(np.sign(ahead.fillna(0.0).to_numpy()), index=bars.index)
'''


def _run(*args: str, runs: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GAUNTLET_DEBUG"}
    if runs is not None:  # paper runs and live state folders both under `runs`
        env["GAUNTLET_RUNS_DIR"] = str(runs)
        env["GAUNTLET_LIVE_DIR"] = str(runs / "live")
    return subprocess.run([GAUNTLET, *args], capture_output=True, text=True, timeout=120, env=env)


def _one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gauntlet: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "eurusd_h1.csv"
    fx_bars("EUR/USD", n=300).round(5).to_csv(path)  # on EUR/USD's tick, as a real file
    return path


@pytest.mark.slow
def test_parity_passes_for_a_causal_strategy(csv: Path) -> None:
    proc = _run(
        "check", "parity", "--strategy", "sma_cross", "-p", "fast=5", "-p", "slow=20",
        "--data", str(csv), "--instrument", "EUR/USD", "--json",
    )  # fmt: skip

    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True
    assert report["trades_vectorized"] == report["trades_event"] > 0
    assert report["differences"] == []
    assert abs(report["equity_difference"]) <= report["equity_bound"]


@pytest.mark.slow
def test_parity_fails_with_exit_1_when_trades_differ(csv: Path, tmp_path: Path) -> None:
    plugin = tmp_path / "peek.py"
    plugin.write_text(PEEKING_STRATEGY)

    proc = _run(
        "check", "parity", "--plugin", str(plugin), "--strategy", "h4_peek",
        "--data", str(csv), "--instrument", "EUR/USD", "--json",
    )  # fmt: skip

    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["trades_match"] is False
    assert report["differences"]
    assert {"trade", "field", "vectorized", "event"} <= set(report["differences"][0])


@pytest.mark.slow
def test_paper_writes_a_run_folder_that_kill_can_target(csv: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    proc = _run(
        "paper", "--strategy", "sma_cross", "-p", "fast=3", "-p", "slow=8",
        "--data", str(csv), "--instrument", "EUR/USD", "--speed", "max",
        runs=runs,
    )  # fmt: skip

    assert proc.returncode == 0, proc.stderr
    assert "order " in proc.stdout
    assert "fill " in proc.stdout
    assert "equity" in proc.stdout
    (run_dir,) = (runs / "paper").iterdir()
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert {"order", "fill", "mark"} <= {e["kind"] for e in events}

    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "finished"
    assert status["node"]["pid"] == status["pid"]  # the identity kill checks

    # The run ended: no node to halt, so kill says so (exit 2) instead of pretending.
    # A kill that reaches a running node: tests/hostile/test_paper_kill.py.
    killed = _run("kill", runs=runs)  # no --run: the newest running node

    _one_line_error(killed, "no running paper node under", "is finished")
    assert not (run_dir / "control").exists()


def test_kill_and_paper_reject_bad_input(csv: Path, tmp_path: Path) -> None:
    _one_line_error(_run("kill", "--run", str(tmp_path / "nope")), "run folder not found")
    _one_line_error(_run("kill", "--run", str(tmp_path), "--state", "PAUSED"), "--state")
    _one_line_error(
        _run("kill", runs=tmp_path / "empty"), "no paper run or live state folder found"
    )
    _one_line_error(
        _run("paper", "--strategy", "sma_cross", "--data", str(csv), "--speed", "fast"),
        "--speed",
    )
    _one_line_error(
        _run("paper", "--strategy", "sma_cross", "--data", str(csv), "--instrument", "FOO123"),
        "'FOO123' is unknown to venue SIM",
    )
