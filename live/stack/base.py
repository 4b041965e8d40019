"""What every embedded service provides, so `gauntlet up/status/down` can treat them alike."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Endpoint:
    """Where a running service answers: a URL/DSN that the clients take as is."""

    name: str  # "postgres" | "redis" | "nats" | "vault"
    url: str  # e.g. postgresql://gauntlet@127.0.0.1:54329/gauntlet, redis://127.0.0.1:6380/0
    pid: int | None = None


class EmbeddedService(Protocol):
    name: str

    def start(self, data_dir: Path) -> Endpoint:
        """Start (or adopt an already running instance under data_dir); idempotent."""

    def stop(self, data_dir: Path) -> None:
        """Stop cleanly; idempotent."""

    def status(self, data_dir: Path) -> Endpoint | None:
        """The endpoint when running and healthy, else None."""
