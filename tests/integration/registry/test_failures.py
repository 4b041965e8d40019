"""Unreachable or failing PostgreSQL / MLflow: one clear error, no partial stage change.

Mid-transaction faults are real ones: a trigger in the MLflow SQLite database refuses alias
writes (MLflow raises from its SQL store), and a deferred constraint trigger in PostgreSQL makes
the COMMIT itself fail after the aliases moved."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from live.db import apply_migrations, drop_schema
from live.registry import Registry, RegistryError, RegistryUnavailableError
from live.registry.mlflow_store import ModelStore
from tests.fixtures.pg import PgSchema, unique_schema
from tests.integration.registry.helpers import aliases, execute, pg_state, spec_for

pytestmark = pytest.mark.services


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def _promote(registry: Registry, name: str, target: str = "candidate", **spec_args: object) -> None:
    asyncio.run(
        registry.promote(
            name, target, spec=spec_for(name, **spec_args), evidence_hash="e", decided_by="ci"
        )  # type: ignore[arg-type]
    )


def test_postgres_unreachable(tmp_path: Path, strategy: str) -> None:
    store = tmp_path / "mlruns"
    registry = Registry(
        f"postgresql://postgres:s3cret@127.0.0.1:{_closed_port()}/test", "gauntlet", str(store)
    )
    with pytest.raises(RegistryUnavailableError) as caught:
        _promote(registry, strategy)
    message = str(caught.value)
    assert message.startswith("PostgreSQL at 127.0.0.1:")
    assert "unreachable" in message
    assert "\n" not in message
    assert "s3cret" not in message
    # MLflow was opened (checked first) but nothing was registered.
    assert ModelStore(str(store)).client.search_registered_models() == []
    for call in (registry.list(), registry.current(strategy), registry.history(strategy)):
        with pytest.raises(RegistryUnavailableError, match="unreachable"):
            asyncio.run(call)  # type: ignore[arg-type]


def test_mlflow_server_unreachable_fails_fast_and_changes_nothing(
    pg_schema: PgSchema, strategy: str
) -> None:
    registry = Registry(pg_schema.dsn, pg_schema.name, f"http://127.0.0.1:{_closed_port()}")
    started = time.monotonic()
    with pytest.raises(
        RegistryUnavailableError,
        match=r"^MLflow registry unavailable: MLflow server .* is unreachable",
    ) as caught:
        _promote(registry, strategy)
    assert time.monotonic() - started < 10
    assert "\n" not in str(caught.value)
    assert pg_state(pg_schema, strategy) == ([], 0)
    with pytest.raises(RegistryUnavailableError):
        asyncio.run(registry.check_available())


def test_mlflow_store_unwritable(pg_schema: PgSchema, tmp_path: Path, strategy: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    registry = Registry(pg_schema.dsn, pg_schema.name, str(blocker / "mlruns"))
    with pytest.raises(RegistryUnavailableError, match="not writable"):
        _promote(registry, strategy)
    assert pg_state(pg_schema, strategy) == ([], 0)


def test_mlflow_failing_inside_the_transaction_rolls_postgres_back(
    pg_schema: PgSchema, tmp_path: Path, strategy: str
) -> None:
    store = tmp_path / "mlruns"
    registry = Registry(pg_schema.dsn, pg_schema.name, str(store))
    _promote(registry, strategy)
    before = pg_state(pg_schema, strategy)
    # From now on MLflow's SQL store refuses alias writes; reads and the version lookup still work,
    # so the failure comes after the PostgreSQL UPDATE and INSERT of the transaction.
    with sqlite3.connect(store / "mlflow.db") as db:
        db.execute(
            "CREATE TRIGGER refuse_alias BEFORE INSERT ON registered_model_aliases "
            "BEGIN SELECT RAISE(ABORT, 'alias writes refused'); END"
        )
    with pytest.raises(
        RegistryUnavailableError, match=r"failed to move the stage aliases.*alias writes refused"
    ) as caught:
        _promote(registry, strategy, "paper")
    assert "\n" not in str(caught.value)
    assert pg_state(pg_schema, strategy) == before == ([("candidate", 1, "1")], 1)
    assert aliases(ModelStore(str(store)).client, strategy) == {"candidate": "1"}


def test_failed_commit_restores_the_aliases(
    pg_schema: PgSchema, mlflow_dir: Path, mlflow_client: MlflowClient, strategy: str
) -> None:
    registry = Registry(pg_schema.dsn, pg_schema.name, str(mlflow_dir))
    _promote(registry, strategy)
    # Deferred: runs at COMMIT, after the registry moved the MLflow aliases.
    execute(pg_schema, """
        CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'commit refused by test'; END $$;
        CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER UPDATE ON strategy_stages
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit();
    """)  # fmt: skip
    with pytest.raises(
        RegistryError,
        match=r"commit of .* failed .*commit refused by test.*MLflow aliases restored",
    ):
        _promote(registry, strategy, "paper")
    assert pg_state(pg_schema, strategy) == ([("candidate", 1, "1")], 1)
    assert aliases(mlflow_client, strategy) == {"candidate": "1"}


def test_schema_without_the_migration(pg_dsn: str, mlflow_dir: Path, strategy: str) -> None:
    schema = unique_schema()
    asyncio.run(apply_migrations(pg_dsn, schema=schema))  # create the schema, then drop the table
    try:
        execute(PgSchema(pg_dsn, schema), "DROP TABLE strategy_stages")
        registry = Registry(pg_dsn, schema, str(mlflow_dir))
        with pytest.raises(
            RegistryUnavailableError, match="no strategy_stages table; run `gauntlet db migrate`"
        ):
            _promote(registry, strategy)
        with pytest.raises(RegistryUnavailableError, match="gauntlet db migrate"):
            asyncio.run(registry.check_available())
    finally:
        asyncio.run(drop_schema(pg_dsn, schema))
