"""Stage changes against real PostgreSQL and a real MLflow SQLite store: the ladder, demotion,
retirement, history, aliases and model versions."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest
from mlflow.tracking import MlflowClient

from live.db import app_role, connect
from live.registry import (
    Registry,
    RegistryInputError,
    StageConflictError,
    StageOrderError,
)
from tests.fixtures.pg import PgSchema
from tests.integration.registry.helpers import aliases, fetch, pg_state, spec_for

pytestmark = pytest.mark.services


def _climb(registry: Registry, name: str, *targets: str) -> None:
    async def go() -> None:
        for i, target in enumerate(targets):
            await registry.promote(
                name, target, spec=spec_for(name), evidence_hash=f"ev{i}", decided_by="ci"
            )

    asyncio.run(go())


def test_promote_in_order_mirrors_stage_in_pg_and_mlflow(
    registry: Registry, pg_schema: PgSchema, strategy: str, mlflow_client: MlflowClient
) -> None:
    async def go() -> list[tuple[str, int, str | None]]:
        seen = []
        for i, target in enumerate(("candidate", "paper", "live")):
            record = await registry.promote(
                strategy, target, spec=spec_for(strategy), evidence_hash=f"ev{i}",
                decided_by="alice", reason=f"gates passed {i}",
            )  # fmt: skip
            seen.append((record.stage, record.revision, record.model_version))
        return seen

    assert asyncio.run(go()) == [("candidate", 1, "1"), ("paper", 2, "1"), ("live", 3, "1")]
    current = asyncio.run(registry.current(strategy))
    assert current is not None
    assert (current.stage, current.evidence_hash, current.model_name) == (
        "live", "ev2", f"gauntlet.{strategy}",
    )  # fmt: skip
    assert current.spec["params"] == {"fast": 10, "slow": 50}
    # Exactly one stage alias, on the version that holds the stage.
    assert aliases(mlflow_client, strategy) == {"live": "1"}
    assert pg_state(pg_schema, strategy) == ([("live", 3, "1")], 3)


def test_model_version_comes_from_a_run_with_spec_and_evidence(
    registry: Registry, strategy: str, mlflow_client: MlflowClient, tmp_path: Path
) -> None:
    _climb(registry, strategy, "candidate")
    version = mlflow_client.get_model_version_by_alias(f"gauntlet.{strategy}", "candidate")
    run = mlflow_client.get_run(version.run_id)
    current = asyncio.run(registry.current(strategy))
    assert current is not None
    assert (
        run.data.tags["gauntlet.spec_hash"]
        == current.spec_hash
        == version.tags["gauntlet.spec_hash"]
    )
    assert run.data.tags["gauntlet.evidence_hash"] == "ev0"
    assert '"fast": 10' in run.data.tags["gauntlet.spec"]
    assert version.source == f"{run.info.artifact_uri}/spec"
    downloaded = mlflow_client.download_artifacts(run.info.run_id, "spec/spec.json", str(tmp_path))
    assert json.loads(Path(downloaded).read_text()) == spec_for(strategy)


def test_new_spec_gets_a_new_model_version_and_the_alias_moves(
    registry: Registry, strategy: str, mlflow_client: MlflowClient
) -> None:
    async def go() -> tuple[str | None, str | None]:
        first = await registry.promote(
            strategy,
            "candidate",
            spec=spec_for(strategy, fast=10),
            evidence_hash="a",
            decided_by="ci",
        )
        second = await registry.promote(
            strategy, "paper", spec=spec_for(strategy, fast=12), evidence_hash="b", decided_by="ci"
        )
        return first.model_version, second.model_version

    assert asyncio.run(go()) == ("1", "2")
    assert aliases(mlflow_client, strategy) == {"paper": "2"}
    history = asyncio.run(registry.history(strategy))
    assert [(h["model_version"], h["evidence_hash"]) for h in history] == [("1", "a"), ("2", "b")]


def test_caller_spec_hash_keys_the_model_version(
    registry: Registry, strategy: str, mlflow_client: MlflowClient
) -> None:
    spec = {**spec_for(strategy), "spec_hash": "abc123"}
    record = asyncio.run(
        registry.promote(strategy, "candidate", spec=spec, evidence_hash="e", decided_by="ci")
    )
    assert record.spec_hash == "abc123"
    found = mlflow_client.search_model_versions(f"name = 'gauntlet.{strategy}'")
    assert [v.tags["gauntlet.spec_hash"] for v in found] == ["abc123"]


@pytest.mark.parametrize(
    ("done", "target", "error", "message"),
    [
        ((), "paper", StageOrderError, "must be at candidate first"),
        ((), "live", StageOrderError, "must be at paper first"),
        (("candidate",), "live", StageOrderError, "from candidate to live"),
        (("candidate",), "candidate", StageConflictError, "already at candidate"),
        ((), "retired", StageOrderError, "promotions go to candidate, paper or live"),
        ((), "research", StageOrderError, "promotions go to"),
    ],
)
def test_skipping_or_repeating_a_rung_is_refused_and_changes_nothing(
    registry: Registry,
    pg_schema: PgSchema,
    strategy: str,
    done: tuple[str, ...],
    target: str,
    error: type[Exception],
    message: str,
) -> None:
    _climb(registry, strategy, *done)
    before = pg_state(pg_schema, strategy)
    with pytest.raises(error, match=message):
        asyncio.run(
            registry.promote(
                strategy, target, spec=spec_for(strategy), evidence_hash="x", decided_by="ci"
            )
        )
    assert pg_state(pg_schema, strategy) == before


def test_demote_needs_a_reason_and_a_lower_rung(
    registry: Registry, pg_schema: PgSchema, strategy: str, mlflow_client: MlflowClient
) -> None:
    _climb(registry, strategy, "candidate", "paper", "live")
    with pytest.raises(RegistryInputError, match="reason is required"):
        asyncio.run(registry.demote(strategy, "paper", reason="  ", decided_by="bob"))
    with pytest.raises(StageOrderError, match="lower rung"):
        asyncio.run(registry.demote(strategy, "live", reason="x", decided_by="bob"))
    record = asyncio.run(registry.demote(strategy, "candidate", reason="drift", decided_by="bob"))
    assert (record.stage, record.reason, record.updated_by, record.model_version) == (
        "candidate", "drift", "bob", "1",
    )  # fmt: skip
    assert aliases(mlflow_client, strategy) == {"candidate": "1"}
    record = asyncio.run(registry.demote(strategy, "research", reason="broken", decided_by="bob"))
    assert record.stage == "research"
    assert aliases(mlflow_client, strategy) == {}
    # From research the ladder starts again.
    _climb(registry, strategy, "candidate")
    assert pg_state(pg_schema, strategy) == ([("candidate", 6, "1")], 6)


def test_retire_drops_aliases_and_is_terminal(
    registry: Registry, pg_schema: PgSchema, strategy: str, mlflow_client: MlflowClient
) -> None:
    _climb(registry, strategy, "candidate", "paper")
    record = asyncio.run(registry.retire(strategy, reason="regime over", decided_by="risk"))
    assert (record.stage, record.reason) == ("retired", "regime over")
    assert aliases(mlflow_client, strategy) == {}
    with pytest.raises(StageOrderError, match="retired"):
        _climb(registry, strategy, "candidate")
    with pytest.raises(StageOrderError, match="retired"):
        asyncio.run(registry.demote(strategy, "research", reason="x", decided_by="y"))
    with pytest.raises(StageConflictError, match="already retired"):
        asyncio.run(registry.retire(strategy, reason="again", decided_by="y"))
    assert pg_state(pg_schema, strategy) == ([("retired", 3, "1")], 3)


def test_unknown_strategy_cannot_be_demoted_or_retired(registry: Registry, strategy: str) -> None:
    with pytest.raises(StageOrderError, match="never promoted"):
        asyncio.run(registry.retire(strategy, reason="x", decided_by="y"))
    with pytest.raises(StageOrderError, match="never promoted"):
        asyncio.run(registry.demote(strategy, "research", reason="x", decided_by="y"))
    assert asyncio.run(registry.current(strategy)) is None
    assert asyncio.run(registry.history(strategy)) == []


def test_history_is_complete_and_list_shows_every_strategy(
    registry: Registry, pg_schema: PgSchema, strategy: str
) -> None:
    other = strategy + "-b"
    _climb(registry, strategy, "candidate", "paper")
    _climb(registry, other, "candidate")
    asyncio.run(registry.demote(strategy, "candidate", reason="slippage", decided_by="pm"))
    asyncio.run(registry.retire(strategy, reason="replaced", decided_by="pm"))
    history = asyncio.run(registry.history(strategy))
    assert [
        (h["action"], h["from_stage"], h["to_stage"], h["decided_by"], h["reason"]) for h in history
    ] == [
        ("promote", "research", "candidate", "ci", ""),
        ("promote", "candidate", "paper", "ci", ""),
        ("demote", "paper", "candidate", "pm", "slippage"),
        ("retire", "candidate", "retired", "pm", "replaced"),
    ]
    assert [h["evidence_hash"] for h in history] == ["ev0", "ev1", "ev1", "ev1"]
    assert all(h["spec"]["params"]["fast"] == 10 for h in history)
    assert sorted(h["id"] for h in history) == [h["id"] for h in history]
    listed = asyncio.run(registry.list())
    assert [(r.name, r.stage) for r in listed] == [(strategy, "retired"), (other, "candidate")]
    assert listed[0].to_dict()["updated_at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.promote("Bad Name", "candidate", spec={"a": 1}, evidence_hash="e", decided_by="x"), "strategy name"),
        (lambda r: r.promote("ok", "production", spec={"a": 1}, evidence_hash="e", decided_by="x"), "unknown stage"),
        (lambda r: r.promote("ok", "candidate", spec={}, evidence_hash="e", decided_by="x"), "non-empty dict"),
        (lambda r: r.promote("ok", "candidate", spec={"a": float("nan")}, evidence_hash="e", decided_by="x"), "plain JSON"),
        (lambda r: r.promote("ok", "candidate", spec={"a": 1}, evidence_hash="e' or 1=1", decided_by="x"), "evidence_hash"),
        (lambda r: r.promote("ok", "candidate", spec={"a": 1}, evidence_hash="e", decided_by=""), "decided_by"),
        (lambda r: r.retire("ok", reason="", decided_by="x"), "reason is required"),
    ],
)  # fmt: skip
def test_bad_arguments_are_input_errors(tmp_path: Path, call: object, message: str) -> None:
    # Nothing is contacted: the DSN and store point nowhere.
    registry = Registry("postgresql://nobody@127.0.0.1:1/none", "gauntlet", str(tmp_path))
    with pytest.raises(RegistryInputError, match=message):
        asyncio.run(call(registry))  # type: ignore[operator]


def test_runs_with_the_application_role_grants(
    pg_schema: PgSchema, mlflow_dir: Path, strategy: str
) -> None:
    registry = Registry(
        pg_schema.dsn, pg_schema.name, str(mlflow_dir), role=app_role(pg_schema.name)
    )
    _climb(registry, strategy, "candidate", "paper")
    asyncio.run(registry.demote(strategy, "candidate", reason="drift", decided_by="pm"))
    assert len(asyncio.run(registry.history(strategy))) == 3

    async def delete_as_app() -> None:
        conn = await connect(pg_schema.dsn, schema=pg_schema.name)
        try:
            await conn.execute(f'SET ROLE "{app_role(pg_schema.name)}"')
            await conn.execute("DELETE FROM strategy_stages")
        finally:
            await conn.close()

    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        asyncio.run(delete_as_app())
    assert fetch(pg_schema, "SELECT stage FROM strategy_stages")[0]["stage"] == "candidate"
