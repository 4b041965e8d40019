"""Registry fixtures: a PostgreSQL schema per test (tests/fixtures/pg.py) and a real MLflow
SQLite-backed store. The store is shared by the tests of a worker (creating its tables takes
~1.5 s) and each test uses its own strategy name; tests that break a store make their own."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from live.registry import Registry
from live.registry.mlflow_store import ModelStore
from tests.fixtures.pg import PgSchema


@pytest.fixture(scope="session")
def mlflow_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("registry-mlruns")
    ModelStore(str(folder))  # creates the SQLite store's tables once
    return folder


@pytest.fixture
def mlflow_client(mlflow_dir: Path) -> MlflowClient:
    return ModelStore(str(mlflow_dir)).client


@pytest.fixture
def strategy() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def registry(pg_schema: PgSchema, mlflow_dir: Path) -> Registry:
    return Registry(pg_schema.dsn, pg_schema.name, str(mlflow_dir))
