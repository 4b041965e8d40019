"""research.tracking against a real `mlflow server` process: runs logged over the REST API,
artifacts uploaded through the server's artifact proxy, everything read back with MLflow's
own client.

Start-up is ~5 s on two cores: the CLI and the uvicorn worker each import MLflow. The server's
job runner (a huey consumer) is switched off: it doubles start-up CPU and outlives SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from research import backtest
from research.saved import load_result
from research.sweep import sweep
from research.tracking import (
    code_version,
    download_result,
    log_backtest,
    log_sweep,
    log_walkforward,
)
from research.walkforward import walk_forward
from tests.fixtures.bars import make_bars

# One server per session under `make test` (-n 2 --dist loadgroup): its tests share a worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mlflow_server")]

START_TIMEOUT = 60.0  # generous for loaded CI machines; ~5 s when idle
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Server:
    uri: str
    artifacts: Path  # --artifacts-destination: where the proxy writes uploaded files


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    try:
        with opener.open(url, timeout=1.0) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the CLI forwards it to uvicorn), then SIGKILL to the whole process group."""
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):  # the group is ours: start_new_session=True
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(STOP_TIMEOUT)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    artifacts = root / "artifacts"
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination", str(artifacts),  # proxied: clients upload over HTTP
    ]  # fmt: skip
    env = {
        **os.environ,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        started = time.monotonic()
        health = f"http://127.0.0.1:{port}/health"
        while not _healthy(health):
            if proc.poll() is not None:
                pytest.fail(
                    f"mlflow server exited with code {proc.returncode} before {health} "
                    f"answered; log tail:\n{_log_tail(log)}"
                )
            if time.monotonic() - started > START_TIMEOUT:
                pytest.fail(
                    f"mlflow server: {health} not healthy after {START_TIMEOUT:.0f} s; "
                    f"log tail:\n{_log_tail(log)}"
                )
            time.sleep(0.1)
        yield Server(f"http://127.0.0.1:{port}", artifacts)
    finally:
        _stop(proc)
    assert proc.returncode is not None


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return make_bars(600, seed=5)


def _artifact_names(client: MlflowClient, run_id: str) -> set[str]:
    return {a.path for a in client.list_artifacts(run_id)}


def _proxied(server: Server, client: MlflowClient, run_id: str, name: str) -> Path:
    """The artifact went through the server's proxy into --artifacts-destination."""
    run = client.get_run(run_id)
    assert run.info.artifact_uri.startswith("mlflow-artifacts:"), run.info.artifact_uri
    path = server.artifacts / run.info.experiment_id / run_id / "artifacts" / name
    assert path.is_file(), f"{name} not under the server's artifact destination"
    return path


def test_backtest_through_the_server(
    server: Server, bars: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = backtest("sma_cross", bars, params={"fast": 5, "slow": 20})
    run_id = log_backtest(result, bars["close"], uri=server.uri, experiment="server-bt")
    # MLflow prints "View run ... at" to stdout for server runs; `--json` output must stay clean
    assert capsys.readouterr().out == ""

    client = MlflowClient(tracking_uri=server.uri)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == "server-bt"
    assert run.data.params["fast"] == "5"
    assert run.data.params["slow"] == "20"
    assert run.data.params["config.fill"] == "next_open"
    assert run.data.metrics["sharpe"] == pytest.approx(result.metrics.sharpe, rel=1e-12)
    assert run.data.metrics["total_return"] == pytest.approx(result.metrics.total_return, rel=1e-12)
    tags = run.data.tags
    assert tags["gauntlet.kind"] == "backtest"
    assert tags["gauntlet.strategy"] == "sma_cross"
    assert tags["gauntlet.data_fingerprint"] == result.data_fingerprint
    assert len(result.data_fingerprint) == 64
    assert tags["gauntlet.code_version"] == code_version()

    assert _artifact_names(client, run_id) == {"result.json", "tearsheet.html"}
    tearsheet = _proxied(server, client, run_id, "tearsheet.html")
    assert "<html" in tearsheet.read_text(errors="replace").lower()

    loaded, close = load_result(download_result(run_id, tmp_path / "dl", uri=server.uri))
    assert loaded.metrics == result.metrics
    assert (loaded.equity - result.equity).abs().max() == 0.0
    assert len(loaded.trades) == len(result.trades)
    assert (close - bars["close"]).abs().max() == 0.0


def test_sweep_through_the_server(
    server: Server, bars: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = sweep("sma_cross", bars, {"fast": [3, 5], "slow": [20, 30]}, workers=1)
    run_id = log_sweep(result, uri=server.uri, experiment="server-sweep")
    assert capsys.readouterr().out == ""

    client = MlflowClient(tracking_uri=server.uri)
    run = client.get_run(run_id)
    best = result.sorted("sharpe").iloc[0]
    assert run.data.params["swept"] == "fast,slow"
    assert run.data.params["sort_by"] == "sharpe"
    assert run.data.params["best.fast"] == str(best["fast"])
    assert run.data.params["best.slow"] == str(best["slow"])
    assert run.data.metrics["combinations"] == 4.0
    assert run.data.metrics["completed"] == 4.0
    assert run.data.metrics["rejected"] == 0.0
    assert run.data.metrics["best_sharpe"] == pytest.approx(best["sharpe"], rel=1e-12)
    assert run.data.tags["gauntlet.kind"] == "sweep"
    assert run.data.tags["gauntlet.data_fingerprint"] == result.data_fingerprint
    assert run.data.tags["gauntlet.code_version"] == code_version()

    assert _artifact_names(client, run_id) == {"sweep.csv", "heatmap.html"}
    _proxied(server, client, run_id, "heatmap.html")
    table = pd.read_csv(client.download_artifacts(run_id, "sweep.csv", str(tmp_path)))
    assert len(table) == 4
    assert sorted(zip(table["fast"], table["slow"], strict=True)) == [
        (3, 20), (3, 30), (5, 20), (5, 30),
    ]  # fmt: skip


def test_walkforward_through_the_server(
    server: Server, bars: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = walk_forward("sma_cross", bars, {"fast": [3, 5], "slow": [20]}, n_folds=2, workers=1)
    run_id = log_walkforward(wf, uri=server.uri, experiment="server-wf")
    assert capsys.readouterr().out == ""

    client = MlflowClient(tracking_uri=server.uri)
    run = client.get_run(run_id)
    assert run.data.params["metric"] == wf.metric
    assert run.data.params["mode"] == wf.mode
    assert run.data.params["wf.n_folds"] == "2"
    assert run.data.metrics["oos_total_return"] == pytest.approx(
        wf.oos_metrics["total_return"], rel=1e-12
    )
    assert run.data.tags["gauntlet.kind"] == "walkforward"
    assert run.data.tags["gauntlet.strategy"] == "sma_cross"
    assert run.data.tags["gauntlet.code_version"] == code_version()

    assert _artifact_names(client, run_id) == {"folds.csv", "oos_equity.csv"}
    _proxied(server, client, run_id, "folds.csv")
    folds = pd.read_csv(client.download_artifacts(run_id, "folds.csv", str(tmp_path)))
    assert len(folds) == 2
    equity = pd.read_csv(client.download_artifacts(run_id, "oos_equity.csv", str(tmp_path)))
    assert len(equity) == len(wf.oos_equity)


def test_runs_are_listed_per_experiment(server: Server) -> None:
    """Read back by search, as a dashboard would: each experiment holds its kind of run."""
    client = MlflowClient(tracking_uri=server.uri)
    small = make_bars(300, seed=6)
    result = backtest("sma_cross", small, params={"fast": 4, "slow": 12})
    first, second = (
        log_backtest(result, small["close"], uri=server.uri, experiment="server-search",
                     tearsheet=False)
        for _ in range(2)
    )  # fmt: skip
    exp = client.get_experiment_by_name("server-search")
    assert exp is not None
    runs = client.search_runs([exp.experiment_id], "tags.`gauntlet.kind` = 'backtest'")
    assert {r.info.run_id for r in runs} == {first, second}
    assert _artifact_names(client, first) == {"result.json"}
