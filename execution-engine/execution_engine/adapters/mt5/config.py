"""The MetaTrader venue's configuration: a TOML file (`venues/mt5-sim.toml` style) →
`Mt5VenueConfig`, and the NautilusTrader client configs built from it.

The terminal's token is a secret NAME (`token_secret`), resolved when the bridge starts by
the callable the node passes to the factories; its value never sits in a file. Relative paths
(the bridge's certificate and key, `dev_tls_dir`) are read relative to the TOML file's folder,
and `~` is the user's home. With `dev_tls_dir` and no certificate of its own, the bridge
presents a development CA's server certificate (adapters/fix/devca.py), generated there once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from nautilus_trader.config import LiveDataClientConfig, LiveExecClientConfig
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from execution_engine.adapters.fix.devca import generate_dev_ca
from execution_engine.adapters.mt5 import keys
from execution_engine.adapters.mt5.bridge import BridgeConfig
from execution_engine.adapters.mt5.intents import INTENTS_FILE

# Re-exported (`as` form): the factories and the live node import it from here.
from execution_engine.adapters.secrets import SecretResolver as SecretResolver
from execution_engine.adapters.venue_files import VenueConfigError as VenueConfigError
from execution_engine.adapters.venue_files import first_problem, read_venue_toml

# The node's name for both MetaTrader clients (data clients by client id, execution by venue).
MT5_CLIENT = "MT5"
# Folder under the node's state folder that holds the intent journal.
MT5_STATE_SUBDIR = "mt5"
_DEV_CA_FILES = ("ca.pem", "server.pem", "server.key")


class Mt5VenueConfig(BaseModel):
    """One terminal behind one bridge."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: Literal["mt5", "mt4"]
    venue: str = Field(default="MT5", min_length=1, pattern=r"^[A-Z0-9_]+$")
    bridge: BridgeConfig
    token_secret: str = Field(min_length=1)
    dev_tls_dir: Path | None = None
    # NautilusTrader fixes a client's OMS when the node is built, before the terminal
    # connects: the account's margin mode is checked against this at connect.
    margin_mode: Literal["hedging", "netting"] = "hedging"
    connect_timeout_seconds: float = Field(default=30.0, gt=0, le=3_600)
    request_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    deviation_points: int = Field(default=10, ge=0, le=10_000)
    max_requotes: int = Field(default=3, ge=0, le=20)
    # How an order's intent is made durable before it is sent: "fsync" (a power loss keeps
    # it; the disk's sync is on every order's path, ~4 ms on the dev VM) or "flush" (a
    # killed node keeps it, the OS writes it a moment later).
    intent_sync: Literal["fsync", "flush"] = "fsync"
    magic: int | None = Field(default=None, ge=1, le=keys.MAX_MAGIC)
    symbols: tuple[str, ...] = ()

    def magic_for(self, trader_id: str) -> int:
        """The magic number this node's orders carry."""
        return self.magic if self.magic is not None else keys.magic_for(trader_id)

    def bridge_config(self) -> BridgeConfig:
        """The bridge's config, with the dev CA's server certificate when `dev_tls_dir` is set
        and the bridge has none (the CA is generated there if its files do not exist yet)."""
        if self.bridge.tls_cert is not None or self.dev_tls_dir is None:
            return self.bridge
        folder = self.dev_tls_dir
        if not all((folder / name).exists() for name in _DEV_CA_FILES):
            generate_dev_ca(folder)
        return self.bridge.model_copy(
            update={"tls_cert": folder / "server.pem", "tls_key": folder / "server.key"}
        )

    def state_dir(self, node_state: Path) -> Path:
        return node_state / MT5_STATE_SUBDIR / self.bridge.terminal


def load_mt5_venue_config(path: Path) -> Mt5VenueConfig:
    """The config in `path`, or VenueConfigError with one line naming the first bad field."""
    return mt5_venue_config_from_mapping(read_venue_toml(path), source=path)


def mt5_venue_config_from_mapping(raw: dict[str, Any], source: Path) -> Mt5VenueConfig:
    """Validate a parsed TOML mapping; relative paths resolve against `source`'s folder."""
    base = source.parent
    resolved = dict(raw)
    if isinstance(raw.get("dev_tls_dir"), str):
        resolved["dev_tls_dir"] = str(_path(raw["dev_tls_dir"], base))
    if isinstance(raw.get("bridge"), dict):
        bridge = dict(raw["bridge"])
        for key in ("tls_cert", "tls_key"):
            if isinstance(bridge.get(key), str):
                bridge[key] = str(_path(bridge[key], base))
        resolved["bridge"] = bridge
    try:
        return Mt5VenueConfig.model_validate(resolved)
    except ValidationError as exc:
        raise VenueConfigError(f"venue config {source}: {first_problem(exc)}") from None


def _path(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


# --- the NautilusTrader clients' configs (serializable: paths and names only; the secret
# resolver is bound into the factories instead, factories.py) -------------------------------


class Mt5DataClientConfig(LiveDataClientConfig, frozen=True, kw_only=True):
    """The MetaTrader market-data client. `venue` is the Mt5VenueConfig as JSON (the config
    stays serializable); `instruments` are the terminal's symbol names ("EURUSD")."""

    venue: dict[str, Any]
    instruments: tuple[str, ...]

    def venue_config(self) -> Mt5VenueConfig:
        return Mt5VenueConfig.model_validate(self.venue)


class Mt5ExecClientConfig(LiveExecClientConfig, frozen=True, kw_only=True):
    """The MetaTrader execution client, on the same bridge as the data client. `magic` is
    the node's (the venue's, or keys.magic_for(trader id)); `intents_path` its journal."""

    venue: dict[str, Any]
    instruments: tuple[str, ...]
    magic: int
    intents_path: str

    def venue_config(self) -> Mt5VenueConfig:
        return Mt5VenueConfig.model_validate(self.venue)


def mt5_client_configs(
    venue: Mt5VenueConfig, state_dir: Path, instruments: Sequence[str], *, trader_id: str
) -> tuple[Mt5DataClientConfig, Mt5ExecClientConfig]:
    """The data and execution client configs of one terminal. `instruments` are terminal
    symbols ("EURUSD"; "EUR/USD" is read as "EURUSD"); none: the venue's `symbols`."""
    names = tuple(name.replace("/", "") for name in instruments) or venue.symbols
    shared: dict[str, Any] = {"venue": venue.model_dump(mode="json"), "instruments": names}
    journal = venue.state_dir(state_dir) / INTENTS_FILE
    return (
        Mt5DataClientConfig(**shared),
        Mt5ExecClientConfig(**shared, magic=venue.magic_for(trader_id), intents_path=str(journal)),
    )
