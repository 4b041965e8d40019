"""Evidence for one promotion: gate values computed from real runs, plus their details.

`gather` computes (or reuses) the evidence groups the stage needs. Each group is cached in
`cache_dir` as `<spec_hash>.<group>[.<paper record hash>].json`; the spec hash covers code
version, parameters, search grid, costs and the data fingerprint, so a cached group is reused
only for exactly the same inputs. The live group is also keyed by the paper record's hash.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from research.engine.vectorized import data_fingerprint
from research.promotion import collect
from research.promotion.errors import PromotionInputError
from research.promotion.policy import GateName
from research.promotion.spec import StrategySpec
from research.promotion.stages import Stage
from research.tracking import code_version as current_code_version

GateValue = float | bool | None

STAGE_GROUPS: dict[Stage, tuple[str, ...]] = {
    Stage.CANDIDATE: ("walkforward",),
    Stage.PAPER: ("walkforward", "checks"),
    Stage.LIVE: ("paper",),
}


class Evidence(BaseModel):
    # inf (e.g. slippage over a zero assumption) survives JSON as the string "Infinity"
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")

    spec: StrategySpec
    stage: Stage
    spec_hash: str
    code_version: str
    data_fingerprint: str
    values: dict[GateName, GateValue]
    details: dict[str, Any]
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class _CachedGroup(BaseModel):
    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings")

    spec_hash: str
    group: str
    key: str
    values: dict[GateName, GateValue]
    details: dict[str, Any]


def _cache_file(cache_dir: Path, spec_hash: str, group: str, key: str) -> Path:
    suffix = f".{key[:16]}" if key else ""
    return cache_dir / f"{spec_hash}.{group}{suffix}.json"


def _read_cache(path: Path, spec_hash: str, group: str, key: str) -> _CachedGroup | None:
    """A cached group for exactly these inputs, or None (absent, unreadable, other inputs)."""
    try:
        cached = _CachedGroup.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None
    if (cached.spec_hash, cached.group, cached.key) != (spec_hash, group, key):
        return None
    return cached


def _write_cache(path: Path, cached: _CachedGroup) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(cached.model_dump_json(indent=2))
    os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one


def _compute(
    group: str, spec: StrategySpec, bars: pd.DataFrame, paper_run: Path | None
) -> tuple[dict[GateName, GateValue], dict[str, Any]]:
    if group == "walkforward":
        return collect.walkforward_group(spec, bars)
    if group == "checks":
        return collect.checks_group(spec, bars)
    assert paper_run is not None  # gather() requires it for the live stage
    return collect.paper_group(spec, bars, paper_run)


def _group(
    group: str,
    spec: StrategySpec,
    bars: pd.DataFrame,
    spec_hash: str,
    paper_run: Path | None,
    cache_dir: Path | None,
) -> tuple[_CachedGroup, bool]:
    key = collect.paper_record_hash(paper_run) if group == "paper" and paper_run else ""
    path = _cache_file(cache_dir, spec_hash, group, key) if cache_dir else None
    if path is not None and (hit := _read_cache(path, spec_hash, group, key)) is not None:
        return hit, True
    values, details = _compute(group, spec, bars, paper_run)
    fresh = _CachedGroup(spec_hash=spec_hash, group=group, key=key, values=values, details=details)
    fresh = _CachedGroup.model_validate_json(fresh.model_dump_json())  # JSON-plain details
    if path is not None:
        _write_cache(path, fresh)
    return fresh, False


def gather(
    spec: StrategySpec,
    stage: Stage | str,
    *,
    paper_run: Path | None = None,
    cache_dir: Path | None = None,
    code_version: str | None = None,
    on_group: Callable[[str, bool], None] | None = None,
) -> Evidence:
    """Evidence for promoting `spec` to `stage`: the gate values of every group the stage
    needs, each reused from `cache_dir` when computed before for the same spec hash.

    `on_group(group, reused)` is called per group (progress for the CLI)."""
    target = _stage(stage)
    if target is Stage.LIVE and paper_run is None:
        raise PromotionInputError(
            "missing evidence for live: pass a paper run folder (the --out of `gauntlet paper`)"
        )
    bars = spec.load_bars()
    fingerprint = data_fingerprint(bars)
    version = code_version or current_code_version()
    spec_hash = spec.spec_hash(fingerprint, version)
    values: dict[GateName, GateValue] = {}
    details: dict[str, Any] = {"cache": {}}
    for group in STAGE_GROUPS[target]:
        cached, reused = _group(group, spec, bars, spec_hash, paper_run, cache_dir)
        values.update(cached.values)
        details[group] = cached.details
        details["cache"][group] = "reused" if reused else "computed"
        if on_group is not None:
            on_group(group, reused)
    details["bars"] = {"count": len(bars), "start": bars.index[0].isoformat(),
                       "end": bars.index[-1].isoformat()}  # fmt: skip
    return Evidence(
        spec=spec,
        stage=target,
        spec_hash=spec_hash,
        code_version=version,
        data_fingerprint=fingerprint,
        values=values,
        details=details,
    )


def _stage(stage: Stage | str) -> Stage:
    try:
        target = Stage(stage)
    except ValueError:
        raise PromotionInputError(
            f"unknown stage {stage!r} (promote to candidate, paper or live)"
        ) from None
    if target not in STAGE_GROUPS:
        raise PromotionInputError(f"there is no evidence to gather for stage {target}")
    return target


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    """The evidence as plain JSON data (the form written into bundles)."""
    data: dict[str, Any] = json.loads(evidence.model_dump_json())
    return data
