"""The secrets provider the settings ask for, wired to the embedded OpenBao when none is configured."""

from __future__ import annotations

from live.secrets.base import SecretsProvider, SecretsUnavailableError
from live.secrets.env import EnvProvider
from live.secrets.vault import VaultProvider
from live.settings import GauntletSettings


def provider_from_settings(settings: GauntletSettings) -> SecretsProvider:
    if settings.secrets.backend == "env":
        return EnvProvider()
    vault = settings.vault
    if vault.addr is not None:
        if vault.token is None:
            raise SecretsUnavailableError(
                f"vault at {vault.addr} has no token: set GAUNTLET_VAULT__TOKEN"
            )
        return VaultProvider(
            vault.addr, vault.token, mount=vault.mount, path_prefix=vault.path_prefix
        )
    return _embedded(settings)


def _embedded(settings: GauntletSettings) -> VaultProvider:
    from live.stack.vault import EmbeddedVault

    embedded = EmbeddedVault()
    endpoint = embedded.status(settings.state_dir)
    if endpoint is None:
        raise SecretsUnavailableError(
            f"no vault configured and the embedded one under {settings.state_dir} is not running "
            "(or is sealed): run `gauntlet up --only vault` or set GAUNTLET_VAULT__ADDR"
        )
    token = settings.vault.token or embedded.root_token(settings.state_dir)
    return VaultProvider(
        endpoint.url, token, mount=settings.vault.mount, path_prefix=settings.vault.path_prefix
    )
