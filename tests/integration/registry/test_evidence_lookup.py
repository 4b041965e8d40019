"""Registry.promotions_with_evidence (the EvidenceLedger port of `gauntlet evidence verify`):
only promotions are evidence; a demotion or retirement copies the hash of the stage it leaves
and must not make that bundle look like the evidence of a decision."""

from __future__ import annotations

import asyncio

import pytest

from live.registry import Registry, RegistryInputError
from tests.integration.registry.helpers import spec_for

pytestmark = pytest.mark.services


def test_only_the_promotion_that_recorded_a_hash_is_found(
    registry: Registry, strategy: str
) -> None:
    async def go() -> tuple[list[dict[str, object]], ...]:
        await registry.promote(
            strategy, "candidate", spec=spec_for(strategy), evidence_hash="ev-cand", decided_by="ci"
        )
        await registry.promote(
            strategy, "paper", spec=spec_for(strategy), evidence_hash="ev-paper", decided_by="ci"
        )
        await registry.demote(strategy, "candidate", reason="drift", decided_by="ops")
        await registry.retire(strategy, reason="replaced", decided_by="ops")
        return (
            await registry.promotions_with_evidence("ev-cand"),
            await registry.promotions_with_evidence("ev-paper"),
            await registry.promotions_with_evidence("never-recorded"),
        )

    candidate, paper, unknown = asyncio.run(go())
    assert [(r["strategy"], r["action"], r["to_stage"]) for r in candidate] == [
        (strategy, "promote", "candidate")
    ]
    # the demotion and retirement rows carry ev-paper too, but only the promotion is evidence
    assert [(r["action"], r["to_stage"], r["decided_by"]) for r in paper] == [
        ("promote", "paper", "ci")
    ]
    assert unknown == []


def test_a_malformed_hash_is_refused(registry: Registry) -> None:
    with pytest.raises(RegistryInputError, match="evidence_hash"):
        asyncio.run(registry.promotions_with_evidence("not a hash; drop table"))
