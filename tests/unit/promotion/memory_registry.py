"""An in-memory implementation of the promotion workflow's registry port (StageRegistry): the
stages in a dict, the same ladder rule as live.registry, and a record of every call, so a test
can see what the workflow asked and that a refused promotion left the registry alone."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from research.promotion.stages import Stage, rung_below


@dataclass(frozen=True)
class MemoryStage:
    """A RegisteredStage: where a strategy stands, and the evidence that put it there."""

    name: str
    stage: str
    evidence_hash: str | None = None
    decided_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MemoryRegistry:
    """The StageRegistry port over a dict of strategy name → stage."""

    stages: dict[str, MemoryStage] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)  # method names, in call order

    async def check_available(self) -> None:
        self.calls.append("check_available")

    async def current(self, name: str) -> MemoryStage | None:
        self.calls.append("current")
        return self.stages.get(name)

    async def promote(
        self,
        name: str,
        to_stage: str,
        *,
        spec: dict[str, Any],
        evidence_hash: str,
        decided_by: str,
        reason: str = "",
    ) -> MemoryStage:
        self.calls.append("promote")
        held = self.stages.get(name)
        current = Stage.RESEARCH if held is None else Stage(held.stage)
        if rung_below(to_stage) != current:  # the compare-and-set: someone moved it meanwhile
            raise RuntimeError(f"{name} is at {current}, not right below {to_stage}")
        record = MemoryStage(name, str(to_stage), evidence_hash, decided_by)
        self.stages[name] = record
        return record
