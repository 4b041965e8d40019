"""`gauntlet data fetch polygon` as a user runs it (the console script, in a subprocess) against
the Polygon simulator: a fetch, a rerun that asks for nothing, --db, and every bad input as
one line on stderr and exit 2."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from execution_engine.adapters.polygon.sim import sources
from execution_engine.adapters.polygon.sim.server import PolygonSimConfig, PolygonSimulator

from live.stack._process import free_port
from tests.fixtures.pg import PgSchema

pytestmark = pytest.mark.slow  # console-script subprocesses

GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))
KEY = "cli-sim-key"
BARS = 10_000  # fx-week minute bars from 2020-01-01 to 2020-01-08


@pytest.fixture(scope="module")
def sim() -> Iterator[PolygonSimulator]:
    simulator = PolygonSimulator(
        PolygonSimConfig(api_key=KEY, series=sources.synthetic_minutes(BARS))
    )
    simulator.start()
    yield simulator
    simulator.stop()


def fetch(
    sim: PolygonSimulator, tmp_path: Path, *args: str, key: str = KEY
) -> subprocess.CompletedProcess[str]:
    return fetch_from(sim.base_url, tmp_path, *args, key=key)


def fetch_from(
    base_url: str, tmp_path: Path, *args: str, key: str = KEY
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GAUNTLET_DEBUG"}
    env |= {
        "GAUNTLET_SECRETS__BACKEND": "env",
        "GAUNTLET_SECRET_POLYGON_API_KEY": key,
        "GAUNTLET_DATA_DIR": str(tmp_path / "state"),
    }
    command = [GAUNTLET, "data", "fetch", "polygon", "--base-url", base_url,
               "--catalog", str(tmp_path / "catalog"), *args]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gauntlet: error: ")
    return lines[0]


RANGE = ("--ticker", "C:EURUSD", "--from", "2020-01-01", "--to", "2020-01-10")


def test_fetch_then_a_rerun_that_asks_for_nothing(sim: PolygonSimulator, tmp_path: Path) -> None:
    first = fetch(sim, tmp_path, *RANGE)
    assert first.returncode == 0, first.stderr
    assert f"{BARS} bars fetched, {BARS} written" in first.stdout
    again = json.loads(fetch(sim, tmp_path, *RANGE, "--json").stdout)
    assert (again["pages"], again["rows_fetched"], again["ranges_skipped"]) == (
        0,
        0,
        ["2020-01-01..2020-01-10"],
    )


def test_fetch_into_postgres(sim: PolygonSimulator, pg_schema: PgSchema, tmp_path: Path) -> None:
    proc = fetch(sim, tmp_path, *RANGE, "--db", "--dsn", pg_schema.dsn,
                 "--schema", pg_schema.name, "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["rows_written"], report["db_rows_inserted"]) == (BARS, BARS)


def test_a_wrong_key_is_one_line(sim: PolygonSimulator, tmp_path: Path) -> None:
    line = error_line(fetch(sim, tmp_path, *RANGE, key="wrong-key"))
    assert "HTTP 401" in line
    assert "wrong-key" not in line
    assert "nothing was written" in line


def test_an_empty_range_is_one_line_unless_allowed(sim: PolygonSimulator, tmp_path: Path) -> None:
    empty = ("--ticker", "C:EURUSD", "--from", "2019-06-01", "--to", "2019-06-02")
    assert "Polygon has no 1m bars for C:EURUSD" in error_line(fetch(sim, tmp_path, *empty))
    assert fetch(sim, tmp_path, *empty, "--allow-empty").returncode == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from", "2020-13-01"), "--from '2020-13-01' is not a date"),
        (("--from", "2020-02-01"), "--to 2020-01-10 is before --from 2020-02-01"),
        (("--timespan", "fortnight"), "timespan 'fortnight'"),
        (("--ticker", "C:FOOBAR"), "no currency 'FOO'"),
    ],
)
def test_bad_input_is_one_line(
    sim: PolygonSimulator, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    given = dict(zip(RANGE[::2], RANGE[1::2], strict=True)) | dict(
        zip(args[::2], args[1::2], strict=True)
    )
    assert says in error_line(fetch(sim, tmp_path, *(x for kv in given.items() for x in kv)))


def test_unreachable_postgres_is_one_line(sim: PolygonSimulator, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = error_line(
        fetch(sim, tmp_path, *RANGE, "--dsn", f"postgresql://postgres@127.0.0.1:{port}/x")
    )
    assert line.startswith("gauntlet: error: PostgreSQL: ")
    assert line.endswith("nothing was written")


def test_against_gauntlet_sim_polygon(tmp_path: Path) -> None:
    """The simulator as a user starts it, in its own process."""
    port = free_port()
    server = subprocess.Popen(
        [GAUNTLET, "sim", "polygon", "--api-key", KEY, "--port", str(port),
         "--synthetic-minutes", str(BARS)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_listening(url, server)
        proc = fetch_from(url, tmp_path, *RANGE, "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["rows_written"] == BARS
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_listening(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/__sim__/stats", timeout=1.0)
            return
        except httpx.TransportError:
            assert server.poll() is None, server.communicate()
            time.sleep(0.1)
    raise AssertionError("gauntlet sim polygon did not listen within 60 s")
