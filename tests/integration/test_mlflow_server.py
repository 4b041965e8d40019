"""research.tracking against a real `mlflow server` process: runs logged over the REST API,
artifacts uploaded through the server's artifact proxy, everything read back with MLflow's
own client.

Start-up is ~5 s on two idle cores (~9 s with both busy): the CLI and the uvicorn worker each
import MLflow. The server's job runner (a huey consumer) is switched off: it adds 3-4 s of
start-up and outlives the SIGTERM that stops the server."""

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

pytestmark = pytest.mark.slow

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


def _check_common(tags: dict[str, str], kind: str, versions: set[str]) -> None:
    assert tags["gauntlet.kind"] == kind
    assert tags["gauntlet.strategy"] == "sma_cross"
    # the SHA at logging time; a commit landing mid-test may move HEAD, hence before/after
    assert tags["gauntlet.code_version"] in versions


def _check_backtest(server: Server, bars: pd.DataFrame, dl: Path) -> None:
    before = code_version()
    result = backtest("sma_cross", bars, params={"fast": 5, "slow": 20})
    run_id = log_backtest(result, bars["close"], uri=server.uri, experiment="server-bt")

    client = MlflowClient(tracking_uri=server.uri)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == "server-bt"
    assert run.data.params["fast"] == "5"
    assert run.data.params["slow"] == "20"
    assert run.data.params["config.fill"] == "next_open"
    assert run.data.metrics["sharpe"] == pytest.approx(result.metrics.sharpe, rel=1e-12)
    assert run.data.metrics["total_return"] == pytest.approx(result.metrics.total_return, rel=1e-12)
    _check_common(run.data.tags, "backtest", {before, code_version()})
    assert len(result.data_fingerprint) == 64
    assert run.data.tags["gauntlet.data_fingerprint"] == result.data_fingerprint
    assert run.data.tags["gauntlet.engine"] == result.engine

    assert _artifact_names(client, run_id) == {"result.json", "tearsheet.html"}
    tearsheet = _proxied(server, client, run_id, "tearsheet.html")
    assert "<html" in tearsheet.read_text(errors="replace").lower()

    loaded, close = load_result(download_result(run_id, dl, uri=server.uri))
    assert loaded.metrics == result.metrics
    assert (loaded.equity - result.equity).abs().max() == 0.0
    assert len(loaded.trades) == len(result.trades)
    assert (close - bars["close"]).abs().max() == 0.0


def _check_sweep(server: Server, bars: pd.DataFrame, dl: Path) -> None:
    before = code_version()
    result = sweep("sma_cross", bars, {"fast": [3, 5], "slow": [20, 30]}, workers=1)
    run_id = log_sweep(result, uri=server.uri, experiment="server-sweep")

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
    _check_common(run.data.tags, "sweep", {before, code_version()})
    assert run.data.tags["gauntlet.data_fingerprint"] == result.data_fingerprint

    assert _artifact_names(client, run_id) == {"sweep.csv", "heatmap.html"}
    _proxied(server, client, run_id, "heatmap.html")
    table = pd.read_csv(client.download_artifacts(run_id, "sweep.csv", str(dl)))
    assert sorted(zip(table["fast"], table["slow"], strict=True)) == [
        (3, 20), (3, 30), (5, 20), (5, 30),
    ]  # fmt: skip


def _check_walkforward(server: Server, bars: pd.DataFrame, dl: Path) -> None:
    before = code_version()
    wf = walk_forward("sma_cross", bars, {"fast": [3, 5], "slow": [20]}, n_folds=2, workers=1)
    run_id = log_walkforward(wf, uri=server.uri, experiment="server-wf")

    client = MlflowClient(tracking_uri=server.uri)
    run = client.get_run(run_id)
    assert run.data.params["metric"] == wf.metric
    assert run.data.params["mode"] == wf.mode
    assert run.data.params["wf.n_folds"] == "2"
    assert run.data.metrics["oos_total_return"] == pytest.approx(
        wf.oos_metrics["total_return"], rel=1e-12
    )
    _check_common(run.data.tags, "walkforward", {before, code_version()})

    assert _artifact_names(client, run_id) == {"folds.csv", "oos_equity.csv"}
    _proxied(server, client, run_id, "folds.csv")
    folds = pd.read_csv(client.download_artifacts(run_id, "folds.csv", str(dl)))
    assert len(folds) == 2
    equity = pd.read_csv(client.download_artifacts(run_id, "oos_equity.csv", str(dl)))
    assert len(equity) == len(wf.oos_equity)


def test_backtest_sweep_walkforward_through_the_server(
    server: Server, bars: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One test, so one server even when xdist spreads a module's tests over workers."""
    _check_backtest(server, bars, tmp_path / "bt")
    _check_sweep(server, bars, tmp_path / "sweep")
    _check_walkforward(server, bars, tmp_path / "wf")
    # MLflow prints "View run ... at" to stdout for server runs; `--json` output must stay clean
    assert capsys.readouterr().out == ""

    # read back by search, as a dashboard would: each experiment holds its own kind of run
    client = MlflowClient(tracking_uri=server.uri)
    for name, kind in (("server-bt", "backtest"), ("server-sweep", "sweep"),
                       ("server-wf", "walkforward")):  # fmt: skip
        exp = client.get_experiment_by_name(name)
        assert exp is not None
        runs = client.search_runs([exp.experiment_id])
        assert [r.data.tags["gauntlet.kind"] for r in runs] == [kind]
