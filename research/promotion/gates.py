"""Gate evaluation: each gate of a stage compared with its threshold, or reported "off".

A gate whose threshold is null is off (passed=None), never passed. A gate that is on but has
no value in the evidence fails with "missing evidence" and the reason recorded with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from research.promotion.drift import inside_at
from research.promotion.errors import PromotionInputError
from research.promotion.evidence import Evidence, GateValue
from research.promotion.policy import GATES_BY_STAGE, GateName, Thresholds
from research.promotion.stages import Stage


class GateResult(BaseModel):
    model_config = ConfigDict(frozen=True, ser_json_inf_nan="strings")

    gate: GateName
    threshold: GateValue
    value: GateValue
    passed: bool | None  # None: the gate is off
    detail: str

    @property
    def status(self) -> str:
        return "off" if self.passed is None else ("pass" if self.passed else "FAIL")


def _num(value: GateValue) -> float:
    return float(value) if value is not None else float("nan")


def _at_least(label: str) -> Callable[[float, float, Evidence], tuple[bool, str]]:
    def rule(value: float, threshold: float, _: Evidence) -> tuple[bool, str]:
        ok = value >= threshold
        return ok, f"{label} {value:.4g} {'≥' if ok else '<'} {threshold:.4g}"

    return rule


def _drawdown(value: float, limit: float, _: Evidence) -> tuple[bool, str]:
    ok = value >= -limit
    return ok, f"OOS max drawdown {value:.2%} {'within' if ok else 'deeper than'} -{limit:.2%}"


def _pbo(value: float, limit: float, _: Evidence) -> tuple[bool, str]:
    ok = value <= limit
    return ok, f"probability of backtest overfitting {value:.3f} {'≤' if ok else '>'} {limit:.3f}"


def _lookahead(value: float, _: float, ev: Evidence) -> tuple[bool, str]:
    look = ev.details.get("checks", {}).get("lookahead", {})
    if value:
        return True, f"clean over {look.get('cuts_checked', '?')} truncation cuts"
    return False, (
        f"targets change when future bars are removed (first at bar "
        f"{look.get('first_leak_bar')}, {look.get('first_leak_time')})"
    )


def _parity(value: float, tolerance: float, ev: Evidence) -> tuple[bool, str]:
    par = ev.details.get("checks", {}).get("parity", {})
    if not par.get("trades_match", False):
        return False, (
            f"trades differ: vectorized {par.get('trades_vectorized')} vs event "
            f"{par.get('trades_event')} over the last {par.get('bars')} bars"
        )
    ok = value <= tolerance
    return ok, (
        f"{par.get('trades_event')} identical trades over the last {par.get('bars')} bars; "
        f"|Δ final equity| {value:.2e} of cash {'≤' if ok else '>'} {tolerance:.2e}"
    )


def _drift(percentile: float, confidence: float, ev: Evidence) -> tuple[bool, str]:
    drift = ev.details.get("paper", {}).get("drift", {})
    ok = inside_at(percentile, confidence)
    tail = (1 - confidence) / 2
    return ok, (
        f"realized Sharpe {_num(drift.get('realized_sharpe')):.3g} at percentile "
        f"{percentile:.3f} of the backtest's block-bootstrap Sharpes over {drift.get('window')} "
        f"bars; {'inside' if ok else 'outside'} the central {confidence:.0%} "
        f"({tail:.3f}..{1 - tail:.3f})"
    )


def _slippage(ratio: float, multiple: float, ev: Evidence) -> tuple[bool, str]:
    drift = ev.details.get("paper", {}).get("drift", {})
    ok = ratio <= multiple
    return ok, (
        f"realized slippage {_num(drift.get('realized_slippage')):.2e} = {ratio:.3g} × assumed "
        f"{_num(drift.get('assumed_slippage')):.2e} {'≤' if ok else '>'} {multiple:g} ×"
    )


Rule = Callable[[float, float, Evidence], tuple[bool, str]]
RULES: dict[GateName, Rule] = {
    GateName.OOS_SHARPE: _at_least("stitched OOS Sharpe"),
    GateName.MAX_DRAWDOWN: _drawdown,
    GateName.MIN_TRADES: _at_least("OOS trades"),
    GateName.DEFLATED_SHARPE: _at_least("deflated Sharpe (OOS, all candidates)"),
    GateName.PBO: _pbo,
    GateName.LOOKAHEAD_CLEAN: _lookahead,
    GateName.PARITY: _parity,
    GateName.PAPER_DURATION_DAYS: _at_least("paper market days"),
    GateName.PAPER_TRADES: _at_least("paper fills"),
    GateName.DRIFT: _drift,
    GateName.SLIPPAGE: _slippage,
}

# Where a group records why a gate has no value.
_REASONS: dict[GateName, tuple[str, str]] = {
    GateName.DEFLATED_SHARPE: ("walkforward", "deflated_sharpe"),
    GateName.PBO: ("walkforward", "pbo"),
}


def _missing_reason(gate: GateName, ev: Evidence) -> str:
    group, key = _REASONS.get(gate, ("", ""))
    reason: Any = ev.details.get(group, {}).get(key, {}).get("reason") if group else None
    if reason:
        return str(reason)
    if gate in (GateName.SLIPPAGE,):
        return "no paper fill could be matched to a decision price"
    return f"no value gathered (evidence is for stage {ev.stage})"


def evaluate_gate(gate: GateName, evidence: Evidence, thresholds: Thresholds) -> GateResult:
    threshold: GateValue = getattr(thresholds, gate.value)
    value = evidence.values.get(gate)
    if threshold is None:
        return GateResult(gate=gate, threshold=None, value=value, passed=None, detail="off")
    if value is None:
        detail = f"missing evidence: {_missing_reason(gate, evidence)}"
        return GateResult(gate=gate, threshold=threshold, value=None, passed=False, detail=detail)
    ok, detail = RULES[gate](float(value), float(threshold), evidence)
    return GateResult(gate=gate, threshold=threshold, value=value, passed=ok, detail=detail)


def evaluate(evidence: Evidence, thresholds: Thresholds, stage: Stage | str) -> list[GateResult]:
    """Every gate guarding `stage`, in the policy's order."""
    gates = GATES_BY_STAGE.get(Stage(stage))
    if gates is None:
        raise PromotionInputError(f"no gates guard stage {stage} (candidate, paper or live)")
    return [evaluate_gate(gate, evidence, thresholds) for gate in gates]


def all_passed(results: Iterable[GateResult]) -> bool:
    """True when no gate failed (off gates neither pass nor fail) and at least one passed."""
    items = list(results)
    return all(r.passed is not False for r in items) and any(r.passed for r in items)
