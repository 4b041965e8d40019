"""A strategy spec: what gets promoted — strategy, parameters, instruments, data range, and
the search space its walk-forward and overfitting evidence are computed over.

Costs: those the spec's `costs` writes, over the default costs of its instrument's definition
(marketdata.instruments; none defined: zero), field by field as on the command line. Account and
rebalancing (ADR 0002 §12-§13): optional keys with BacktestConfig's names and meaning
(`account: cash`, `rebalance: drift`, `rebalance_threshold: 0.02`, ...), checked by
BacktestConfig itself; a key left out is the config's default.

Relative data paths are resolved against the working directory first, then against the
spec file's folder and each folder above it (so `specs/x.yaml` may name `data/sample/...`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from research.engine.config import AccountKind, BacktestConfig, Costs, Rebalance
from research.engine.run import resolve_config
from research.errors import INPUT_ERRORS
from research.promotion.errors import PromotionInputError
from research.promotion.policy import read_yaml
from strategies import plugins
from strategies.plugins import UnknownStrategyError


class StrategySpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_-]+$", max_length=100, description="registry key")
    strategy: str = Field(description="registered strategy name")
    params: dict[str, Any] = Field(default_factory=dict, description="the parameters traded")
    instruments: list[str] = Field(min_length=1, max_length=1)
    data: Path
    start: date | None = None
    end: date | None = None
    search: dict[str, list[Any]] | None = Field(
        None, description="grid {param: [values]} for walk-forward and PBO; None = params only"
    )
    costs: Costs | None = None
    folds: int = Field(4, ge=1, le=20)
    # Account and rebalancing: None = BacktestConfig's default (validated there, _consistent).
    account: AccountKind | None = None
    margin_initial: float | None = None
    margin_maintenance: float | None = None
    margin_call: float | None = None
    stop_out: float | None = None
    rebalance: Rebalance | None = None
    rebalance_threshold: float | None = None

    @model_validator(mode="after")
    def _consistent(self) -> StrategySpec:
        try:
            cls = plugins.get(self.strategy)
        except UnknownStrategyError as err:
            raise ValueError(str(err.args[0])) from None
        try:
            cls.Params(**self.params)  # the strategy's own validation
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise ValueError(f"params{'.' + where if where else ''}: {first['msg']}") from None
        unknown = sorted(set(self.search or {}) - set(cls.Params.model_fields))
        if unknown:
            raise ValueError(f"search names unknown parameter(s) of {self.strategy}: {unknown}")
        if self.search is not None and any(len(v) == 0 for v in self.search.values()):
            raise ValueError("every search parameter needs at least one value")
        if self.start and self.end and self.start >= self.end:
            raise ValueError(f"start {self.start} is not before end {self.end}")
        self.backtest_config()  # the account settings, checked by BacktestConfig
        return self

    @property
    def full_params(self) -> dict[str, Any]:
        """The traded parameters with the strategy's defaults filled in."""
        params: dict[str, Any] = plugins.get(self.strategy).Params(**self.params).model_dump()
        return params

    def account_settings(self) -> dict[str, Any]:
        """The account and rebalance settings the spec gives (the others: the default)."""
        return {
            name: getattr(self, name)
            for name in ACCOUNT_SETTINGS
            if getattr(self, name) is not None
        }

    def backtest_config(self) -> BacktestConfig:
        """The spec's costs over its instrument's default costs (a cost the spec writes wins,
        field by field, as a cost option does on the command line) and account settings."""
        written = self.costs.model_dump(exclude_unset=True) if self.costs is not None else {}
        costs = Costs(**(_instrument_costs(self.instruments[0]) | written))
        return resolve_config(BacktestConfig(costs=costs), self.account_settings())

    def load_bars(self) -> pd.DataFrame:
        """The spec's bars, cut to [start, end] (end inclusive, whole day)."""
        from marketdata import DataError, load_bars

        try:
            bars = load_bars(self.data, instrument=self.instruments[0])
        except (DataError, OSError) as exc:
            raise PromotionInputError(f"spec {self.name}: cannot load {self.data}: {exc}") from None
        index = pd.DatetimeIndex(bars.index)
        keep = pd.Series(True, index=index)
        if self.start is not None:
            keep &= index >= pd.Timestamp(self.start, tz=index.tz)
        if self.end is not None:
            keep &= index < pd.Timestamp(self.end, tz=index.tz) + pd.Timedelta(days=1)
        out = bars.loc[keep.to_numpy()]
        if len(out) < 2:
            raise PromotionInputError(
                f"spec {self.name}: no bars of {self.data} in {self.start} .. {self.end}"
            )
        out.attrs = dict(bars.attrs)
        return out

    def identity(self) -> dict[str, Any]:
        """What determines the evidence (the name is a label; the data is its fingerprint)."""
        return {
            "strategy": self.strategy,
            "params": self.full_params,
            "instruments": self.instruments,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "search": self.search,
            "costs": self.backtest_config().costs.model_dump(),
            "folds": self.folds,
            # Only when given: the evidence of a spec without them keeps its hash.
            **({"account": self.account_settings()} if self.account_settings() else {}),
        }

    def spec_hash(self, data_fingerprint: str, code_version: str) -> str:
        """sha256 of the canonical JSON of identity + data fingerprint + code version."""
        payload = {**self.identity(), "data": data_fingerprint, "code": code_version}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


# The spec keys that are BacktestConfig's account and rebalance fields.
ACCOUNT_SETTINGS: tuple[str, ...] = (
    "account", "margin_initial", "margin_maintenance", "margin_call", "stop_out", "rebalance",
    "rebalance_threshold",
)  # fmt: skip


def _instrument_costs(name: str) -> dict[str, float]:
    """The costs the instrument's built-in definition sets (none resolves: none)."""
    from marketdata.instruments import InstrumentError, resolve_instrument

    try:
        found = resolve_instrument(name)
    except InstrumentError:  # an undefined instrument has no default costs
        return {}
    return found.costs.given() if found.costs is not None else {}


def _resolve_data(raw: dict[str, Any], spec_file: Path) -> dict[str, Any]:
    data = raw.get("data")
    if not isinstance(data, str) or Path(data).is_absolute() or Path(data).exists():
        return raw
    for base in spec_file.resolve().parents:  # the spec's folder, then each one above it
        candidate = base / data
        if candidate.exists():
            return {**raw, "data": str(candidate)}
    return raw


def parse_spec(raw: Any, source: str = "<spec>") -> StrategySpec:
    if not isinstance(raw, dict):
        raise PromotionInputError(f"invalid spec {source}: expected a mapping at the top level")
    try:
        return StrategySpec.model_validate(raw)
    except ValidationError as err:
        parts = []
        for e in err.errors():
            where = ".".join(str(x) for x in e["loc"]) or "spec"
            parts.append(f"{where}: {e['msg'].removeprefix('Value error, ')}")
        raise PromotionInputError(f"invalid spec {source}: {'; '.join(parts)}") from None
    except INPUT_ERRORS as err:
        raise PromotionInputError(f"invalid spec {source}: {err}") from None


def load_spec(path: Path) -> StrategySpec:
    file = Path(path)
    raw = read_yaml(file, "spec")
    if isinstance(raw, dict):
        raw = _resolve_data(raw, file)
    spec = parse_spec(raw, str(file))
    if not spec.data.exists():
        raise PromotionInputError(f"spec {file}: data file {spec.data} does not exist")
    return spec
