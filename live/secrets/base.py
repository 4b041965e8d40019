"""The secrets-provider interface, its metadata and its errors.

Values travel as `SecretStr` so a stray print, log line or repr shows '**********'.
Error messages name the secret and the backend, never the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import SecretStr

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,127}$")


class SecretsError(Exception):
    """Base class for secrets errors."""


class InvalidSecretNameError(SecretsError, ValueError):
    pass


class SecretMetadataError(SecretsError, ValueError):
    """The backend's bookkeeping for a secret (version, times) does not parse; names where."""


class SecretNotFoundError(SecretsError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class SecretsUnavailableError(SecretsError):
    """The backend is sealed, unreachable or refuses our token; nothing was read or cached."""


@dataclass(frozen=True)
class SecretMetadata:
    name: str
    version: int  # current version, 1 for the first write
    created_at: datetime | None  # when the current version was written (UTC); None = unknown
    rotated_at: datetime | None = None  # when `rotate` last wrote it


class SecretsProvider(Protocol):
    backend: str  # "vault" | "env", for messages

    def get(self, name: str) -> SecretStr: ...

    def put(self, name: str, value: SecretStr) -> int:
        """Write a new version; returns its number."""

    def list(self) -> list[str]: ...

    def metadata(self, name: str) -> SecretMetadata: ...

    def mark_rotated(self, name: str, at: datetime) -> None:
        """Record when the secret was last rotated."""


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidSecretNameError(
            f"invalid secret name {name!r}: use letters, digits, '_' and '-' (at most 128)"
        )
    return name
