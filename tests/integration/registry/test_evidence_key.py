"""The evidence signing key from the secrets provider: found, or none with the reason (bundles
are then unsigned and say so); broken settings are an error, not "unsigned"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from live.registry.evidence_key import evidence_signing_key
from live.settings import SettingsError


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("GAUNTLET_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GAUNTLET_PROJECT_DIR", str(tmp_path))  # no gauntlet.toml, no stack


def test_the_env_backend_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAUNTLET_SECRETS__BACKEND", "env")
    monkeypatch.setenv("GAUNTLET_SECRET_EVIDENCE_SIGNING_KEY", "s3cret")
    key = evidence_signing_key()
    assert key.value == b"s3cret"
    assert "env" in key.note
    assert "s3cret" not in repr(key)


@pytest.mark.parametrize(("value", "note"), [(None, "no secret"), ("  ", "is empty")])
def test_no_usable_key_is_unsigned_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, value: str | None, note: str
) -> None:
    monkeypatch.setenv("GAUNTLET_SECRETS__BACKEND", "env")
    if value is not None:
        monkeypatch.setenv("GAUNTLET_SECRET_EVIDENCE_SIGNING_KEY", value)
    key = evidence_signing_key()
    assert key.value is None
    assert note in key.note


def test_no_vault_running_is_unsigned_with_the_reason() -> None:
    key = evidence_signing_key()  # default backend: vault, and none is configured or running
    assert key.value is None
    assert key.note.startswith("secrets provider unavailable: ")


def test_broken_settings_are_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAUNTLET_SECRETS__BACKEND", "carrier-pigeon")
    with pytest.raises(SettingsError, match=r"secrets\.backend"):
        evidence_signing_key()
