"""The one settings model: environment (GAUNTLET_*, nested with `__`) over `gauntlet.toml`.

The TOML file is `gauntlet.toml` in the project directory, or the path in GAUNTLET_CONFIG.
An unset service URL means "use the embedded stack" (`gauntlet up`). Passwords and tokens
are `SecretStr` fields of their own; URLs carrying a password are refused so that a URL
can always be printed.
"""

from __future__ import annotations

import os
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

CONFIG_ENV = "GAUNTLET_CONFIG"
CONFIG_FILE = "gauntlet.toml"

# Which TOML file the next `GauntletSettings()` reads; set by `load_settings`.
_toml_file: ContextVar[Path | None] = ContextVar("gauntlet_toml_file", default=None)


def _no_password(url: str | None) -> str | None:
    if url is not None and urlsplit(url).password:
        raise ValueError(
            "must not contain a password; set the `password` (or `token`) field instead"
        )
    return url


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PostgresSettings(_Section):
    dsn: str | None = None  # e.g. postgresql://gauntlet@db:5432/gauntlet; None = embedded
    password: SecretStr | None = None
    _check = field_validator("dsn")(_no_password)


class RedisSettings(_Section):
    url: str | None = None  # e.g. redis://cache:6379/0; None = embedded
    password: SecretStr | None = None
    _check = field_validator("url")(_no_password)


class NatsSettings(_Section):
    url: str | None = None  # e.g. nats://bus:4222; None = embedded
    token: SecretStr | None = None
    prefix: str = "gauntlet"  # subject prefix and stream name stem
    _check = field_validator("url")(_no_password)


class VaultSettings(_Section):
    addr: str | None = None  # e.g. https://vault:8200; None = embedded OpenBao dev server
    token: SecretStr | None = None
    mount: str = "secret"  # KV v2 mount point
    path_prefix: str = "gauntlet"  # secrets live at <mount>/<path_prefix>/<name>
    _check = field_validator("addr")(_no_password)


MAX_AGE_DAYS = 36_500  # a century: a longer limit means "never", and overflows timedelta


class SecretsSettings(_Section):
    backend: Literal["vault", "env"] = "vault"
    max_age_days: int = Field(default=90, ge=1, le=MAX_AGE_DAYS)


class GauntletSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GAUNTLET_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    project_dir: Path = Field(default_factory=Path.cwd)
    data_dir: Path | None = None  # default: <project_dir>/.gauntlet
    catalog_path: Path | None = None  # default: <data_dir>/catalog
    mlflow_uri: str | None = None  # default: local file store under data_dir
    dask_scheduler: str | None = None  # None = local processes
    postgres: PostgresSettings = PostgresSettings()
    redis: RedisSettings = RedisSettings()
    nats: NatsSettings = NatsSettings()
    vault: VaultSettings = VaultSettings()
    secrets: SecretsSettings = SecretsSettings()
    _check = field_validator("mlflow_uri", "dask_scheduler")(_no_password)

    @model_validator(mode="after")
    def _defaults_under_project(self) -> GauntletSettings:
        # Frozen model: fill derived defaults through object.__setattr__ once, at validation.
        data_dir = self.data_dir or self.project_dir / ".gauntlet"
        object.__setattr__(self, "data_dir", data_dir)
        object.__setattr__(self, "catalog_path", self.catalog_path or data_dir / "catalog")
        object.__setattr__(self, "mlflow_uri", self.mlflow_uri or (data_dir / "mlruns").as_uri())
        return self

    @property
    def state_dir(self) -> Path:
        assert self.data_dir is not None  # set by the validator above
        return self.data_dir

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_toml_file.get())
        return (init_settings, env_settings, toml)

    def redacted(self) -> dict[str, Any]:
        """The effective settings as JSON-able data; every secret shows as '**********'."""
        return self.model_dump(mode="json")


class SettingsError(ValueError):
    """Settings that cannot be loaded; names the source and field, never the value."""


def config_file_for(project_dir: Path) -> Path | None:
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SettingsError(f"{CONFIG_ENV}={explicit}: no such file")
        return path
    default = project_dir / CONFIG_FILE
    return default if default.is_file() else None


def load_settings(project_dir: Path | None = None, **overrides: Any) -> GauntletSettings:
    """Effective settings for a project: overrides > environment > TOML file > defaults.

    Every way the sources can be wrong (a TOML syntax error, an unknown key, a wrong type, an
    environment value that does not parse) is one SettingsError naming the file or variable.
    """
    project = (project_dir or Path(os.environ.get("GAUNTLET_PROJECT_DIR") or Path.cwd())).resolve()
    config_file = config_file_for(project)
    if config_file is not None:
        read_toml(config_file)  # pydantic-settings would raise the parser's error unnamed
    token = _toml_file.set(config_file)
    try:
        return GauntletSettings(project_dir=project, **overrides)
    except ValidationError as exc:
        raise _invalid_value(exc, config_file) from None
    except SourceError as exc:
        raise _unparsable_environment(exc) from None
    finally:
        _toml_file.reset(token)


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed file; a syntax error names the file, line and column."""
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror}") from None


def _invalid_value(exc: ValidationError, config_file: Path | None) -> SettingsError:
    # The pydantic message quotes the input value, which may be a secret: rebuild it.
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    variable = _variable_for(first["loc"])
    if variable is not None:
        source = variable
    elif config_file is not None:
        source = f"{config_file} or GAUNTLET_* environment"
    else:
        source = "GAUNTLET_* environment"
    return SettingsError(f"settings ({source}): {field}: {first['msg']}")


def _variable_for(loc: tuple[int | str, ...]) -> str | None:
    """The GAUNTLET_* variable that set the field at `loc` (or its section), if one did."""
    names = {key.upper(): key for key in os.environ}
    parts = [str(part).upper() for part in loc]
    for depth in range(len(parts), 0, -1):
        name = "GAUNTLET_" + "__".join(parts[:depth])
        if name in names:
            return names[name]
    return None


def _unparsable_environment(exc: SourceError) -> SettingsError:
    # pydantic-settings reads a whole section (GAUNTLET_POSTGRES) as JSON; its message names
    # the field, never the variable or the value.
    found = re.search(r'field "([^"]+)"', str(exc))
    field = found.group(1) if found else "a section"
    variable = _variable_for((field,)) or "GAUNTLET_* environment"
    return SettingsError(
        f"settings ({variable}): {field}: not valid JSON (a section in one variable is a JSON object)"
    )
