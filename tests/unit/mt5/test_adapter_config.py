"""The MetaTrader venue config: TOML → Mt5VenueConfig with one-line errors, relative paths,
the dev CA made once, and the client configs (serializable, the node's magic)."""

from __future__ import annotations

from pathlib import Path

import pytest
from execution_engine.adapters.mt5 import keys
from execution_engine.adapters.mt5.config import (
    Mt5ExecClientConfig,
    VenueConfigError,
    load_mt5_venue_config,
    mt5_client_configs,
)

REPO = Path(__file__).resolve().parents[3]
MINIMAL = """
platform = "mt5"
token_secret = "t"
[bridge]
port = 0
terminal = "term-1"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "venue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_simulator_config_loads() -> None:
    config = load_mt5_venue_config(REPO / "venues" / "mt5-sim.toml")
    assert config.platform == "mt5"
    assert config.token_secret == "mt5_sim_token"
    assert config.bridge.terminal == "sim-terminal-1"
    assert config.bridge.host == "127.0.0.1"
    assert config.dev_tls_dir == REPO / "venues" / ".." / ".gauntlet/sim/mt5/dev-tls"
    assert config.symbols == ("EURUSD",)


def test_defaults(tmp_path: Path) -> None:
    config = load_mt5_venue_config(write(tmp_path, MINIMAL))
    assert (config.venue, config.margin_mode) == ("MT5", "hedging")
    assert (config.connect_timeout_seconds, config.request_timeout_seconds) == (30, 5)
    assert (config.deviation_points, config.max_requotes, config.magic) == (10, 3, None)
    assert config.intent_sync == "fsync"
    assert config.bridge_config() == config.bridge  # no dev CA asked for


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL.replace('token_secret = "t"', ""), "missing field token_secret"),
        (MINIMAL.replace('"mt5"', '"mt6"'), "field platform"),
        (MINIMAL + "colour = 1\n", "unknown field bridge.colour"),
        (MINIMAL.replace("port = 0", 'port = 0\nhost = "0.0.0.0"'), "only with TLS"),
        ("platform = ", "not valid TOML"),
    ],
)
def test_a_bad_config_is_one_line_naming_the_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(VenueConfigError, match=message) as caught:
        load_mt5_venue_config(write(tmp_path, text))
    assert "\n" not in str(caught.value)
    assert str(tmp_path / "venue.toml") in str(caught.value)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(VenueConfigError, match="cannot read"):
        load_mt5_venue_config(tmp_path / "nope.toml")


def test_the_dev_ca_is_made_once_and_reused(tmp_path: Path) -> None:
    config = load_mt5_venue_config(write(tmp_path, 'dev_tls_dir = "tls"\n' + MINIMAL))
    assert config.dev_tls_dir == tmp_path / "tls"
    bridge = config.bridge_config()
    assert bridge.tls_cert == tmp_path / "tls" / "server.pem"
    assert bridge.tls_key == tmp_path / "tls" / "server.key"
    made = (tmp_path / "tls" / "ca.pem").read_bytes()
    config.bridge_config()
    assert (tmp_path / "tls" / "ca.pem").read_bytes() == made


def test_the_bridges_own_certificate_wins(tmp_path: Path) -> None:
    text = MINIMAL.replace("port = 0", 'port = 0\ntls_cert = "c.pem"\ntls_key = "k.pem"')
    config = load_mt5_venue_config(write(tmp_path, 'dev_tls_dir = "tls"\n' + text))
    assert config.bridge_config().tls_cert == tmp_path / "c.pem"
    assert not (tmp_path / "tls").exists()


def test_client_configs(tmp_path: Path) -> None:
    config = load_mt5_venue_config(write(tmp_path, 'symbols = ["EURUSD"]\n' + MINIMAL))
    data, execution = mt5_client_configs(config, tmp_path / "state", (), trader_id="TRADER-001")
    assert data.instruments == execution.instruments == ("EURUSD",)
    assert execution.magic == keys.magic_for("TRADER-001")
    assert Path(execution.intents_path) == tmp_path / "state" / "mt5" / "term-1" / "intents.jsonl"
    assert execution.venue_config() == config
    assert Mt5ExecClientConfig.parse(execution.json()) == execution  # serializable
    chosen = config.model_copy(update={"magic": 77})
    _, other = mt5_client_configs(chosen, tmp_path, ("GBP/USD",), trader_id="T-1")
    assert (other.magic, other.instruments) == (77, ("GBPUSD",))
