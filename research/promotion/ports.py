"""The registry ports of the promotion workflow: what `promote` needs from a stage registry, and
what verifying an evidence bundle needs from its records (EvidenceLedger).

Research sits below live, so the workflow cannot import live.registry; it names the methods it
calls here and the composition root (the CLI, the monitoring API, the Learning agent) injects
an implementation — live.registry.Registry satisfies this structurally. Stages travel as
plain strings (Stage is a StrEnum), the form the registry stores.
"""

from __future__ import annotations

from typing import Any, Protocol


class RegisteredStage(Protocol):
    """Where a registered strategy stands now (live.registry.StageRecord)."""

    @property
    def name(self) -> str: ...

    @property
    def stage(self) -> str: ...

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for payloads and reports."""
        ...


class StageRegistry(Protocol):
    """Reads a strategy's stage and moves it up the ladder."""

    async def check_available(self) -> None:
        """Raise unless the registry can be used, so a dead one fails before minutes of
        evidence gathering."""
        ...

    async def current(self, name: str) -> RegisteredStage | None:
        """The strategy's current stage; None when it was never promoted (it is in research)."""
        ...

    async def promote(
        self,
        name: str,
        to_stage: str,
        *,
        spec: dict[str, Any],
        evidence_hash: str,
        decided_by: str,
        reason: str = "",
    ) -> RegisteredStage:
        """Move `name` to `to_stage` as a compare-and-set: it succeeds only while the strategy
        still stands on the rung right below `to_stage` (the one the workflow checked before
        gathering evidence) and raises, changing nothing, when a concurrent change moved it."""
        ...


class EvidenceLedger(Protocol):
    """Finds the promotions an evidence bundle was recorded for (`gauntlet evidence verify`)."""

    async def promotions_with_evidence(self, evidence_hash: str) -> list[dict[str, Any]]:
        """Every promotion (not demotion or retirement) whose record carries `evidence_hash`,
        as history entries: at least `strategy`, `to_stage`, `decided_at`, `decided_by`."""
        ...
