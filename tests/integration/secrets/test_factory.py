"""Which provider the settings give: env, a configured Vault, or the embedded OpenBao."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from live.secrets import EnvProvider, SecretsUnavailableError, VaultProvider
from live.secrets.factory import provider_from_settings
from live.settings import load_settings
from live.stack.vault import EmbeddedVault
from tests.fixtures.vault import VaultServer

pytestmark = pytest.mark.services


def test_env_backend(tmp_path: Path) -> None:
    assert isinstance(
        provider_from_settings(load_settings(tmp_path, secrets={"backend": "env"})), EnvProvider
    )


def test_configured_vault_is_used_with_its_token(tmp_path: Path, vault_server: VaultServer) -> None:
    prefix = "t" + uuid.uuid4().hex[:12]
    settings = load_settings(
        tmp_path,
        vault={
            "addr": vault_server.addr,
            "token": vault_server.token.get_secret_value(),
            "path_prefix": prefix,
        },
    )
    provider = provider_from_settings(settings)
    assert isinstance(provider, VaultProvider)
    assert provider.put("k", SecretStr("v")) == 1
    assert vault_server.provider(prefix).get("k").get_secret_value() == "v"


def test_configured_vault_without_token_is_refused(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, vault={"addr": "https://vault.internal:8200"})
    with pytest.raises(SecretsUnavailableError, match="has no token: set GAUNTLET_VAULT__TOKEN"):
        provider_from_settings(settings)


def test_embedded_vault_is_found_under_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    with pytest.raises(SecretsUnavailableError, match="run `gauntlet up --only vault`"):
        provider_from_settings(settings)
    EmbeddedVault().start(settings.state_dir)
    try:
        provider = provider_from_settings(settings)
        assert provider.put("k", SecretStr("v")) == 1
    finally:
        EmbeddedVault().stop(settings.state_dir)
    assert not (settings.state_dir / "vault" / "root-token").exists()  # the dev token dies with it
