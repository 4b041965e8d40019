"""The policy's `risk:` section: the live node's risk engine limits, checked on load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from research.promotion.errors import PromotionInputError
from research.promotion.policy import RiskPolicy, load_policy, parse_policy


def _raw() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(Path("policy/promotion.yaml").read_text())
    return loaded


def test_the_repository_policy_sets_both_limits() -> None:
    risk = load_policy().risk
    assert risk.max_notional_per_order == 1_000_000
    assert risk.max_order_submit_rate == "100/00:00:01"


def test_a_policy_without_a_risk_section_gets_the_defaults() -> None:
    raw = _raw()
    del raw["risk"]
    assert parse_policy(raw).risk == RiskPolicy()


def test_no_notional_cap_is_null() -> None:
    raw = _raw()
    raw["risk"] = {"max_notional_per_order": None}
    assert parse_policy(raw).risk.max_notional_per_order is None


@pytest.mark.parametrize(
    ("risk", "message"),
    [
        ({"max_order_submit_rate": "fast"}, r"risk\.max_order_submit_rate: expected N/HH:MM:SS"),
        ({"max_order_submit_rate": "0/00:00:01"}, r"both positive"),
        ({"max_notional_per_order": 0.5}, r"risk\.max_notional_per_order"),
        ({"max_orders": 3}, r"risk\.max_orders: unknown limit"),
    ],
)
def test_bad_limits_are_one_line_naming_the_field(risk: dict[str, Any], message: str) -> None:
    raw = _raw()
    raw["risk"] = risk
    with pytest.raises(PromotionInputError, match=message):
        parse_policy(raw)
