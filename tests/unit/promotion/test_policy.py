"""The promotion policy file: validation on load, per-strategy overrides, the stage ladder."""

from pathlib import Path

import pytest
import yaml

from research.errors import ResearchInputError
from research.promotion.errors import PromotionInputError
from research.promotion.policy import (
    GATES_BY_STAGE,
    GateName,
    Thresholds,
    load_policy,
    parse_policy,
)
from research.promotion.stages import Stage, check_transition, next_stage


def _default_raw() -> dict:
    return yaml.safe_load(Path("policy/promotion.yaml").read_text())


def test_repository_policy_loads_with_every_gate_and_a_real_override():
    policy = load_policy()
    assert policy.version == 1
    assert set(Thresholds.model_fields) == {g.value for g in GateName}
    vol = policy.for_strategy("vol_target_trend")
    assert vol.min_trades == 200
    assert vol.oos_sharpe == policy.defaults.oos_sharpe  # not overridden: the default
    donchian = policy.for_strategy("donchian_breakout")
    assert donchian.pbo is None  # explicit null switches the gate off
    assert donchian.max_drawdown == 0.20
    assert policy.for_strategy("sma_cross") == policy.defaults


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: r["defaults"].update(sharpe_min=1.0), "defaults.sharpe_min: unknown gate"),
        (lambda r: r["defaults"].update(oos_sharpe="high"), "defaults.oos_sharpe"),
        (lambda r: r["defaults"].update(pbo=1.5), "defaults.pbo: Input should be less than"),
        (lambda r: r["defaults"].update(max_drawdown=-0.2), "defaults.max_drawdown"),
        (lambda r: r["defaults"].update(min_trades=10.5), "whole number"),
        (lambda r: r["defaults"].update(lookahead_clean=False), "true (required) or null"),
        (lambda r: r["defaults"].pop("parity"), "defaults.parity: Field required"),
        (lambda r: r.update(version=2), "unsupported policy version 2"),
        (lambda r: r["strategies"].update(sma_cross={"drift": 1.5}), "strategies.sma_cross.drift"),
        (lambda r: r["strategies"].update(sma_cross={"bogus": 1}), "unknown gate"),
    ],
)
def test_invalid_policy_is_one_clear_error(edit, message):
    raw = _default_raw()
    edit(raw)
    with pytest.raises(PromotionInputError, match="invalid policy") as err:
        parse_policy(raw, "policy.yaml")
    assert message in str(err.value)
    assert isinstance(err.value, ResearchInputError)  # the CLI maps it to exit 2


def test_policy_file_errors(tmp_path):
    with pytest.raises(PromotionInputError, match="cannot read policy"):
        load_policy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("defaults: [unclosed")
    with pytest.raises(PromotionInputError, match="not YAML"):
        load_policy(bad)
    bad.write_text("- a list\n")
    with pytest.raises(PromotionInputError, match="mapping"):
        load_policy(bad)


def test_gates_by_stage_paper_includes_all_candidate_gates():
    assert set(GATES_BY_STAGE[Stage.CANDIDATE]) < set(GATES_BY_STAGE[Stage.PAPER])
    assert set(GATES_BY_STAGE[Stage.PAPER]) - set(GATES_BY_STAGE[Stage.CANDIDATE]) == {
        GateName.LOOKAHEAD_CLEAN,
        GateName.PARITY,
    }
    assert GateName.DRIFT in GATES_BY_STAGE[Stage.LIVE]


def test_ladder_one_rung_at_a_time():
    assert next_stage(Stage.RESEARCH) is Stage.CANDIDATE
    assert next_stage(Stage.CANDIDATE) is Stage.PAPER
    assert next_stage(Stage.PAPER) is Stage.LIVE
    check_transition(Stage.PAPER, Stage.LIVE)
    with pytest.raises(PromotionInputError, match="the next stage is candidate"):
        check_transition(Stage.RESEARCH, Stage.LIVE)
    with pytest.raises(PromotionInputError, match="top stage"):
        next_stage(Stage.LIVE)
    with pytest.raises(PromotionInputError, match="retired"):
        check_transition(Stage.RETIRED, Stage.CANDIDATE)
