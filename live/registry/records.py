"""What the registry returns: the current stage of a strategy (StageRecord) and its history rows."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import asyncpg

from live.registry.errors import RegistryInputError

_HASH = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")  # interpolated into MLflow filter strings


@dataclass(frozen=True)
class StageRecord:
    """One row of strategy_stages: where a strategy stands now."""

    name: str
    stage: str
    revision: int  # number of changes so far; 1 after the first promotion
    model_name: str | None
    model_version: str | None
    spec_hash: str | None
    evidence_hash: str | None
    spec: dict[str, Any]
    reason: str
    updated_by: str
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the time as ISO 8601)."""
        return {**asdict(self), "updated_at": self.updated_at.isoformat()}


def stage_record(row: asyncpg.Record) -> StageRecord:
    return StageRecord(
        name=row["strategy"],
        stage=row["stage"],
        revision=row["revision"],
        model_name=row["model_name"],
        model_version=row["model_version"],
        spec_hash=row["spec_hash"],
        evidence_hash=row["evidence_hash"],
        spec=json.loads(row["spec"]),
        reason=row["reason"],
        updated_by=row["updated_by"],
        updated_at=row["updated_at"],
    )


def history_entry(row: asyncpg.Record) -> dict[str, Any]:
    """A promotion_records row flattened for display: the evidence jsonb carries the details."""
    evidence: dict[str, Any] = json.loads(row["evidence"])
    return {
        "id": row["id"],
        "strategy": row["strategy"],
        "action": evidence.get("action"),
        "from_stage": row["from_stage"],
        "to_stage": row["to_stage"],
        "decided_at": row["decided_at"].isoformat(),
        "decided_by": row["decided_by"],
        "reason": evidence.get("reason", ""),
        "evidence_hash": evidence.get("evidence_hash"),
        "spec_hash": evidence.get("spec_hash"),
        "model_name": evidence.get("model_name"),
        "model_version": evidence.get("model_version"),
        "spec": evidence.get("spec"),
    }


def canonical_json(value: dict[str, Any]) -> str:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise RegistryInputError(f"spec is not plain JSON: {exc}") from None


def spec_hash_of(spec: dict[str, Any]) -> str:
    """The key of a model version. The caller's `spec_hash` field wins (StrategySpec.spec_hash
    covers code version + parameters + data fingerprint); otherwise the SHA-256 of the spec's
    canonical JSON, so the dict should then carry the code version and data fingerprint itself."""
    if not isinstance(spec, dict) or not spec:
        raise RegistryInputError("spec must be a non-empty dict")
    given = spec.get("spec_hash")
    if given is None:
        return hashlib.sha256(canonical_json(spec).encode()).hexdigest()
    return check_hash("spec_hash", given)


def check_hash(field: str, value: object) -> str:
    if not isinstance(value, str) or not _HASH.match(value):
        raise RegistryInputError(f"{field} {value!r}: expected 1-128 characters of [A-Za-z0-9._:-]")
    return value


def check_text(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RegistryInputError(f"{field} is required (a non-empty string)")
    return value.strip()
