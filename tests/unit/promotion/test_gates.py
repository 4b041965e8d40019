"""Gate evaluation against thresholds: pass, fail, off, missing evidence."""

import math

import pytest

from research.promotion.errors import PromotionInputError
from research.promotion.gates import all_passed, evaluate
from research.promotion.policy import GATES_BY_STAGE, GateName
from research.promotion.stages import Stage
from tests.unit.promotion.helpers import default_thresholds, make_evidence


def _by_gate(results):
    return {r.gate: r for r in results}


@pytest.mark.parametrize("stage", [Stage.CANDIDATE, Stage.PAPER, Stage.LIVE])
def test_good_evidence_passes_every_gate_of_the_stage(stage):
    results = evaluate(make_evidence(), default_thresholds(), stage)
    assert [r.gate for r in results] == list(GATES_BY_STAGE[stage])
    assert all(r.passed for r in results)
    assert all_passed(results)


@pytest.mark.parametrize(
    ("gate", "value", "passed"),
    [
        ("oos_sharpe", 0.5, True),  # threshold 0.5: at the bound passes
        ("oos_sharpe", 0.49, False),
        ("max_drawdown", -0.15, True),  # limit 0.15
        ("max_drawdown", -0.151, False),
        ("min_trades", 49.0, False),
        ("deflated_sharpe", 0.39, False),
        ("pbo", 0.5, True),
        ("pbo", 0.51, False),
        ("lookahead_clean", False, False),
        ("parity", 0.0011, False),  # tolerance 0.001 of cash
        ("paper_duration_days", 19.9, False),
        ("paper_trades", 29.0, False),
        ("drift", 0.02, False),  # outside the central 95% (0.025..0.975)
        ("drift", 0.98, False),  # two-sided: far better than the backtest is drift too
        ("drift", 0.025, True),
        ("slippage", 1.5, True),
        ("slippage", math.inf, False),
    ],
)
def test_each_gate_compares_with_its_threshold(gate, value, passed):
    ev = make_evidence(**{gate: value})
    results = _by_gate(evaluate(ev, default_thresholds(), Stage.PAPER))
    results |= _by_gate(evaluate(ev, default_thresholds(), Stage.LIVE))
    res = results[GateName(gate)]
    assert res.passed is passed
    assert res.status == ("pass" if passed else "FAIL")
    assert not all_passed(results.values()) if not passed else True


def test_null_threshold_is_off_never_passed():
    thresholds = default_thresholds().model_copy(update={"pbo": None})
    res = _by_gate(evaluate(make_evidence(pbo=0.99), thresholds, Stage.CANDIDATE))
    assert res[GateName.PBO].passed is None
    assert res[GateName.PBO].status == "off"
    assert all_passed(res.values())  # the other gates pass; off does not fail
    everything_off = default_thresholds().model_copy(
        update={g.value: None for g in GATES_BY_STAGE[Stage.CANDIDATE]}
    )
    assert not all_passed(evaluate(make_evidence(), everything_off, Stage.CANDIDATE))


def test_missing_value_fails_as_missing_evidence_with_the_recorded_reason():
    ev = make_evidence(pbo=None)
    ev.details["walkforward"]["pbo"] = {"reason": "not applicable: one candidate"}
    res = _by_gate(evaluate(ev, default_thresholds(), Stage.CANDIDATE))
    assert res[GateName.PBO].passed is False
    assert res[GateName.PBO].detail == "missing evidence: not applicable: one candidate"


def test_candidate_evidence_cannot_pass_paper():
    values = {g: None for g in (GateName.LOOKAHEAD_CLEAN, GateName.PARITY)}
    ev = make_evidence(Stage.CANDIDATE, **values)
    res = _by_gate(evaluate(ev, default_thresholds(), Stage.PAPER))
    assert res[GateName.PARITY].detail.startswith("missing evidence")
    assert not all_passed(res.values())


def test_parity_fails_when_trades_differ_even_with_equal_equity():
    ev = make_evidence(parity=0.0)
    ev.details["checks"]["parity"]["trades_match"] = False
    res = _by_gate(evaluate(ev, default_thresholds(), Stage.PAPER))
    assert res[GateName.PARITY].passed is False
    assert "trades differ" in res[GateName.PARITY].detail


def test_no_gates_for_research_stage():
    with pytest.raises(PromotionInputError, match="no gates guard"):
        evaluate(make_evidence(), default_thresholds(), Stage.RESEARCH)
