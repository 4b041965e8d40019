"""VaultProvider against a real OpenBao dev server (KV v2), rotation and staleness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from live.secrets import (
    InvalidSecretNameError,
    SecretNotFoundError,
    VaultProvider,
    rotate,
    stale_keys,
)

pytestmark = pytest.mark.services


def test_put_get_versions_and_list(vault: VaultProvider) -> None:
    assert vault.list() == []
    assert vault.put("oanda_key", SecretStr("v1-value")) == 1
    assert vault.put("oanda_key", SecretStr("v2-value")) == 2
    vault.put("fix_password", SecretStr("pw"))
    assert vault.get("oanda_key").get_secret_value() == "v2-value"
    assert vault.list() == ["fix_password", "oanda_key"]
    meta = vault.metadata("oanda_key")
    assert meta.version == 2
    assert meta.created_at is not None
    assert abs(datetime.now(UTC) - meta.created_at) < timedelta(minutes=1)
    assert meta.rotated_at is None


def test_rotate_writes_a_new_version_and_records_when(vault: VaultProvider) -> None:
    vault.put("api_key", SecretStr("old"))
    before = datetime.now(UTC)
    version = rotate(vault, "api_key", SecretStr("new"))
    meta = vault.metadata("api_key")
    assert version == 2 == meta.version
    assert vault.get("api_key").get_secret_value() == "new"
    assert meta.rotated_at is not None
    assert before - timedelta(seconds=1) <= meta.rotated_at <= datetime.now(UTC)


def test_keys_older_than_the_limit_are_flagged(vault: VaultProvider) -> None:
    vault.put("old_key", SecretStr("a"))
    vault.put("fresh_key", SecretStr("b"))
    written = vault.metadata("old_key").created_at
    assert written is not None
    assert stale_keys(vault, 90) == []
    # Vault stamps versions with its own clock; look at them from 91 days later.
    later = written + timedelta(days=91)
    assert {k.name for k in stale_keys(vault, 90, now=later)} == {"old_key", "fresh_key"}
    rotate(vault, "fresh_key", SecretStr("c"))
    fresh_written = vault.metadata("fresh_key").created_at
    assert fresh_written is not None
    # Exactly 90 days after the rotation: the rotated key is at the limit, the other past it.
    check_at = fresh_written + timedelta(days=90)
    assert [(k.name, k.version) for k in stale_keys(vault, 90, now=check_at)] == [("old_key", 1)]


def test_missing_secret_names_the_secret_not_a_value(vault: VaultProvider) -> None:
    with pytest.raises(
        SecretNotFoundError, match=r"^secret 'nope' not found in vault at http://127\.0\.0\.1:\d+$"
    ):
        vault.get("nope")


@pytest.mark.parametrize("name", ["../escape", "a/b", "", "has space"])
def test_names_that_would_leave_the_prefix_are_refused(vault: VaultProvider, name: str) -> None:
    with pytest.raises(InvalidSecretNameError, match="invalid secret name"):
        vault.put(name, SecretStr("x"))
