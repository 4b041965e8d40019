"""The settings model: defaults under the project, TOML file, environment over TOML, redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from live.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("GAUNTLET_"):
            monkeypatch.delenv(key)


def test_defaults_put_everything_under_the_project(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.data_dir == tmp_path.resolve() / ".gauntlet"
    assert settings.catalog_path == tmp_path.resolve() / ".gauntlet" / "catalog"
    assert settings.mlflow_uri == (tmp_path.resolve() / ".gauntlet" / "mlruns").as_uri()
    # Unset URLs mean "embedded stack".
    assert (settings.postgres.dsn, settings.redis.url, settings.nats.url, settings.vault.addr) == (
        None,
    ) * 4
    assert settings.vault.mount == "secret"
    assert settings.secrets.max_age_days == 90


def test_toml_file_in_the_project_is_read(tmp_path: Path) -> None:
    (tmp_path / "gauntlet.toml").write_text(
        'data_dir = "/srv/gauntlet"\n[nats]\nurl = "nats://bus:4222"\n[vault]\naddr = "https://vault:8200"\n'
    )
    settings = load_settings(tmp_path)
    assert settings.nats.url == "nats://bus:4222"
    assert settings.vault.addr == "https://vault:8200"
    assert settings.data_dir == Path("/srv/gauntlet")


def test_environment_overrides_toml_with_nested_delimiter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "gauntlet.toml").write_text(
        '[nats]\nurl = "nats://from-file:4222"\nprefix = "prod"\n'
    )
    monkeypatch.setenv("GAUNTLET_NATS__URL", "nats://from-env:4222")
    monkeypatch.setenv("GAUNTLET_SECRETS__BACKEND", "env")
    monkeypatch.setenv(
        "GAUNTLET_SECRET_SOMETHING", "not a setting"
    )  # the env provider's, ignored here
    settings = load_settings(tmp_path)
    assert settings.nats.url == "nats://from-env:4222"
    assert settings.nats.prefix == "prod"
    assert settings.secrets.backend == "env"


def test_gauntlet_config_points_at_another_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text('[redis]\nurl = "redis://cache:6379/2"\n')
    monkeypatch.setenv("GAUNTLET_CONFIG", str(other))
    assert load_settings(tmp_path / "project").redis.url == "redis://cache:6379/2"
    monkeypatch.setenv("GAUNTLET_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(SettingsError, match=r"GAUNTLET_CONFIG=.*missing\.toml: no such file"):
        load_settings(tmp_path)


def test_secrets_are_redacted_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAUNTLET_VAULT__TOKEN", "hvs.canary-token")
    monkeypatch.setenv("GAUNTLET_POSTGRES__PASSWORD", "pg-canary")
    settings = load_settings(tmp_path)
    assert settings.vault.token is not None
    assert settings.vault.token.get_secret_value() == "hvs.canary-token"
    shown = [str(settings.redacted()), repr(settings), str(settings)]
    for text in shown:
        assert "canary" not in text
    assert settings.redacted()["vault"]["token"] == "**********"


def test_unknown_key_in_toml_is_named_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "gauntlet.toml").write_text("[natz]\nurl = 'nats://x:4222'\n")
    with pytest.raises(
        SettingsError, match=r"gauntlet\.toml or GAUNTLET_\* environment\): natz: Extra inputs"
    ):
        load_settings(tmp_path)


def test_password_in_a_url_is_refused_without_echoing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAUNTLET_POSTGRES__DSN", "postgresql://app:pw-canary@db:5432/gauntlet")
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path)
    assert "postgres.dsn" in str(caught.value)
    assert "must not contain a password" in str(caught.value)
    assert "pw-canary" not in str(caught.value)
