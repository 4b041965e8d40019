"""Exponential backoff for publishes that the server did not acknowledge."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """`attempts` tries, waiting first, first*factor, ... seconds (capped) between them."""

    attempts: int = 12
    first: float = 0.05
    factor: float = 2.0
    cap: float = 2.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        for _ in range(self.attempts):
            yield delay
            delay = min(delay * self.factor, self.cap)
