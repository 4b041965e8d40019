"""The OANDA venue config: the shipped files load, and a bad one is one line naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from execution_engine.adapters.oanda.config import (
    VenueConfigError,
    load_oanda_venue_config,
    oanda_client_configs,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", ["oanda-sim.toml", "oanda-practice.toml"])
def test_the_shipped_configs_load(name) -> None:
    config = load_oanda_venue_config(ROOT / "venues" / name)
    assert config.token_secret.startswith("oanda_")
    assert config.instruments == ("EUR_USD",)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('environment = "demo"\ntoken_secret = "t"', "field environment"),
        ('environment = "sim"\ntoken_secret = "t"', "needs the simulator's port"),
        ('environment = "practice"\ntoken_secret = "t"\nport = 1', "are the simulator's"),
        ('environment = "practice"', "missing field token_secret"),
        ('environment = "practice"\ntoken_secret = "t"\ntoken = "x"', "unknown field token"),
        ('environment = "practice"\ntoken_secret = "t"\naccount_id = "12"', "account_id"),
        ("environment = ", "not valid TOML"),
    ],
)
def test_a_bad_config_is_one_line_naming_the_field(tmp_path, text, words) -> None:
    path = tmp_path / "venue.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(VenueConfigError, match=words) as caught:
        load_oanda_venue_config(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_client_configs_carry_the_venue_and_the_state_file(tmp_path) -> None:
    venue = load_oanda_venue_config(ROOT / "venues" / "oanda-sim.toml")
    data, execution = oanda_client_configs(venue, tmp_path, ["GBP_USD"])
    assert data.instruments == execution.instruments == ("GBP_USD",)
    assert data.venue_config() == venue
    assert execution.state_path.startswith(str(tmp_path / "oanda"))
