"""`EnvProvider`: development secrets from GAUNTLET_SECRET_<NAME> environment variables.

The environment has no history, so the provider keeps the version count and write time
in companion variables (GAUNTLET_SECRET_<NAME>__VERSION, __CREATED_AT, __ROTATED_AT) of
the same mapping. A variable set by hand without __CREATED_AT has an unknown age.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from datetime import UTC, datetime

from pydantic import SecretStr

from live.secrets.base import (
    SecretMetadata,
    SecretMetadataError,
    SecretNotFoundError,
    check_name,
)

PREFIX = "GAUNTLET_SECRET_"
_META = ("__VERSION", "__CREATED_AT", "__ROTATED_AT")


class EnvProvider:
    backend = "env"

    def __init__(self, environ: MutableMapping[str, str] | None = None) -> None:
        self._env = os.environ if environ is None else environ

    def __repr__(self) -> str:
        return "EnvProvider()"

    def get(self, name: str) -> SecretStr:
        value = self._env.get(self._var(name))
        if value is None:
            raise SecretNotFoundError(f"secret {name!r} not found: {self._var(name)} is not set")
        return SecretStr(value)

    def put(self, name: str, value: SecretStr) -> int:
        var = self._var(name)
        version = self._version(name) + 1 if var in self._env else 1
        self._env[var] = value.get_secret_value()
        self._env[var + "__VERSION"] = str(version)
        self._env[var + "__CREATED_AT"] = datetime.now(UTC).isoformat()
        return version

    def list(self) -> list[str]:
        names = (key[len(PREFIX) :] for key in self._env if key.startswith(PREFIX))
        return sorted(n.lower() for n in names if not n.endswith(_META))

    def metadata(self, name: str) -> SecretMetadata:
        self.get(name)  # raises when absent
        var = self._var(name)
        return SecretMetadata(
            name=name,
            version=self._version(name),
            created_at=self._time(var + "__CREATED_AT"),
            rotated_at=self._time(var + "__ROTATED_AT"),
        )

    def mark_rotated(self, name: str, at: datetime) -> None:
        self._env[self._var(name) + "__ROTATED_AT"] = at.astimezone(UTC).isoformat()

    def _version(self, name: str) -> int:
        variable = self._var(name) + "__VERSION"
        text = self._env.get(variable, "1")
        if not text.strip().isdigit() or int(text) < 1:
            raise SecretMetadataError(f"{variable}: not a version number (1, 2, …)")
        return int(text)

    def _time(self, variable: str) -> datetime | None:
        """An ISO 8601 time; one set by hand without a zone is read as UTC."""
        text = self._env.get(variable)
        if not text:
            return None
        try:
            at = datetime.fromisoformat(text)
        except ValueError:
            raise SecretMetadataError(
                f"{variable}: not an ISO 8601 time (e.g. 2026-01-31T12:00:00+00:00)"
            ) from None
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)

    @staticmethod
    def _var(name: str) -> str:
        return PREFIX + check_name(name).upper().replace("-", "_")
