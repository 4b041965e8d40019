"""Two promotions of the same strategy at the same time: exactly one wins.

The gather and two-process tests race real promotions end to end. The lock tests make the
interleaving deterministic: the test itself holds the row (or the first-time insert) in an open
transaction, waits until the registry's session is blocked on that lock in pg_stat_activity, and
only then commits or rolls back."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path

import asyncpg
import pytest
from mlflow.tracking import MlflowClient

from live.db import connect
from live.registry import Registry, StageConflictError, StageRecord
from tests.fixtures.pg import PgSchema
from tests.integration.registry.helpers import aliases, pg_state, spec_for
from tests.integration.registry.racer import race

pytestmark = pytest.mark.services


def _outcomes(results: list[StageRecord | BaseException]) -> tuple[int, int]:
    won = [r for r in results if isinstance(r, StageRecord)]
    lost = [r for r in results if isinstance(r, StageConflictError)]
    assert len(won) + len(lost) == len(results), results  # nothing else went wrong
    return len(won), len(lost)


def _assert_one_promotion(
    pg_schema: PgSchema, client: MlflowClient, name: str, stage: str, revision: int
) -> None:
    rows, records = pg_state(pg_schema, name)
    assert rows == [(stage, revision, "1")]
    assert records == revision  # one record per change, none for the loser
    assert aliases(client, name) == {stage: "1"}
    versions = client.search_model_versions(f"name = 'gauntlet.{name}'")
    assert [v.version for v in versions] == [1]


@pytest.mark.parametrize("round_", range(3))
def test_two_first_time_promotions_over_two_connections(
    pg_schema: PgSchema, mlflow_dir: Path, mlflow_client: MlflowClient, strategy: str, round_: int
) -> None:
    async def go() -> list[StageRecord | BaseException]:
        # Two registries: separate connections and separate MLflow clients, as two CLI runs.
        a, b = (Registry(pg_schema.dsn, pg_schema.name, str(mlflow_dir)) for _ in range(2))
        await asyncio.gather(a.check_available(), b.check_available())
        return await asyncio.gather(
            *(r.promote(strategy, "candidate", spec=spec_for(strategy), evidence_hash=f"e{i}",
                        decided_by=f"job-{i}") for i, r in enumerate((a, b))),
            return_exceptions=True,
        )  # fmt: skip

    assert _outcomes(asyncio.run(go())) == (1, 1)
    _assert_one_promotion(pg_schema, mlflow_client, strategy, "candidate", 1)


def test_two_promotions_of_an_existing_row(
    registry: Registry,
    pg_schema: PgSchema,
    mlflow_dir: Path,
    mlflow_client: MlflowClient,
    strategy: str,
) -> None:
    asyncio.run(
        registry.promote(
            strategy, "candidate", spec=spec_for(strategy), evidence_hash="e", decided_by="ci"
        )
    )

    async def go() -> list[StageRecord | BaseException]:
        a, b = (Registry(pg_schema.dsn, pg_schema.name, str(mlflow_dir)) for _ in range(2))
        return await asyncio.gather(
            *(r.promote(strategy, "paper", spec=spec_for(strategy), evidence_hash="p", decided_by="ci")
              for r in (a, b)),
            return_exceptions=True,
        )  # fmt: skip

    assert _outcomes(asyncio.run(go())) == (1, 1)
    _assert_one_promotion(pg_schema, mlflow_client, strategy, "paper", 2)


def test_two_processes(
    pg_schema: PgSchema, mlflow_dir: Path, mlflow_client: MlflowClient, strategy: str
) -> None:
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no shared client or loop
    barrier = ctx.Barrier(2)
    out = ctx.Queue()
    args = (
        pg_schema.dsn,
        pg_schema.name,
        str(mlflow_dir),
        strategy,
        spec_for(strategy),
        barrier,
        out,
    )
    procs = [ctx.Process(target=race, args=args) for _ in range(2)]
    for proc in procs:
        proc.start()
    results = sorted(out.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(30)
    assert [r.split(":")[0] for r in results] == ["conflict", "won"], results
    _assert_one_promotion(pg_schema, mlflow_client, strategy, "candidate", 1)


async def _wait_until_blocked(conn: asyncpg.Connection) -> None:
    """Until a registry session waits on a lock `conn` holds (it read the row, now locks it)."""
    for _ in range(500):
        # Statistics views are snapshotted per transaction, and `conn` is inside one.
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        waiting = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gauntlet-registry' "
            "AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"  # blocked by us, not other tests
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the registry never blocked on the row lock")


async def _race_against(
    schema: PgSchema, registry: Registry, name: str, target: str, statement: str, commit: bool
) -> StageRecord:
    """Run `statement` in an open transaction, start the promotion, let it block, then end the
    transaction; returns the promotion's record (or raises its error)."""
    other = await connect(schema.dsn, schema=schema.name, application_name="test-other-writer")
    try:
        tx = other.transaction()
        await tx.start()
        await other.execute(statement)
        promotion = asyncio.create_task(
            registry.promote(name, target, spec=spec_for(name), evidence_hash="e", decided_by="ci")
        )
        await _wait_until_blocked(other)
        await (tx.commit() if commit else tx.rollback())
        return await promotion
    finally:
        await other.close()


def test_row_changed_while_waiting_for_the_lock_is_a_conflict(
    registry: Registry, pg_schema: PgSchema, mlflow_client: MlflowClient, strategy: str
) -> None:
    asyncio.run(
        registry.promote(
            strategy, "candidate", spec=spec_for(strategy), evidence_hash="e", decided_by="ci"
        )
    )
    bump = f"UPDATE strategy_stages SET stage = 'paper', revision = revision + 1, updated_by = 'other' WHERE strategy = '{strategy}'"
    with pytest.raises(
        StageConflictError,
        match="changed underneath this promote: it was candidate, now it is paper",
    ):
        asyncio.run(_race_against(pg_schema, registry, strategy, "paper", bump, commit=True))
    assert pg_state(pg_schema, strategy) == (
        [("paper", 2, "1")],
        1,
    )  # only the other writer's change
    assert aliases(mlflow_client, strategy) == {"candidate": "1"}  # the loser touched no alias


def test_first_time_insert_waits_for_the_other_insert(
    registry: Registry, pg_schema: PgSchema, strategy: str
) -> None:
    claim = f"INSERT INTO strategy_stages (strategy, stage, revision, updated_by) VALUES ('{strategy}', 'candidate', 1, 'other')"
    with pytest.raises(StageConflictError, match="it was research, now it is candidate"):
        asyncio.run(_race_against(pg_schema, registry, strategy, "candidate", claim, commit=True))
    assert pg_state(pg_schema, strategy) == ([("candidate", 1, None)], 0)


def test_the_other_writer_rolls_back_and_the_waiting_promotion_wins(
    registry: Registry, pg_schema: PgSchema, strategy: str
) -> None:
    claim = f"INSERT INTO strategy_stages (strategy, stage, revision, updated_by) VALUES ('{strategy}', 'candidate', 1, 'other')"
    record = asyncio.run(
        _race_against(pg_schema, registry, strategy, "candidate", claim, commit=False)
    )
    assert (record.stage, record.revision, record.updated_by) == ("candidate", 1, "ci")
    assert pg_state(pg_schema, strategy) == ([("candidate", 1, "1")], 1)
