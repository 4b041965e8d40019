"""The MetaTrader venue configs the README and `gauntlet sim mt5|mt4` use load as they say."""

from __future__ import annotations

from pathlib import Path

import pytest
from execution_engine.adapters.mt5.config import load_mt5_venue_config

VENUES = Path(__file__).resolve().parents[3] / "venues"


@pytest.mark.parametrize(
    ("name", "platform", "margin_mode"),
    [("mt5-sim.toml", "mt5", "netting"), ("mt4-sim.toml", "mt4", "hedging")],
)
def test_the_shipped_config_loads(name: str, platform: str, margin_mode: str) -> None:
    config = load_mt5_venue_config(VENUES / name)
    assert config.platform == platform
    assert config.margin_mode == margin_mode
    assert config.bridge.host == "127.0.0.1"
    assert config.dev_tls_dir is not None
    assert config.dev_tls_dir.is_absolute()  # relative to the file, as documented
    if platform == "mt4":
        assert config.bridge.http_port is not None  # MT4 polls over HTTPS
