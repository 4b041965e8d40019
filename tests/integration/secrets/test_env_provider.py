"""EnvProvider: GAUNTLET_SECRET_<NAME> variables, with rotation and staleness like Vault's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from live.secrets import EnvProvider, SecretNotFoundError, rotate, stale_keys


def test_reads_variables_set_by_hand() -> None:
    provider = EnvProvider({"GAUNTLET_SECRET_OANDA_KEY": "abc", "OTHER": "x"})
    assert provider.get("oanda_key").get_secret_value() == "abc"
    assert provider.get("oanda-key").get_secret_value() == "abc"
    assert provider.list() == ["oanda_key"]
    assert provider.metadata("oanda_key").created_at is None


def test_put_and_rotate_count_versions_and_record_times() -> None:
    env: dict[str, str] = {}
    provider = EnvProvider(env)
    assert provider.put("api_key", SecretStr("one")) == 1
    assert rotate(provider, "api_key", SecretStr("two")) == 2
    meta = provider.metadata("api_key")
    assert env["GAUNTLET_SECRET_API_KEY"] == "two"
    assert meta.version == 2
    assert meta.rotated_at is not None
    assert meta.created_at is not None
    assert provider.list() == ["api_key"]


def test_unknown_age_counts_as_stale_until_rotated() -> None:
    env = {"GAUNTLET_SECRET_HAND_SET": "x"}
    provider = EnvProvider(env)
    assert [(k.name, k.age_days) for k in stale_keys(provider)] == [("hand_set", None)]
    rotate(provider, "hand_set", SecretStr("y"))
    assert stale_keys(provider) == []
    assert len(stale_keys(provider, now=datetime.now(UTC) + timedelta(days=91))) == 1


def test_missing_variable_is_named() -> None:
    with pytest.raises(SecretNotFoundError, match="GAUNTLET_SECRET_NOPE is not set"):
        EnvProvider({}).get("nope")
