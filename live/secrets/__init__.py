"""Secrets: one provider interface, Vault KV v2 for production, environment for development."""

from live.secrets.base import (
    InvalidSecretNameError,
    SecretMetadata,
    SecretMetadataError,
    SecretNotFoundError,
    SecretsError,
    SecretsProvider,
    SecretsUnavailableError,
)
from live.secrets.env import EnvProvider
from live.secrets.rotation import StaleKey, generate_secret, rotate, stale_keys
from live.secrets.vault import VaultProvider

__all__ = [
    "EnvProvider",
    "InvalidSecretNameError",
    "SecretMetadata",
    "SecretMetadataError",
    "SecretNotFoundError",
    "SecretsError",
    "SecretsProvider",
    "SecretsUnavailableError",
    "StaleKey",
    "VaultProvider",
    "generate_secret",
    "rotate",
    "stale_keys",
]
