"""`VaultProvider`: HashiCorp Vault (or OpenBao) KV v2 through hvac.

Secrets live at `<mount>/<path_prefix>/<name>` with the value under the key `value`.
Nothing read here is written to disk; a sealed or unreachable server raises
`SecretsUnavailableError` with one line naming the address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import hvac
import hvac.exceptions
import requests.exceptions
from pydantic import SecretStr

from live.secrets.base import (
    SecretMetadata,
    SecretNotFoundError,
    SecretsUnavailableError,
    check_name,
)

_ROTATED_AT = "rotated_at"  # custom_metadata key


class VaultProvider:
    backend = "vault"

    def __init__(
        self,
        addr: str,
        token: SecretStr,
        *,
        mount: str = "secret",
        path_prefix: str = "gauntlet",
        timeout: float = 5.0,
    ) -> None:
        self.addr = addr
        self._mount = mount
        self._prefix = path_prefix.strip("/")
        self._client = hvac.Client(url=addr, token=token.get_secret_value(), timeout=timeout)

    def __repr__(self) -> str:
        return f"VaultProvider(addr={self.addr!r}, mount={self._mount!r}, path_prefix={self._prefix!r})"

    def get(self, name: str) -> SecretStr:
        response = self._call(
            name,
            lambda kv: kv.read_secret_version(
                path=self._path(name), mount_point=self._mount, raise_on_deleted_version=True
            ),
        )
        return SecretStr(response["data"]["data"]["value"])

    def put(self, name: str, value: SecretStr) -> int:
        response = self._call(
            name,
            lambda kv: kv.create_or_update_secret(
                path=self._path(name),
                secret={"value": value.get_secret_value()},
                mount_point=self._mount,
            ),
        )
        return int(response["data"]["version"])

    def list(self) -> list[str]:
        try:
            response = self._call(
                "", lambda kv: kv.list_secrets(path=self._prefix, mount_point=self._mount)
            )
        except SecretNotFoundError:
            return []  # an empty prefix is a 404 in KV v2
        return sorted(key for key in response["data"]["keys"] if not key.endswith("/"))

    def metadata(self, name: str) -> SecretMetadata:
        data = self._call(
            name, lambda kv: kv.read_secret_metadata(path=self._path(name), mount_point=self._mount)
        )["data"]
        version = int(data["current_version"])
        custom = data.get("custom_metadata") or {}
        return SecretMetadata(
            name=name,
            version=version,
            created_at=_parse_time(data["versions"][str(version)]["created_time"]),
            rotated_at=datetime.fromisoformat(custom[_ROTATED_AT])
            if _ROTATED_AT in custom
            else None,
        )

    def mark_rotated(self, name: str, at: datetime) -> None:
        self._call(
            name,
            lambda kv: kv.update_metadata(
                path=self._path(name),
                mount_point=self._mount,
                custom_metadata={_ROTATED_AT: at.astimezone(UTC).isoformat()},
            ),
        )

    def _path(self, name: str) -> str:
        return f"{self._prefix}/{check_name(name)}"

    def _call(self, name: str, operation: Callable[[Any], Any]) -> Any:
        with self._translated(name):
            return operation(self._client.secrets.kv.v2)

    @contextmanager
    def _translated(self, name: str) -> Iterator[None]:
        # `from None` everywhere: hvac's exceptions may carry request details we do not want
        # chained into a traceback.
        try:
            yield
        except hvac.exceptions.VaultDown:
            raise SecretsUnavailableError(f"vault at {self.addr} is sealed") from None
        except hvac.exceptions.InvalidPath:
            raise SecretNotFoundError(
                f"secret {name!r} not found in vault at {self.addr}"
            ) from None
        except hvac.exceptions.Forbidden:
            raise SecretsUnavailableError(
                f"vault at {self.addr} refused the token (permission denied)"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise SecretsUnavailableError(
                f"vault at {self.addr} is unreachable ({type(exc).__name__})"
            ) from None
        except hvac.exceptions.VaultError as exc:
            raise SecretsUnavailableError(
                f"vault at {self.addr} failed: {type(exc).__name__}"
            ) from None


def _parse_time(text: str) -> datetime:
    # Vault writes RFC 3339 in UTC with up to nanoseconds ("2026-11-26T17:03:40.711234567Z"), which
    # fromisoformat cannot take; keep microseconds.
    head, _, frac = text.removesuffix("Z").partition(".")
    micros = (frac + "000000")[:6]
    return datetime.fromisoformat(f"{head}.{micros}+00:00")
