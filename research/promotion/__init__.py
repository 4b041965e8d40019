"""Promotion: the stage ladder, the policy, the evidence behind each gate, the gates, evidence
bundles, the paper record and drift (see docs of each module), and the workflow that composes
them into one promotion (`promote`, with the registry injected through the StageRegistry port).

    spec = load_spec(Path("specs/sma_cross_h1.yaml"))
    evidence = gather(spec, Stage.CANDIDATE, cache_dir=Path(".gauntlet/evidence"))
    results = evaluate(evidence, load_policy().for_strategy(spec.strategy), Stage.CANDIDATE)
    folder = write_bundle(evidence, results, Path("runs/promotion"))

Names resolve lazily, so reading a policy or a spec does not import the engines.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from research.promotion.bundle import verify_bundle, write_bundle
    from research.promotion.drift import DriftReport, drift_report
    from research.promotion.errors import PromotionInputError, TamperedBundleError
    from research.promotion.evidence import Evidence, gather
    from research.promotion.gates import GateResult, all_passed, evaluate
    from research.promotion.paper_record import PaperRecord, read_paper_record
    from research.promotion.policy import GATES_BY_STAGE, GateName, Policy, Thresholds, load_policy
    from research.promotion.ports import EvidenceLedger, RegisteredStage, StageRegistry
    from research.promotion.spec import StrategySpec, load_spec
    from research.promotion.stages import LADDER, STAGES, Stage, check_transition, next_stage
    from research.promotion.verification import VerifiedBundle, check_bundle, recorded_promotion
    from research.promotion.workflow import PromotionOutcome, promote

_EXPORTS: dict[str, str] = {
    "verify_bundle": "research.promotion.bundle",
    "write_bundle": "research.promotion.bundle",
    "DriftReport": "research.promotion.drift",
    "drift_report": "research.promotion.drift",
    "PromotionInputError": "research.promotion.errors",
    "TamperedBundleError": "research.promotion.errors",
    "Evidence": "research.promotion.evidence",
    "gather": "research.promotion.evidence",
    "GateResult": "research.promotion.gates",
    "all_passed": "research.promotion.gates",
    "evaluate": "research.promotion.gates",
    "PaperRecord": "research.promotion.paper_record",
    "read_paper_record": "research.promotion.paper_record",
    "GATES_BY_STAGE": "research.promotion.policy",
    "GateName": "research.promotion.policy",
    "Policy": "research.promotion.policy",
    "Thresholds": "research.promotion.policy",
    "load_policy": "research.promotion.policy",
    "EvidenceLedger": "research.promotion.ports",
    "RegisteredStage": "research.promotion.ports",
    "StageRegistry": "research.promotion.ports",
    "StrategySpec": "research.promotion.spec",
    "load_spec": "research.promotion.spec",
    "LADDER": "research.promotion.stages",
    "STAGES": "research.promotion.stages",
    "Stage": "research.promotion.stages",
    "check_transition": "research.promotion.stages",
    "next_stage": "research.promotion.stages",
    "VerifiedBundle": "research.promotion.verification",
    "check_bundle": "research.promotion.verification",
    "recorded_promotion": "research.promotion.verification",
    "PromotionOutcome": "research.promotion.workflow",
    "promote": "research.promotion.workflow",
}

__all__ = [
    "GATES_BY_STAGE",
    "LADDER",
    "STAGES",
    "DriftReport",
    "Evidence",
    "EvidenceLedger",
    "GateName",
    "GateResult",
    "PaperRecord",
    "Policy",
    "PromotionInputError",
    "PromotionOutcome",
    "RegisteredStage",
    "Stage",
    "StageRegistry",
    "StrategySpec",
    "TamperedBundleError",
    "Thresholds",
    "VerifiedBundle",
    "all_passed",
    "check_bundle",
    "check_transition",
    "drift_report",
    "evaluate",
    "gather",
    "load_policy",
    "load_spec",
    "next_stage",
    "promote",
    "read_paper_record",
    "recorded_promotion",
    "verify_bundle",
    "write_bundle",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'research.promotion' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
