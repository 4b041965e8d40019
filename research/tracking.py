"""Experiment tracking with MLflow: every backtest, sweep and walk-forward can be logged with
its parameters, metrics, data fingerprint, code version and artifacts (tearsheet, tables).

Store: `uri` argument, else MLFLOW_TRACKING_URI, else a local file store at ./.gauntlet/mlruns.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from research.engine.result import BacktestResult
from research.errors import ResearchInputError

DEFAULT_STORE = Path(".gauntlet") / "mlruns"
DEFAULT_EXPERIMENT = "gauntlet"


class TrackingStoreError(ResearchInputError):
    """The MLflow store cannot be used (unwritable directory, unreachable server)."""


def resolve_uri(uri: str | None = None) -> tuple[str, str | None]:
    """(tracking URI, artifact root or None). A plain directory (the default) becomes a local
    SQLite store `DIR/mlflow.db` with artifacts in `DIR/artifacts`: MLflow 3 has put the
    plain-file store in maintenance mode. The directory is created and checked for writing."""
    chosen = uri or os.environ.get("MLFLOW_TRACKING_URI") or str(DEFAULT_STORE)
    if chosen.startswith(("http://", "https://")):
        _check_server(chosen)
        return chosen, None
    if "://" in chosen and not chosen.startswith("file://"):
        return chosen, None  # a database URI: MLflow itself validates it
    path = Path(chosen.removeprefix("file://")).resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise TrackingStoreError(
            f"MLflow store {path} is not writable: {exc.strerror or exc}"
        ) from None
    return f"sqlite:///{path / 'mlflow.db'}", (path / "artifacts").as_uri()


def _check_server(uri: str) -> None:
    """Fail in seconds, before any work, when a tracking server does not answer its health
    endpoint (MLflow's own client would retry with backoff for minutes)."""
    import httpx

    try:
        httpx.get(f"{uri.rstrip('/')}/health", timeout=5.0).raise_for_status()
    except httpx.HTTPError as exc:
        raise TrackingStoreError(
            f"MLflow server {uri} is unreachable: {type(exc).__name__}: {exc}"
        ) from None


def _git(*args: str) -> str:
    """Output of a git command run in the repository this package lives in."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=5
    )
    return done.stdout.strip()


def code_version() -> str:
    """git SHA of the working tree (suffixed -dirty if modified), else the package version."""
    try:
        sha = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        try:
            return "gauntlet " + metadata.version("gauntlet")
        except metadata.PackageNotFoundError:
            return "unknown"


def quiet_mlflow() -> None:
    """MLflow logs store migrations at INFO and draws download bars on stderr; the CLI
    contract keeps stderr to progress and one-line errors. Against a tracking server MLflow
    also prints "View run ... at: URL" lines to stdout on every finished run, which would
    corrupt the CLI's `--json` output."""
    import logging

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    # MLflow's default (7 retries, exponential backoff, 120 s per request) keeps a command
    # silent for many minutes when the server is down; two quick retries still ride out a
    # restart. Users who want MLflow's defaults set these variables themselves.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "15")


def _client(uri: str | None) -> tuple[Any, str | None]:
    from mlflow.tracking import MlflowClient

    quiet_mlflow()
    tracking, artifacts = resolve_uri(uri)
    try:
        return MlflowClient(tracking_uri=tracking), artifacts
    except Exception as exc:  # MLflow raises many types (REST, IO, SQL); all mean "unusable"
        raise TrackingStoreError(f"MLflow store {tracking} unusable: {exc}") from None


def _experiment_id(client: Any, name: str, artifacts: str | None) -> str:
    try:
        exp = client.get_experiment_by_name(name)
        if exp is not None:
            return str(exp.experiment_id)
        return str(client.create_experiment(name, artifact_location=artifacts))
    except Exception as exc:  # MLflow raises many types (REST, IO); all mean "store unusable"
        raise TrackingStoreError(f"MLflow store unusable: {type(exc).__name__}: {exc}") from None


def _flat_params(prefix: str, params: dict[str, Any]) -> dict[str, str]:
    return {f"{prefix}{k}": str(v) for k, v in params.items()}


def _finite(metrics: dict[str, Any]) -> dict[str, float]:
    """MLflow stores floats; NaN/inf are dropped (the JSON artifacts keep them as null)."""
    out = {}
    for k, v in metrics.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if math.isfinite(float(v)):
            out[k] = float(v)
    return out


class _Run:
    """One MLflow run via the client API (no global active-run state)."""

    def __init__(self, kind: str, uri: str | None, experiment: str, tags: dict[str, str]) -> None:
        self.client, artifacts = _client(uri)
        exp = _experiment_id(self.client, experiment, artifacts)
        base = {"gauntlet.kind": kind, "gauntlet.code_version": code_version()}
        self.run_id = str(self.client.create_run(exp, tags={**base, **tags}).info.run_id)

    def log(self, params: dict[str, str], metrics: dict[str, float]) -> None:
        from mlflow.entities import Metric, Param

        now = int(pd.Timestamp.now().timestamp() * 1000)
        self.client.log_batch(
            self.run_id,
            metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
            params=[Param(k, v[:6000]) for k, v in params.items()],
        )

    def artifact(self, path: Path) -> None:
        self.client.log_artifact(self.run_id, str(path))

    def finish(self) -> str:
        self.client.set_terminated(self.run_id)
        return self.run_id


def log_backtest(
    result: BacktestResult,
    close: pd.Series | pd.DataFrame,
    *,
    uri: str | None = None,
    experiment: str = DEFAULT_EXPERIMENT,
    tearsheet: bool = True,
) -> str:
    """Log one backtest (params, metrics, fingerprint, code version, result + tearsheet)."""
    from research.saved import save_result
    from research.tearsheet import write_tearsheet

    run = _Run("backtest", uri, experiment, {
        "gauntlet.strategy": str(result.strategy.get("strategy")),
        "gauntlet.data_fingerprint": result.data_fingerprint, "gauntlet.engine": result.engine,
    })  # fmt: skip
    run.log(
        {**_flat_params("", result.strategy.get("params", {})),
         **_flat_params("config.", result.config.model_dump(mode="json"))},
        _finite(result.metrics.model_dump()),
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        run.artifact(save_result(result, close, Path(tmp) / "result.json"))
        if tearsheet:
            run.artifact(write_tearsheet(result, close, Path(tmp) / "tearsheet.html"))
    return run.finish()


def log_sweep(
    result: Any,
    *,
    metric: str = "sharpe",
    uri: str | None = None,
    experiment: str = DEFAULT_EXPERIMENT,
) -> str:
    """Log a sweep: method, counts, the best row's params/metrics, the full table (CSV) and,
    for two swept parameters, the heatmap (HTML)."""
    run = _Run("sweep", uri, experiment, {
        "gauntlet.strategy": result.strategy, "gauntlet.data_fingerprint": result.data_fingerprint,
    })  # fmt: skip
    best = result.sorted(metric).iloc[0] if result.completed else None
    params = {"swept": ",".join(result.param_names), "sort_by": metric,
              **_flat_params("sweep.", {k: v for k, v in result.extras.items()})}  # fmt: skip
    if best is not None:
        params.update(_flat_params("best.", best["params"]))
    counts = {
        "combinations": result.total,
        "completed": result.completed,
        "rejected": len(result.rejected),
    }
    best_metrics = (
        {} if best is None else {f"best_{k}": best[k] for k in _metric_names(result.table)}
    )
    run.log(params, _finite({**counts, **best_metrics}))
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "sweep.csv"
        result.table.drop(columns=["params"]).to_csv(table, index=False)
        run.artifact(table)
        if len(result.param_names) == 2 and result.completed:
            heat = Path(tmp) / "heatmap.html"
            x, y = result.param_names
            result.heatmap(x, y, metric).write_html(heat, include_plotlyjs="inline")
            run.artifact(heat)
    return run.finish()


def log_walkforward(
    result: Any, *, uri: str | None = None, experiment: str = DEFAULT_EXPERIMENT
) -> str:
    """Log a walk-forward: fold settings, stitched out-of-sample metrics, fold table, OOS equity."""
    run = _Run("walkforward", uri, experiment, {
        "gauntlet.strategy": result.strategy,
        "gauntlet.data_fingerprint": str(result.extras.get("data_fingerprint", "")),
    })  # fmt: skip
    run.log(
        {"metric": result.metric, "mode": result.mode, **_flat_params("wf.", result.extras)},
        _finite({f"oos_{k}": v for k, v in result.oos_metrics.items()}),
    )
    with tempfile.TemporaryDirectory() as tmp:
        folds = Path(tmp) / "folds.csv"
        result.folds.to_csv(folds, index=False)
        equity = Path(tmp) / "oos_equity.csv"
        result.oos_equity.to_csv(equity)
        run.artifact(folds)
        run.artifact(equity)
    return run.finish()


def _metric_names(table: pd.DataFrame) -> list[str]:
    from research.sweep.metrics import METRIC_COLUMNS

    return [c for c in METRIC_COLUMNS if c in table.columns]


def _get_run(client: Any, run_id: str, uri: str | None) -> Any:
    try:
        return client.get_run(run_id)
    except Exception as exc:  # MLflow's not-found is a generic MlflowException
        raise ResearchInputError(
            f"no MLflow run {run_id!r} in {resolve_uri(uri)[0]}: {exc}"
        ) from None


def fetch_run(run_id: str, uri: str | None = None) -> dict[str, Any]:
    """Params, metrics and tags of a logged run."""
    client, _ = _client(uri)
    run = _get_run(client, run_id, uri)
    return {
        "params": dict(run.data.params),
        "metrics": dict(run.data.metrics),
        "tags": dict(run.data.tags),
    }


def download_result(run_id: str, dest: Path, uri: str | None = None) -> Path:
    """The run's result.json artifact (logged by `log_backtest`) downloaded into `dest`."""
    client, _ = _client(uri)
    _get_run(client, run_id, uri)  # an unknown run is named as such, not as a missing file
    try:
        return Path(client.download_artifacts(run_id, "result.json", str(dest)))
    except Exception as exc:  # missing artifact → MlflowException / OSError
        raise ResearchInputError(
            f"MLflow run {run_id} has no result.json artifact: {exc}"
        ) from None
