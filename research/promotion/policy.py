"""The promotion policy: which gates guard which stage, and each gate's threshold.

The policy is a versioned YAML file in the repository (policy/promotion.yaml): `defaults` give
every threshold, `strategies` override some of them per registered strategy. A threshold set
to null switches its gate off; the gate is then reported as "off", never as passed. `risk`
holds the pre-trade limits a promoted strategy's live node runs with (`gauntlet live start`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from research.bundled import project_file
from research.promotion.errors import PromotionInputError
from research.promotion.stages import Stage
from strategies import plugins

SUPPORTED_VERSIONS = (1,)
DEFAULT_POLICY = project_file("policy/promotion.yaml")  # cwd's, the wheel's or the checkout's


class GateName(StrEnum):
    OOS_SHARPE = "oos_sharpe"
    MAX_DRAWDOWN = "max_drawdown"
    MIN_TRADES = "min_trades"
    DEFLATED_SHARPE = "deflated_sharpe"
    PBO = "pbo"
    LOOKAHEAD_CLEAN = "lookahead_clean"
    PARITY = "parity"
    PAPER_DURATION_DAYS = "paper_duration_days"
    PAPER_TRADES = "paper_trades"
    DRIFT = "drift"
    SLIPPAGE = "slippage"


_CANDIDATE = (
    GateName.OOS_SHARPE,
    GateName.MAX_DRAWDOWN,
    GateName.MIN_TRADES,
    GateName.DEFLATED_SHARPE,
    GateName.PBO,
)
GATES_BY_STAGE: dict[Stage, tuple[GateName, ...]] = {
    Stage.CANDIDATE: _CANDIDATE,
    Stage.PAPER: (*_CANDIDATE, GateName.LOOKAHEAD_CLEAN, GateName.PARITY),
    Stage.LIVE: (
        GateName.PAPER_DURATION_DAYS,
        GateName.PAPER_TRADES,
        GateName.DRIFT,
        GateName.SLIPPAGE,
    ),
}


class _Gates(BaseModel):
    """Every gate's threshold (None = gate off). Field names are the GateName values."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    oos_sharpe: float | None = Field(ge=-5, le=10, description="min annualized OOS Sharpe")
    max_drawdown: float | None = Field(
        gt=0, le=1, description="max OOS drawdown as a positive fraction (0.15 = -15% allowed)"
    )
    min_trades: int | None = Field(ge=0, description="min trades over the OOS folds")
    deflated_sharpe: float | None = Field(ge=0, le=1, description="min deflated Sharpe (prob.)")
    pbo: float | None = Field(ge=0, le=1, description="max probability of backtest overfitting")
    lookahead_clean: bool | None = Field(description="true: the look-ahead check must be clean")
    parity: float | None = Field(
        ge=0, le=0.1, description="max |final equity difference| / starting cash (event vs vec.)"
    )
    paper_duration_days: float | None = Field(ge=0, description="min market days paper-traded")
    paper_trades: int | None = Field(ge=0, description="min paper fills")
    drift: float | None = Field(
        gt=0.5, lt=1, description="confidence of the backtest's bootstrap Sharpe interval"
    )
    slippage: float | None = Field(
        ge=0, le=100, description="max realized slippage as a multiple of the assumed"
    )

    @field_validator("lookahead_clean")
    @classmethod
    def _true_or_off(cls, value: bool | None) -> bool | None:
        if value is False:
            raise ValueError("lookahead_clean is true (required) or null (off), not false")
        return value

    @field_validator("min_trades", "paper_trades", mode="before")
    @classmethod
    def _whole(cls, value: Any) -> Any:
        # YAML `50.5` would otherwise be truncated silently by lax int parsing
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"must be a whole number, got {value}")
        if isinstance(value, bool):
            raise ValueError("must be a number, not a boolean")
        return value


class Thresholds(_Gates):
    """The complete threshold set one strategy is judged by."""


