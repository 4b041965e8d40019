"""Key rotation and the 90-day staleness check, for any `SecretsProvider`."""

from __future__ import annotations

import secrets as token_source
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from live.secrets.base import SecretsProvider


def generate_secret(nbytes: int = 32) -> SecretStr:
    return SecretStr(token_source.token_urlsafe(nbytes))


def rotate(provider: SecretsProvider, name: str, new_value: SecretStr) -> int:
    """Write `new_value` as the next version of `name`, record when, return the version."""
    version = provider.put(name, new_value)
    provider.mark_rotated(name, datetime.now(UTC))
    return version


@dataclass(frozen=True)
class StaleKey:
    name: str
    version: int
    age_days: float | None  # None: the backend does not know when it was written


def stale_keys(
    provider: SecretsProvider, max_age_days: int = 90, *, now: datetime | None = None
) -> list[StaleKey]:
    """Secrets whose current version is older than `max_age_days` (or of unknown age)."""
    now = now or datetime.now(UTC)
    limit = timedelta(days=max_age_days)
    stale = []
    for name in provider.list():
        meta = provider.metadata(name)
        if meta.created_at is None:
            # Cannot prove it is fresh, so it fails the check: rotate it once to start the clock.
            stale.append(StaleKey(name, meta.version, None))
        elif now - meta.created_at > limit:
            age = (now - meta.created_at) / timedelta(days=1)
            stale.append(StaleKey(name, meta.version, round(age, 1)))
    return stale
