"""A kit run's outcome: one `CardResult` per card and the `KitReport` over them.

`KitReport.to_json()` is the object `gauntlet venue certify --json` prints: at least
`venue`, `cards` (each `id`, `name`, `status` pass | fail | not_applicable, `reason`),
`passed` and `failed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class CardStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class CardResult:
    id: str
    name: str
    group: str
    status: CardStatus
    reason: str  # why it failed or does not apply; what was seen when it passed
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "group": self.group,
            "status": self.status.value,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class KitReport:
    venue: str
    endpoint: str
    instrument: str
    cards: list[CardResult] = field(default_factory=list)

    def count(self, status: CardStatus) -> int:
        return sum(1 for card in self.cards if card.status is status)

    @property
    def passed(self) -> int:
        return self.count(CardStatus.PASS)

    @property
    def failed(self) -> int:
        return self.count(CardStatus.FAIL)

    @property
    def not_applicable(self) -> int:
        return self.count(CardStatus.NOT_APPLICABLE)

    @property
    def ok(self) -> bool:
        """No card failed (not_applicable cards do not count against the venue)."""
        return self.failed == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "venue": self.venue,
            "endpoint": self.endpoint,
            "instrument": self.instrument,
            "cards": [card.to_json() for card in self.cards],
            "passed": self.passed,
            "failed": self.failed,
            "not_applicable": self.not_applicable,
        }
