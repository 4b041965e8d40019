"""`gauntlet db migrate` / `gauntlet db ingest` as a user runs them: the console script, in a subprocess."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from live.db import drop_schema, load_migrations
from tests.fixtures.bars import make_bars
from tests.fixtures.pg import unique_schema

pytestmark = [pytest.mark.services, pytest.mark.slow]  # console-script subprocesses

GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))


def _db(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GAUNTLET_DEBUG"}
    return subprocess.run(
        [GAUNTLET, "db", *args], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture
def schema(pg_dsn: str) -> Iterator[str]:
    name = unique_schema()
    yield name
    asyncio.run(drop_schema(pg_dsn, name))


def _ingest(
    path: Path, instrument: str, dsn: str, *options: str
) -> subprocess.CompletedProcess[str]:
    return _db(
        "ingest", str(path), "--instrument", instrument, "--timeframe", "1h", "--dsn", dsn, *options
    )


def _error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_migrate_then_ingest_twice(pg_dsn: str, schema: str, tmp_path: Path) -> None:
    first = _db("migrate", "--dsn", pg_dsn, "--schema", schema)
    shipped = ", ".join(f"{m.version:04d}" for m in load_migrations())
    assert (first.returncode, first.stdout.strip()) == (0, f"schema {schema}: applied {shipped}")
    assert (
        _db("migrate", "--dsn", pg_dsn, "--schema", schema).stdout.strip()
        == f"schema {schema}: up to date"
    )
    path = tmp_path / "eurusd.csv"
    make_bars(1_000, seed=3, freq="1h").to_csv(path)
    assert (
        _ingest(path, "EURUSD", pg_dsn, "--schema", schema).stdout.strip()
        == f"{path}: 1000 rows, 1000 new, 0 already stored (1 batches, 0 already committed)"
    )
    assert (
        _ingest(path, "EURUSD", pg_dsn, "--schema", schema).stdout.strip()
        == f"{path}: 1000 rows, 0 new, 1000 already stored (1 batches, 1 already committed)"
    )


def test_bad_input_is_one_line_exit_2(pg_dsn: str, schema: str, tmp_path: Path) -> None:
    assert _db("migrate", "--dsn", pg_dsn, "--schema", schema).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,open,high,low,close\n2024-01-01T00:00:00Z,1,0.5,1,1\n")
    line = _error_line(_ingest(bad, "X", pg_dsn, "--schema", schema))
    assert line.endswith(
        f"{bad}: 1 bad row(s), nothing ingested; row 1 (2024-01-01T00:00:00+00:00): high < max(open, close)"
    )
    missing = _error_line(_ingest(tmp_path / "nope.csv", "X", pg_dsn))
    assert missing.endswith(f"{tmp_path / 'nope.csv'}: file not found")
    schema_line = _error_line(_db("migrate", "--dsn", pg_dsn, "--schema", "Bad-Name"))
    assert "schema name 'Bad-Name'" in schema_line
    down = _error_line(_db("migrate", "--dsn", "postgresql://postgres@127.0.0.1:9/test"))
    assert "PostgreSQL: " in down
