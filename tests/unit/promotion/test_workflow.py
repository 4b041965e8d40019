"""The promotion workflow (research.promotion.promote) against an in-memory registry port: real
evidence, gates and bundles; the stage changes only when every gate passes, and a refused
transition stops before any evidence is gathered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from research.promotion.errors import PromotionInputError
from research.promotion.policy import Policy, ThresholdOverrides, load_policy
from research.promotion.spec import StrategySpec, load_spec
from research.promotion.stages import Stage
from research.promotion.workflow import PromotionOutcome, promote
from tests.unit.promotion.memory_registry import MemoryRegistry, MemoryStage

pytestmark = pytest.mark.slow  # one real walk-forward (a few seconds), cached for the module

SPEC = Path("specs/sma_cross_h1.yaml")  # passes candidate under the default policy


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence-cache")


@pytest.fixture
def spec() -> StrategySpec:
    return load_spec(SPEC)


def _promote(
    spec: StrategySpec,
    registry: MemoryRegistry,
    tmp_path: Path,
    cache: Path,
    policy: Policy | None = None,
    on_group: Callable[[str, bool], None] | None = None,
) -> PromotionOutcome:
    return promote(
        spec, Stage.CANDIDATE, policy or load_policy(), registry=registry,
        bundles=tmp_path / "bundles", cache=cache, decided_by="ci", reason="test",
        on_group=on_group,
    )  # fmt: skip


def test_gates_pass_promotes_with_the_bundle_as_evidence(
    spec: StrategySpec, tmp_path: Path, cache: Path
) -> None:
    registry = MemoryRegistry()
    outcome = _promote(spec, registry, tmp_path, cache)
    assert outcome.passed
    assert outcome.promoted
    assert registry.calls == ["check_available", "current", "promote"]
    assert registry.stages[spec.name] == MemoryStage(
        spec.name, "candidate", outcome.bundle_hash, "ci"
    )
    assert outcome.bundle.is_dir()
    assert outcome.bundle.parent == (tmp_path / "bundles").resolve()
    payload = outcome.to_dict()
    assert payload["registry"] == {"name": spec.name, "stage": "candidate",
                                   "evidence_hash": outcome.bundle_hash, "decided_by": "ci"}  # fmt: skip
    assert (payload["spec"], payload["stage"], payload["passed"]) == (spec.name, "candidate", True)


def test_a_failing_gate_does_not_promote_and_leaves_the_registry_alone(
    spec: StrategySpec, tmp_path: Path, cache: Path
) -> None:
    base = load_policy()
    strict = Policy(
        version=base.version, defaults=base.defaults,
        strategies={spec.strategy: ThresholdOverrides(min_trades=1_000_000)},
    )  # fmt: skip
    registry = MemoryRegistry()
    outcome = _promote(spec, registry, tmp_path, cache, policy=strict)
    assert not outcome.passed
    assert not outcome.promoted
    assert [r.gate for r in outcome.failed()] == ["min_trades"]
    assert registry.calls == ["check_available", "current"]  # never asked to promote
    assert registry.stages == {}
    assert "registry" not in outcome.to_dict()
    assert outcome.bundle.is_dir()  # the refusal has its evidence too


def test_a_refused_transition_stops_before_any_evidence(spec: StrategySpec, tmp_path: Path) -> None:
    registry = MemoryRegistry({spec.name: MemoryStage(spec.name, "candidate")})
    groups: list[str] = []
    with pytest.raises(PromotionInputError, match="cannot promote from candidate to candidate"):
        _promote(spec, registry, tmp_path, tmp_path / "cache",
                 on_group=lambda group, reused: groups.append(group))  # fmt: skip
    assert groups == []
    assert not (tmp_path / "cache").exists()
    assert not (tmp_path / "bundles").exists()
    assert registry.calls == ["check_available", "current"]
    assert registry.stages == {spec.name: MemoryStage(spec.name, "candidate")}


def test_without_a_registry_the_gates_are_only_checked(
    spec: StrategySpec, tmp_path: Path, cache: Path
) -> None:
    outcome = promote(
        spec, Stage.CANDIDATE, load_policy(), registry=None, bundles=tmp_path, cache=cache,
        decided_by="ci",
    )  # fmt: skip
    assert outcome.passed
    assert not outcome.promoted


def test_a_signing_key_signs_the_bundle(spec: StrategySpec, tmp_path: Path, cache: Path) -> None:
    from research.promotion.verification import SIGNATURE_VALID, check_bundle

    outcome = promote(
        spec, Stage.CANDIDATE, load_policy(), registry=None, bundles=tmp_path / "bundles",
        cache=cache, decided_by="ci", signing_key=b"workflow-key",
    )  # fmt: skip
    assert outcome.signed
    assert outcome.to_dict()["signed"] is True
    assert check_bundle(outcome.bundle, b"workflow-key").signature == SIGNATURE_VALID
    assert not _promote(spec, MemoryRegistry(), tmp_path, cache).signed  # no key: unsigned
