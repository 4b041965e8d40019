"""`gauntlet sweep | walkforward | check lookahead | report` as a user runs them (subprocess)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from research import backtest
from research.saved import save_result
from tests.fixtures.bars import make_bars
from tests.fixtures.held_sweep import start_held_sweep

GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("GAUNTLET_DEBUG", "MLFLOW_TRACKING_URI")
    }
    return subprocess.run([GAUNTLET, *args], capture_output=True, text=True, timeout=180, env=env)


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "eurusd_h1.csv"
    make_bars(1_200, seed=4).to_csv(path)
    return path


def _one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gauntlet: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.slow
def test_sweep_json_heatmap_table_and_tracking(csv: Path, tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    proc = _run(
        "sweep", "--strategy", "sma_cross", "--data", str(csv), "--grid", "fast=5:15:5",
        "--grid", "slow=10,30", "--metric", "sortino", "--heatmap", str(tmp_path / "h.html"),
        "--out", str(tmp_path / "t.csv"), "--workers", "2", "--track", "--tracking-uri",
        str(store), "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # exactly one JSON object on stdout
    assert out["combinations"] == 4
    assert out["completed"] == 4
    assert out["rejected"] == 2  # (10, 10) and (15, 10): fast must be < slow
    sortinos = [row["sortino"] for row in out["top"]]
    assert sortinos == sorted(sortinos, reverse=True)
    assert len(out["mlflow_run_id"]) == 32
    assert "Plotly.newPlot" in (tmp_path / "h.html").read_text()
    assert len((tmp_path / "t.csv").read_text().strip().splitlines()) == 5


@pytest.mark.slow
def test_walkforward_json(csv: Path) -> None:
    proc = _run(
        "walkforward", "--strategy", "ema_cross", "--data", str(csv), "--grid", "fast=5,8",
        "--grid", "slow=20", "--folds", "3", "--mode", "anchored", "--workers", "1", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [f["fold"] for f in out["folds"]] == [0, 1, 2]
    assert out["mode"] == "anchored"
    assert "sharpe" in out["oos"]


@pytest.mark.slow
def test_lookahead_clean_and_leaky(csv: Path) -> None:
    clean = _run("check", "lookahead", "--strategy", "donchian_breakout", "--data", str(csv),
                 "--cuts", "8")  # fmt: skip
    assert clean.returncode == 0, clean.stderr
    assert "no look-ahead" in clean.stdout
    leaky = _run("check", "lookahead", "--strategy", "leaky_centered", "--plugin",
                 "research.testing.leaky", "--data", str(csv), "--cuts", "8", "--json")  # fmt: skip
    assert leaky.returncode == 1
    out = json.loads(leaky.stdout)
    assert out["clean"] is False
    assert out["first_leak_bar"] is not None
    assert "look-ahead: leaky_centered target at bar" in leaky.stderr


@pytest.mark.slow
def test_report_from_saved_file(csv: Path, tmp_path: Path) -> None:
    bars = make_bars(1_200, seed=4)
    result = backtest("sma_cross", bars, params={"fast": 5, "slow": 20})
    saved = save_result(result, bars["close"], tmp_path / "run.json")
    proc = _run("report", str(saved), "--out", str(tmp_path / "t.html"), "--png",
                str(tmp_path / "t.png"), "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["sharpe"] == pytest.approx(result.metrics.sharpe)
    assert (tmp_path / "t.png").stat().st_size > 10_000
    assert "Monthly returns" in (tmp_path / "t.html").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize(("args", "fragments"), [
    (["sweep", "--strategy", "sma_cross", "--grid", "fast=50", "--grid", "slow=10"],
     ["every one of the 1 parameter combinations", "fast must be < slow"]),
    (["sweep", "--strategy", "sma_cross", "--grid", "fast=", "--grid", "slow=10"],
     ["expected name=values"]),
    (["sweep", "--strategy", "sma_cross", "--grid", "fast=5", "--grid", "slow=20",
      "--scheduler", "tcp://127.0.0.1:{port}"], ["cannot reach Dask scheduler"]),
    (["walkforward", "--strategy", "sma_cross", "--grid", "fast=5", "--grid", "slow=20",
      "--folds", "200"], ["too little data for 200 folds"]),
    (["sweep", "--strategy", "sma_cross", "--grid", "fast=5", "--grid", "slow=20", "--track",
      "--tracking-uri", "{blocked}/mlruns"], ["not writable"]),
    (["report", "0123456789abcdef0123456789abcdef", "--tracking-uri", "{tmp}/store"],
     ["no MLflow run"]),
])  # fmt: skip
def test_bad_input_is_one_line_exit_2(csv: Path, tmp_path: Path, args, fragments) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("x")
    fill = {"port": str(_free_port()), "blocked": str(blocked), "tmp": str(tmp_path)}
    argv = [a.format(**fill) for a in args]
    if argv[0] != "report":
        argv += ["--data", str(csv)]
    _one_line_error(_run(*argv), *fragments)


INTERRUPTING_PLUGIN = '''
import os
import signal
import time
from pathlib import Path

from pydantic import Field

from strategies.base import Strategy, StrategyParams
from strategies.plugins import register


class P(StrategyParams):
    window: int = Field(5, ge=2)


@register
class HoldAt99(Strategy[P]):
    """The window=99 chunk runs until the Ctrl-C reaches its worker too (workers ignore
    SIGINT; this one listens while it holds), so it can never finish before the interrupt."""

    name = "hold_at_99"
    Params = P

    @property
    def warmup(self):
        return self.params.window

    def compute(self, bars):
        if self.params.window == 99:
            interrupted = []
            previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(1))
            Path(os.environ["GAUNTLET_TEST_HOLDING"]).touch()
            deadline = time.monotonic() + 120
            while not interrupted and time.monotonic() < deadline:
                time.sleep(0.02)
            signal.signal(signal.SIGINT, previous)
        mean = bars["close"].rolling(self.params.window).mean()
        return (bars["close"] > mean).astype(float).where(mean.notna())
'''


@pytest.mark.slow
def test_ctrl_c_keeps_and_reports_finished_chunks(csv: Path, tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) once the progress bar
    counts a finished chunk, i.e. one has reached the parent, while the window=99 chunk runs."""
    sweep = start_held_sweep(INTERRUPTING_PLUGIN, csv, tmp_path)
    proc, shown = sweep.proc, sweep.shown
    deadline = time.monotonic() + 180
    try:
        sweep.read_until(sweep.chunk_finished_while_held, deadline)
        os.killpg(proc.pid, signal.SIGINT)
        sweep.read_until(lambda: proc.poll() is not None, deadline)
        stdout, _ = proc.communicate(timeout=max(deadline - time.monotonic(), 1))
        sweep.read_until(lambda: b"combinations" in shown, time.monotonic() + 10)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(sweep.terminal)
    stderr = shown.decode(errors="replace")
    assert proc.returncode == 130, stderr[-2000:]
    out = json.loads(stdout)
    assert out["interrupted"] is True
    assert 1 <= out["completed"] < out["combinations"] == 5
    assert all(row["window"] != 99 for row in out["top"])
    assert f"kept {out['completed']} of 5 combinations" in stderr
