"""The OANDA venue's configuration: a TOML file (`venues/oanda-practice.toml` style) →
`OandaVenueConfig`, and the NautilusTrader client configs built from it.

`environment` picks the endpoint: OANDA's practice or live servers, or `sim` (the v20
simulator of `gauntlet sim oanda` at `host`:`port`, plain HTTP unless `tls`). The access
token is a secret NAME (`token_secret`) resolved by the node's SecretResolver when the
clients connect; its value never sits in a file. Without `account_id` the first account the
token lists is traded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from nautilus_trader.config import LiveDataClientConfig, LiveExecClientConfig
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# Re-exported (`as` form): the factories and the live node import it from here.
from execution_engine.adapters.secrets import SecretResolver as SecretResolver
from execution_engine.adapters.venue_files import VenueConfigError as VenueConfigError
from execution_engine.adapters.venue_files import first_problem, read_venue_toml

# The node's name for both OANDA clients (data clients by client id, execution by venue).
OANDA_CLIENT = "OANDA"
OANDA_VENUE = "OANDA"
# Folder under the node's state folder holding the last applied transaction id.
OANDA_STATE_SUBDIR = "oanda"


class OandaVenueConfig(BaseModel):
    """One OANDA account reached with one access token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    environment: Literal["practice", "live", "sim"]
    venue: str = Field(default=OANDA_VENUE, min_length=1, pattern=r"^[A-Z0-9_]+$")
    token_secret: str = Field(min_length=1)
    account_id: str | None = Field(default=None, pattern=r"^\d{3}-\d{3}-\d+-\d{3}$")
    # The simulator only: where it listens and whether it speaks TLS (`ca_file` trusted).
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65_535)
    tls: bool = False
    ca_file: Path | None = None
    # NautilusTrader fixes a client's OMS when the node is built: checked against the
    # account's hedgingEnabled when the execution client connects.
    hedging: bool = False
    # OANDA's pricing stream heartbeats every 5 s; silence for two intervals is a stall.
    heartbeat_seconds: float = Field(default=5.0, gt=0, le=60)
    request_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    max_retries: int = Field(default=5, ge=0, le=20)
    max_connections: int = Field(default=10, ge=1, le=100)
    # OANDA allows 120 requests/s per connection; the client paces itself below that.
    max_requests_per_second: int = Field(default=100, ge=1, le=120)
    instruments: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _sim_has_a_port(self) -> OandaVenueConfig:
        if self.environment == "sim" and self.port is None:
            raise ValueError("environment 'sim' needs the simulator's port")
        if self.environment != "sim" and (self.port is not None or self.tls):
            raise ValueError(f"port and tls are the simulator's; {self.environment} is OANDA's")
        return self

    def state_dir(self, node_state: Path) -> Path:
        return node_state / OANDA_STATE_SUBDIR / (self.account_id or "first-account")

    @property
    def endpoint_text(self) -> str:
        """Where the clients connect, for a status line."""
        if self.environment == "sim":
            scheme = "https" if self.tls else "http"
            return f"{scheme}://{self.host}:{self.port} (OANDA simulator)"
        return f"OANDA {self.environment}"


def load_oanda_venue_config(path: Path) -> OandaVenueConfig:
    """The config in `path`, or VenueConfigError with one line naming the first bad field."""
    return oanda_venue_config_from_mapping(read_venue_toml(path), source=path)


def oanda_venue_config_from_mapping(raw: dict[str, Any], source: Path) -> OandaVenueConfig:
    """Validate a parsed TOML mapping; a relative `ca_file` resolves against `source`'s folder."""
    resolved = dict(raw)
    if isinstance(raw.get("ca_file"), str):
        path = Path(raw["ca_file"]).expanduser()
        resolved["ca_file"] = str(path if path.is_absolute() else source.parent / path)
    try:
        return OandaVenueConfig.model_validate(resolved)
    except ValidationError as exc:
        raise VenueConfigError(f"venue config {source}: {first_problem(exc)}") from None


# --- the NautilusTrader clients' configs (serializable: the venue as JSON; the secret
# resolver and the quote tap are bound into the factories instead, factories.py) ----------


class OandaDataClientConfig(LiveDataClientConfig, frozen=True, kw_only=True):
    """The OANDA market-data client; `instruments` are OANDA names ("EUR_USD")."""

    venue: dict[str, Any]
    instruments: tuple[str, ...]

    def venue_config(self) -> OandaVenueConfig:
        return OandaVenueConfig.model_validate(self.venue)


class OandaExecClientConfig(LiveExecClientConfig, frozen=True, kw_only=True):
    """The OANDA execution client; `state_path` holds the last applied transaction id."""

    venue: dict[str, Any]
    instruments: tuple[str, ...]
    state_path: str

    def venue_config(self) -> OandaVenueConfig:
        return OandaVenueConfig.model_validate(self.venue)


LAST_TRANSACTION_FILE = "last_transaction_id"


def oanda_client_configs(
    venue: OandaVenueConfig, state_dir: Path, instruments: Sequence[str]
) -> tuple[OandaDataClientConfig, OandaExecClientConfig]:
    """The data and execution client configs of one account. `instruments` are OANDA names
    ("EUR_USD"); none: the venue's `instruments`."""
    names = tuple(instruments) or venue.instruments
    shared: dict[str, Any] = {"venue": venue.model_dump(mode="json"), "instruments": names}
    state = venue.state_dir(state_dir) / LAST_TRANSACTION_FILE
    return OandaDataClientConfig(**shared), OandaExecClientConfig(**shared, state_path=str(state))
