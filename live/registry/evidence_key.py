"""The key evidence bundles are signed with (HMAC-SHA256 of the manifest), from the secrets
provider the settings name (live.secrets.factory): Vault in production; in development the env
backend reads it from GAUNTLET_SECRET_EVIDENCE_SIGNING_KEY (with GAUNTLET_SECRETS__BACKEND=env).

No key is not an error: the bundle is then written and verified "unsigned", and `note` says why,
so the output never pretends a signature was made or checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from live.secrets import SecretNotFoundError, SecretsError
from live.secrets.factory import provider_from_settings
from live.settings import load_settings

SECRET_NAME = "evidence_signing_key"


@dataclass(frozen=True)
class SigningKey:
    value: bytes | None  # None: unsigned
    note: str  # where the key came from, or why there is none

    def __repr__(self) -> str:  # never the key
        return f"SigningKey({'set' if self.value else 'none'}, {self.note!r})"


def evidence_signing_key() -> SigningKey:
    """The configured signing key, or none with the reason (SettingsError propagates: broken
    settings are the user's to fix)."""
    try:
        provider = provider_from_settings(load_settings())
        secret = provider.get(SECRET_NAME).get_secret_value()
    except SecretNotFoundError:
        return SigningKey(None, f"no secret {SECRET_NAME} in the secrets provider")
    except SecretsError as exc:  # sealed / unreachable Vault, no token
        return SigningKey(None, f"secrets provider unavailable: {exc}")
    if not secret.strip():
        return SigningKey(None, f"secret {SECRET_NAME} is empty")
    return SigningKey(secret.encode(), f"secret {SECRET_NAME} ({provider.backend})")
