"""The venues the CLI knows (`--venue`), read from their config files, and the secrets those
configs name: one owner for `gauntlet live start`, `gauntlet venue certify` and
`gauntlet venue token`. Every failure is one line and exit 2 (`fail`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from gauntlet.cli.app import fail

if TYPE_CHECKING:
    from execution_engine.adapters.secrets import SecretResolver
    from pydantic import SecretStr

VENUES = ("fix", "mt5", "mt4", "oanda")
METATRADER = ("mt5", "mt4")


def load_venue(kind: str, path: Path) -> Any:
    """The venue config of `kind` in `path` (FixVenueConfig, Mt5VenueConfig or
    OandaVenueConfig)."""
    if kind in METATRADER:
        return _metatrader(kind, path)
    if kind == "oanda":
        return _oanda(path)
    from execution_engine.adapters.fix.config import VenueConfigError, load_venue_config

    try:
        return load_venue_config(path)
    except VenueConfigError as exc:
        fail(f"--config: {exc}")


def _metatrader(kind: str, path: Path) -> Any:
    from execution_engine.adapters.mt5.config import VenueConfigError, load_mt5_venue_config

    try:
        config = load_mt5_venue_config(path)
    except VenueConfigError as exc:
        fail(f"--config: {exc}")
    if config.platform != kind:
        fail(f"--config: {path} is a {config.platform} terminal's config, not {kind}'s")
    return config


def _oanda(path: Path) -> Any:
    from execution_engine.adapters.oanda.config import VenueConfigError, load_oanda_venue_config

    try:
        return load_oanda_venue_config(path)
    except VenueConfigError as exc:
        fail(f"--config: {exc}")


def secret_names(config: Any) -> tuple[str, ...]:
    """The secrets a venue config names: FIX logon credentials, a terminal's or an OANDA
    account's token."""
    from execution_engine.adapters.fix.config import FixVenueConfig

    if isinstance(config, FixVenueConfig):
        return (config.username_secret, config.password_secret)
    return (config.token_secret,)


def read_secrets(names: tuple[str, ...]) -> dict[str, SecretStr]:
    """The named secrets from the configured provider, read now: a missing one is bad input
    before anything connects."""
    from live.secrets.base import SecretsError
    from live.secrets.factory import provider_from_settings
    from live.settings import SettingsError, load_settings

    try:
        provider = provider_from_settings(load_settings())
        return {name: provider.get(name) for name in names}
    except (SecretsError, SettingsError) as exc:
        fail(f"venue secrets: {' '.join(str(exc).split())}")


def venue_resolver(config: Any) -> SecretResolver:
    """A resolver that hands out only the venue's own secrets, all read now."""
    values = read_secrets(secret_names(config))

    def resolve(name: str) -> SecretStr:
        return values[name]

    return resolve
