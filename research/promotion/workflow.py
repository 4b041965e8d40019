"""One promotion, start to finish: the function the CLI, the monitoring API and the Learning
agent all call, with the registry injected through the StageRegistry port.

The order of work makes a refused transition or an unusable registry fail in seconds, before
minutes of evidence gathering, and makes nothing half-happen: registry reachable and the
transition allowed → evidence → gates → content-hashed bundle → the stage change, only when
every gate passed. Loading and validating the policy and the spec is the caller's first step,
so bad files fail before the registry is even opened.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from research.promotion.bundle import verify_bundle, write_bundle
from research.promotion.evidence import Evidence, gather
from research.promotion.gates import GateResult, all_passed, evaluate
from research.promotion.policy import Policy
from research.promotion.ports import RegisteredStage, StageRegistry
from research.promotion.spec import StrategySpec
from research.promotion.stages import Stage, check_transition


@dataclass(frozen=True)
class PromotionOutcome:
    """What one promotion attempt produced: the verdict of every gate, the evidence bundle
    and, when the stage changed, the registry's new record."""

    spec_name: str
    stage: Stage
    results: tuple[GateResult, ...]
    bundle: Path
    bundle_hash: str
    record: RegisteredStage | None = None  # None: a gate failed, or no registry (gates only)
    signed: bool = False  # the manifest carries an HMAC-SHA256 under the evidence signing key

    @property
    def passed(self) -> bool:
        """Every gate that is on passed (the verdict, whether or not a registry was asked)."""
        return all_passed(self.results)

    @property
    def promoted(self) -> bool:
        return self.record is not None

    def failed(self) -> list[GateResult]:
        return [r for r in self.results if r.passed is False]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what `gauntlet promote --json` prints; "registry" only when promoted."""
        payload: dict[str, Any] = {
            "spec": self.spec_name, "stage": str(self.stage), "passed": self.passed,
            "bundle": str(self.bundle), "bundle_hash": self.bundle_hash, "signed": self.signed,
            "gates": [json.loads(r.model_dump_json()) for r in self.results],
        }  # fmt: skip
        if self.record is not None:
            payload["registry"] = self.record.to_dict()
        return payload


def promote(
    spec: StrategySpec,
    target: Stage,
    policy: Policy,
    *,
    registry: StageRegistry | None,
    bundles: Path,
    cache: Path | None,
    decided_by: str,
    reason: str = "",
    paper_run: Path | None = None,
    on_group: Callable[[str, bool], None] | None = None,
    signing_key: bytes | None = None,
) -> PromotionOutcome:
    """Promote `spec` to `target` if its evidence passes every gate of `policy`.

    `registry` None evaluates the gates and writes the bundle but changes no stage (a check).
    `on_group(group, reused)` reports each evidence group as it is done (progress).
    `signing_key` signs the bundle's manifest (HMAC-SHA256); None writes it unsigned.
    Blocking (evidence gathering takes minutes, the registry calls run on their own event
    loop): from async code, run it in a worker thread."""
    if registry is not None:  # a refused transition or a dead registry fails before the work
        check_transition(asyncio.run(_current_stage(registry, spec.name)), target)
    evidence = gather(spec, target, paper_run=paper_run, cache_dir=cache, on_group=on_group)
    results = evaluate(evidence, policy.for_strategy(spec.strategy), evidence.stage)
    folder = write_bundle(evidence, results, bundles, signing_key=signing_key).resolve()
    outcome = PromotionOutcome(
        spec_name=spec.name, stage=target, results=tuple(results), bundle=folder,
        bundle_hash=verify_bundle(folder, signing_key), signed=signing_key is not None,
    )  # fmt: skip
    if registry is None or not outcome.passed:
        return outcome
    record = asyncio.run(
        registry.promote(
            spec.name, str(target), spec=_registered_spec(spec, evidence),
            evidence_hash=outcome.bundle_hash, decided_by=decided_by, reason=reason,
        )
    )  # fmt: skip
    return replace(outcome, record=record)


async def _current_stage(registry: StageRegistry, name: str) -> Stage:
    await registry.check_available()
    current = await registry.current(name)
    return Stage.RESEARCH if current is None else Stage(current.stage)


def _registered_spec(spec: StrategySpec, evidence: Evidence) -> dict[str, Any]:
    """The spec as the registry keeps it; the evidence's spec hash (code version + parameters
    + data fingerprint) keys the model version."""
    return {**json.loads(spec.model_dump_json()), "spec_hash": evidence.spec_hash}
