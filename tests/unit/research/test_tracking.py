"""MLflow tracking: runs written to a real (SQLite-backed) store and read back."""

import pytest
from mlflow.tracking import MlflowClient

from live.stack._process import free_port
from research import backtest
from research.engine.vectorized import data_fingerprint as backtest_fingerprint
from research.saved import load_result
from research.sweep import sweep
from research.tracking import (
    TrackingStoreError,
    code_version,
    download_result,
    fetch_run,
    log_backtest,
    log_sweep,
    log_walkforward,
    resolve_uri,
)
from research.walkforward import walk_forward
from tests.fixtures.bars import make_bars


@pytest.fixture(scope="module")
def bars():
    return make_bars(800, seed=3)


def test_backtest_run_round_trip(tmp_path, bars):
    store = tmp_path / "mlruns"
    result = backtest("sma_cross", bars, params={"fast": 5, "slow": 20})
    run_id = log_backtest(result, bars["close"], uri=str(store))
    run = fetch_run(run_id, uri=str(store))
    assert run["params"]["fast"] == "5"
    assert run["params"]["config.fill"] == "next_open"
    assert run["metrics"]["sharpe"] == pytest.approx(result.metrics.sharpe, rel=1e-12)
    assert run["tags"]["gauntlet.data_fingerprint"] == result.data_fingerprint
    assert run["tags"]["gauntlet.code_version"] == code_version()
    assert run["tags"]["gauntlet.kind"] == "backtest"
    client = MlflowClient(tracking_uri=resolve_uri(str(store))[0])
    names = {a.path for a in client.list_artifacts(run_id)}
    assert names == {"result.json", "tearsheet.html"}
    loaded, close = load_result(download_result(run_id, tmp_path / "dl", uri=str(store)))
    assert loaded.metrics == result.metrics
    assert (loaded.equity - result.equity).abs().max() == 0.0
    assert len(loaded.trades) == len(result.trades)
    assert close.equals(bars["close"]) or (close - bars["close"]).abs().max() == 0.0


def test_sweep_and_walkforward_runs(tmp_path, bars):
    store = str(tmp_path / "store")
    result = sweep("sma_cross", bars, {"fast": [3, 5], "slow": [20, 30]}, workers=1)
    run = fetch_run(log_sweep(result, uri=store), uri=store)
    assert run["metrics"]["combinations"] == 4.0
    assert run["metrics"]["rejected"] == 0.0
    assert run["params"]["swept"] == "fast,slow"
    best = result.sorted("sharpe").iloc[0]
    assert run["metrics"]["best_sharpe"] == pytest.approx(best["sharpe"])
    assert run["params"]["best.fast"] == str(best["fast"])
    wf = walk_forward("sma_cross", bars, {"fast": [3, 5], "slow": [20]}, n_folds=2, workers=1)
    wf_run = fetch_run(log_walkforward(wf, uri=store), uri=store)
    assert wf_run["metrics"]["oos_total_return"] == pytest.approx(wf.oos_metrics["total_return"])
    assert wf_run["tags"]["gauntlet.kind"] == "walkforward"
    fingerprint = wf_run["tags"]["gauntlet.data_fingerprint"]
    assert fingerprint == wf.extras["data_fingerprint"] == backtest_fingerprint(bars)


def test_unreachable_server_fails_fast():
    # Nothing listens there; MLflow's own client would retry with backoff for minutes.
    with pytest.raises(TrackingStoreError, match="unreachable"):
        resolve_uri(f"http://127.0.0.1:{free_port()}")


def test_unwritable_store_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(TrackingStoreError, match="not writable"):
        resolve_uri(str(blocker / "mlruns"))


def test_unknown_run_id(tmp_path):
    from research.errors import ResearchInputError

    with pytest.raises(ResearchInputError, match="no MLflow run"):
        fetch_run("0" * 32, uri=str(tmp_path / "s"))
