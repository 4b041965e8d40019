"""A backtest result saved to one JSON file (what `gauntlet report FILE` and MLflow runs read).

Holds what a tearsheet needs: spec, config, metrics, equity, returns, position, target, trades
and the close prices (for buy-and-hold). Not the vectorbt portfolio, which is engine-internal.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from research.engine.config import BacktestConfig
from research.engine.result import BacktestResult
from research.errors import ResearchInputError
from research.metrics import Metrics

FORMAT = "gauntlet.result/1"


def _frame_json(obj: pd.Series | pd.DataFrame) -> dict[str, Any]:
    """Exact: Python's float repr round-trips every double (pandas' to_json stops at 15 digits)."""
    index = pd.DatetimeIndex(obj.index)
    values = obj.to_numpy(dtype=np.float64)
    columns = [obj.name] if isinstance(obj, pd.Series) else [str(c) for c in obj.columns]
    return {"index": index.asi8.tolist(), "columns": columns, "values": values.tolist()}


def _read_frame(payload: dict[str, Any], series: bool) -> Any:
    index = pd.DatetimeIndex(
        pd.to_datetime(payload["index"], unit="ns", utc=True), name="timestamp"
    )
    values = np.asarray(payload["values"], dtype=np.float64)
    if series:
        return pd.Series(values, index=index, name=payload["columns"][0])
    return pd.DataFrame(values, index=index, columns=payload["columns"])


def save_result(result: BacktestResult, close: pd.Series | pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    payload = {
        "format": FORMAT,
        "strategy": result.strategy,
        "config": result.config.model_dump(mode="json"),
        "engine": result.engine,
        "metrics": result.metrics.model_dump(mode="json"),
        "data_fingerprint": result.data_fingerprint,
        "series": {
            name: [isinstance(obj, pd.Series), _frame_json(obj)]
            for name, obj in (
                ("equity", result.equity),
                ("returns", result.returns),
                ("position", result.position),
                ("target", result.target),
                ("close", close),
            )
        },
        "trades": result.trades.to_json(orient="split", date_format="iso", date_unit="ns"),
    }
    try:
        path.write_text(json.dumps(payload))
    except OSError as exc:
        raise ResearchInputError(
            f"cannot write result file {path}: {exc.strerror or exc}"
        ) from None
    return path


def load_result(path: str | Path) -> tuple[BacktestResult, pd.Series | pd.DataFrame]:
    """(result, close prices) from a file written by `save_result`."""
    path = Path(path)
    if not path.is_file():
        raise ResearchInputError(f"result file not found: {path}")
    try:
        payload = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResearchInputError(f"{path} is not a Gauntlet result file: {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ResearchInputError(f"{path} is not a Gauntlet result file (format {FORMAT} expected)")
    series = {
        name: _read_frame(obj, is_series) for name, (is_series, obj) in payload["series"].items()
    }
    trades = pd.read_json(StringIO(payload["trades"]), orient="split")
    result = BacktestResult(
        strategy=payload["strategy"],
        config=BacktestConfig.model_validate(payload["config"]),
        engine=payload["engine"],
        equity=series["equity"],
        returns=series["returns"],
        target=series["target"],
        position=series["position"],
        trades=trades,
        metrics=Metrics.model_validate(
            {k: (float("nan") if v is None else v) for k, v in payload["metrics"].items()}
        ),
        data_fingerprint=payload["data_fingerprint"],
    )
    return result, series["close"]
