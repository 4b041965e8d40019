"""The FIX venue's configuration: a TOML file (`venues/fix-sim.toml` style) → `FixVenueConfig`.

Credentials are secret NAMES (`username_secret`, `password_secret`) resolved at logon by a
callable the node passes in (the secrets provider); a value never sits in the file. Relative
TLS paths are read relative to the TOML file's folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from nautilus_trader.config import LiveDataClientConfig, LiveExecClientConfig
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

# Re-exported (`as` form): the FIX modules and the live node import it from here.
from execution_engine.adapters.secrets import SecretResolver as SecretResolver
from execution_engine.adapters.venue_files import VenueConfigError as VenueConfigError
from execution_engine.adapters.venue_files import first_problem, read_venue_toml

# Folder under the node's state folder that holds the FIX store and message logs.
FIX_STATE_SUBDIR = "fix"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TlsConfig(_Frozen):
    """The initiator's TLS: the CA that must have signed the venue's certificate, and an
    optional client certificate for venues that ask for one."""

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None
    verify: bool = True

    @model_validator(mode="after")
    def _cert_with_key(self) -> TlsConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together: give both or neither")
        return self


class FixVenueConfig(_Frozen):
    """One FIX 4.4 initiator session."""

    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65_535)
    sender_comp_id: str = Field(min_length=1)
    target_comp_id: str = Field(min_length=1)
    begin_string: Literal["FIX.4.4"] = "FIX.4.4"
    heartbeat_seconds: int = Field(default=30, ge=1, le=3_600)
    username_secret: str = Field(min_length=1)
    password_secret: str = Field(min_length=1)
    tls: TlsConfig
    # Logon attempts before giving up (a rejected password must not become a retry storm),
    # and the first wait between them (doubled after each failure).
    max_logon_attempts: int = Field(default=3, ge=1, le=20)
    logon_backoff_seconds: float = Field(default=1.0, gt=0, le=300)
    logon_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    account: str | None = None

    def state_dir(self, node_state: Path) -> Path:
        """Where this session's store and logs live under the node's state folder."""
        return node_state / FIX_STATE_SUBDIR / f"{self.sender_comp_id}-{self.target_comp_id}"

    def credentials(self, resolve: SecretResolver) -> tuple[SecretStr, SecretStr]:
        """(username, password) from the secrets provider."""
        return resolve(self.username_secret), resolve(self.password_secret)


def load_venue_config(path: Path) -> FixVenueConfig:
    """The config in `path`, or VenueConfigError with one line naming the first bad field."""
    return venue_config_from_mapping(read_venue_toml(path), source=path)


def venue_config_from_mapping(raw: dict[str, Any], source: Path) -> FixVenueConfig:
    """Validate a parsed TOML mapping; relative TLS paths resolve against `source`'s folder."""
    if isinstance(raw.get("tls"), dict):
        raw = {**raw, "tls": _resolved_tls(raw["tls"], source.parent)}
    try:
        return FixVenueConfig.model_validate(raw)
    except ValidationError as exc:
        raise VenueConfigError(f"venue config {source}: {first_problem(exc)}") from None


def _resolved_tls(tls: dict[str, Any], base: Path) -> dict[str, Any]:
    resolved = dict(tls)
    for key in ("ca_file", "cert_file", "key_file"):
        value = resolved.get(key)
        if isinstance(value, str) and not Path(value).is_absolute():
            resolved[key] = str(base / value)
    return resolved


# --- the NautilusTrader clients' configs (serializable; the secret resolver is bound into
# the factories instead, factories.py) ------------------------------------------------------

# The node's name for both FIX clients (data clients by client id, execution by venue).
FIX_CLIENT = "FIX"


class FixDataClientConfig(LiveDataClientConfig, frozen=True, kw_only=True):
    """The FIX market-data client: quotes by MarketDataRequest. `venue` is the session's
    FixVenueConfig as JSON (the config stays serializable); `node_state` holds its store."""

    venue: dict[str, Any]
    node_state: str
    instruments: tuple[str, ...]

    def venue_config(self) -> FixVenueConfig:
        return FixVenueConfig.model_validate(self.venue)


class FixExecClientConfig(LiveExecClientConfig, frozen=True, kw_only=True):
    """The FIX execution client, on the same session as the data client (same `venue`).
    FIX 4.4 sessions carry no balances (the simulator sends no CollateralReport), so the
    account starts from `starting_balance`; `request_timeout_seconds` bounds each
    reconciliation query's wait for the venue."""

    venue: dict[str, Any]
    node_state: str
    instruments: tuple[str, ...]
    starting_balance: str = "100000 USD"
    request_timeout_seconds: float = 5.0

    def venue_config(self) -> FixVenueConfig:
        return FixVenueConfig.model_validate(self.venue)


def fix_client_configs(
    venue: FixVenueConfig, node_state: Path, instruments: Sequence[str], **exec_options: Any
) -> tuple[FixDataClientConfig, FixExecClientConfig]:
    """The data and execution client configs of one FIX session."""
    shared: dict[str, Any] = {
        "venue": venue.model_dump(mode="json"),
        "node_state": str(node_state),
        "instruments": tuple(instruments),
    }
    return FixDataClientConfig(**shared), FixExecClientConfig(**shared, **exec_options)