class ThresholdOverrides(_Gates):
    """Some thresholds for one strategy; only the keys present in the file override."""

    oos_sharpe: float | None = Field(None, ge=-5, le=10)
    max_drawdown: float | None = Field(None, gt=0, le=1)
    min_trades: int | None = Field(None, ge=0)
    deflated_sharpe: float | None = Field(None, ge=0, le=1)
    pbo: float | None = Field(None, ge=0, le=1)
    lookahead_clean: bool | None = None
    parity: float | None = Field(None, ge=0, le=0.1)
    paper_duration_days: float | None = Field(None, ge=0)
    paper_trades: int | None = Field(None, ge=0)
    drift: float | None = Field(None, gt=0.5, lt=1)
    slippage: float | None = Field(None, ge=0, le=100)


class RiskPolicy(BaseModel):
    """The live node's risk engine limits (execution_engine.risk.RiskLimits' fields): orders
    above the notional cap or the submit rate are denied before they reach the venue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_notional_per_order: float | None = Field(1_000_000.0, ge=1)  # quote currency; null: no cap
    max_order_submit_rate: str = "100/00:00:01"  # N/HH:MM:SS, NautilusTrader's syntax

    @field_validator("max_order_submit_rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        from execution_engine.risk import RiskLimitsError, submit_rate_limit

        try:
            submit_rate_limit(value)
        except RiskLimitsError as exc:  # the message as it is, without pydantic's prefix
            raise PydanticCustomError("submit_rate", exc.message) from None
        return value


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    defaults: Thresholds
    strategies: dict[str, ThresholdOverrides] = Field(default_factory=dict)
    risk: RiskPolicy = Field(default_factory=RiskPolicy)

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value not in SUPPORTED_VERSIONS:
            raise ValueError(f"unsupported policy version {value} (supported: 1)")
        return value

    def for_strategy(self, name: str) -> Thresholds:
        """The defaults with this strategy's overrides applied (explicit nulls switch off)."""
        override = self.strategies.get(name)
        if override is None:
            return self.defaults
        merged = {**self.defaults.model_dump(), **override.model_dump(exclude_unset=True)}
        return Thresholds.model_validate(merged)


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        where = ".".join(str(x) for x in e["loc"])
        unknown = "unknown limit" if e["loc"][:1] == ("risk",) else "unknown gate"
        msg = unknown if e["type"] == "extra_forbidden" else e["msg"]
        parts.append(f"{where}: {msg} (got {e.get('input')!r})")
    return "; ".join(parts)


def parse_policy(raw: Any, source: str = "<policy>") -> Policy:
    if not isinstance(raw, dict):
        raise PromotionInputError(f"invalid policy {source}: expected a mapping at the top level")
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as err:
        raise PromotionInputError(f"invalid policy {source}: {_describe(err)}") from None
    _check_strategy_names(policy, source)
    return policy


def _check_strategy_names(policy: Policy, source: str) -> None:
    """An override under a name no strategy has would never apply: a typo passes silently."""
    known = plugins.names()
    unknown = sorted(set(policy.strategies) - set(known))
    if unknown:
        raise PromotionInputError(
            f"invalid policy {source}: strategies.{unknown[0]}: unknown strategy (overrides are "
            f"keyed by registered strategy name; known: {', '.join(known)})"
        )


def read_yaml(file: Path, kind: str) -> Any:
    """The parsed YAML of a policy or spec file; unreadable or non-YAML is a one-line error."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromotionInputError(f"cannot read {kind} {file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise PromotionInputError(f"invalid {kind} {file}: not UTF-8 text") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PromotionInputError(f"invalid {kind} {file}: not YAML ({exc})") from None
    except (ValueError, RecursionError) as exc:
        # PyYAML builds dates while parsing (`2020-13-01` raises ValueError) and recurses once
        # per nesting level (`[[[[...` raises RecursionError): bad input, not a bug
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise PromotionInputError(f"invalid {kind} {file}: unreadable YAML ({reason})") from None


def load_policy(path: Path | None = None) -> Policy:
    """Read and validate a policy file (default: policy/promotion.yaml in the repository)."""
    file = Path(path) if path is not None else DEFAULT_POLICY
    return parse_policy(read_yaml(file, "policy"), str(file))
