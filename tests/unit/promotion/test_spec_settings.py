"""Spec account and rebalance settings (ADR 0002 §12-§13) and the instrument's default costs:
optional, BacktestConfig's names and meaning, checked by BacktestConfig itself."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from research.engine.config import AccountKind, Rebalance
from research.promotion.errors import PromotionInputError
from research.promotion.spec import parse_spec

PASSING = Path("specs/sma_cross_h1.yaml")


def _raw() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(PASSING.read_text())
    return raw


def test_settings_left_out_are_the_configs_defaults_and_keep_the_hash() -> None:
    spec = parse_spec(_raw())
    config = spec.backtest_config()
    assert (config.account, config.rebalance, config.stop_out) == (
        AccountKind.MARGIN, Rebalance.OFF, 50.0,
    )  # fmt: skip
    assert "account" not in spec.identity()  # evidence of older specs stays cached


def test_settings_reach_the_backtest_config_and_the_hash() -> None:
    settings = {"account": "cash", "rebalance": "drift", "rebalance_threshold": 0.02}
    spec = parse_spec({**_raw(), **settings})
    config = spec.backtest_config()
    assert (config.account, config.rebalance, config.rebalance_threshold) == (
        AccountKind.CASH, Rebalance.DRIFT, 0.02,
    )  # fmt: skip
    assert config.costs.commission == 2e-5  # the spec's own costs are kept
    assert spec.identity()["account"] == settings
    assert spec.spec_hash("fp", "abc") != parse_spec(_raw()).spec_hash("fp", "abc")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"account": "bogus"}, "account: Input should be 'margin' or 'cash'"),
        ({"rebalance": "sometimes"}, "rebalance: Input should be"),
        ({"rebalance_threshold": 0}, "rebalance_threshold: Input should be greater than 0"),
        ({"margin_initial": 2}, "margin_initial: Input should be less than or equal to 1"),
        ({"stop_out": 120, "margin_call": 100}, "stop_out (120%) must be below margin_call"),
    ],
)
def test_a_bad_setting_is_one_clear_error(edit: dict[str, Any], message: str) -> None:
    with pytest.raises(PromotionInputError, match="invalid spec") as err:
        parse_spec({**_raw(), **edit}, "x.yaml")
    assert message in str(err.value)


def test_a_spec_without_costs_takes_its_instruments_default_costs() -> None:
    raw = {key: value for key, value in _raw().items() if key != "costs"}
    assert parse_spec(raw).backtest_config().costs.spread == 0.0001  # EUR/USD: 1 pip
    some = parse_spec({**raw, "costs": {"commission": 1e-5}}).backtest_config().costs
    assert (some.commission, some.spread) == (1e-5, 0.0001)  # a written cost wins, by field
    assert parse_spec(_raw()).backtest_config().costs.spread == 0  # written: spread 0
    undefined = parse_spec({**raw, "instruments": ["EUR/GBP"]})  # a cross: no default
    assert undefined.backtest_config().costs.free
