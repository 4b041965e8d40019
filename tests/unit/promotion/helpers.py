"""Hand-made evidence (no runs) for gate and bundle tests."""

import copy
from pathlib import Path
from typing import Any

import yaml

from research.promotion.evidence import Evidence
from research.promotion.policy import GateName, load_policy
from research.promotion.spec import parse_spec
from research.promotion.stages import Stage

GOOD_VALUES: dict[GateName, Any] = {
    GateName.OOS_SHARPE: 0.9,
    GateName.MAX_DRAWDOWN: -0.08,
    GateName.MIN_TRADES: 166.0,
    GateName.DEFLATED_SHARPE: 0.6,
    GateName.PBO: 0.2,
    GateName.LOOKAHEAD_CLEAN: True,
    GateName.PARITY: 1e-6,
    GateName.PAPER_DURATION_DAYS: 30.0,
    GateName.PAPER_TRADES: 100.0,
    GateName.DRIFT: 0.4,
    GateName.SLIPPAGE: 0.8,
}
DETAILS: dict[str, Any] = {
    "checks": {
        "parity": {"trades_match": True, "trades_event": 73, "trades_vectorized": 73, "bars": 3000},
        "lookahead": {"cuts_checked": 20},
    },
    "paper": {
        "drift": {
            "realized_sharpe": 0.5,
            "window": 500,
            "realized_slippage": 8e-5,
            "assumed_slippage": 1e-4,
        }
    },
    "walkforward": {"pbo": {}},
}


def make_evidence(stage: Stage = Stage.PAPER, **overrides: Any) -> Evidence:
    raw = yaml.safe_load(Path("specs/sma_cross_h1.yaml").read_text())
    values = {**GOOD_VALUES, **{GateName(k): v for k, v in overrides.items()}}
    return Evidence(
        spec=parse_spec(raw),
        stage=stage,
        spec_hash="0" * 64,
        code_version="test",
        data_fingerprint="f" * 64,
        values=values,
        details=copy.deepcopy(DETAILS),
    )


def default_thresholds():  # type: ignore[no-untyped-def]
    return load_policy().defaults
