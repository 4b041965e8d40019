"""The Polygon simulator's control surface (POST /__sim__/faults, GET /__sim__/stats) and the
`gauntlet sim polygon` command: it prints where it listens, serves, takes faults over HTTP,
stops on Ctrl-C with its account, and refuses bad input in one line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from execution_engine.adapters.polygon.sim import sources
from execution_engine.adapters.polygon.sim.server import PolygonSimConfig, PolygonSimulator

KEY = "control-key"
AGGS = "/v2/aggs/ticker/C:EURUSD/range/1/day/2020-01-01/2020-01-10"
GAUNTLET = [sys.executable, "-m", "gauntlet"]


@pytest.fixture(scope="module")
def sim() -> Iterator[PolygonSimulator]:
    with PolygonSimulator(PolygonSimConfig(api_key=KEY, series=sources.sample())) as simulator:
        yield simulator


def test_faults_over_http_apply_exactly(sim: PolygonSimulator) -> None:
    with httpx.Client(base_url=sim.base_url) as http:
        applied = http.post("/__sim__/faults", json={"rate_limit": 2})
        assert applied.json() == {"applied": {"rate_limit": 2}}
        answers = [http.get(AGGS, params={"apiKey": KEY}).status_code for _ in range(3)]
        assert answers == [429, 429, 200]
        assert http.get("/__sim__/stats").json()["rate_limited"] == 2


def test_a_bad_fault_request_is_a_400(sim: PolygonSimulator) -> None:
    with httpx.Client(base_url=sim.base_url) as http:
        unknown = http.post("/__sim__/faults", json={"explode": True})
        negative = http.post("/__sim__/faults", json={"rate_limit": -1})
        assert unknown.status_code == negative.status_code == 400
        assert "explode" in unknown.json()["error"]
        assert http.get(AGGS, params={"apiKey": KEY}).status_code == 200


def test_the_key_goes_in_the_query_or_a_bearer_header(sim: PolygonSimulator) -> None:
    with httpx.Client(base_url=sim.base_url) as http:
        assert http.get(AGGS, params={"apiKey": KEY}).status_code == 200
        assert http.get(AGGS, headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
        missing = http.get(AGGS)
        assert missing.status_code == 401
        assert missing.json()["error"] == "API Key was not provided"
        assert missing.json()["status"] == "ERROR"


def read_port(process: subprocess.Popen[str]) -> int:
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if match := re.search(r"listening on http://127\.0\.0\.1:(\d+)", line):
            return int(match.group(1))
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"no banner from gauntlet sim polygon (exit {process.poll()})")


def test_the_command_serves_until_ctrl_c(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*GAUNTLET, "sim", "polygon", "--api-key", KEY, "--port", "0", "--synthetic-minutes", "3000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        port = read_port(process)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", params={"apiKey": KEY}) as http:
            minutes = "/v2/aggs/ticker/C:EURUSD/range/1/minute/2020-01-01/2020-01-31"
            body = http.get(minutes, params={"limit": 50_000}).json()
            assert body["resultsCount"] == 3000
            http.post("/__sim__/faults", json={"rate_limit": 1})
            assert http.get(minutes).status_code == 429
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err.strip() == (
        "gauntlet: interrupted: Polygon simulator stopped after 2 REST request(s), "
        "0 WebSocket connection(s), 0 event(s)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "no-such-file.csv"], "--data no-such-file.csv does not exist"),
        (["--rate", "0"], "--rate 0 is not between 0 and 100000 frames per second"),
        (["--synthetic-minutes", "0"], "--synthetic-minutes 0 is not between 1 and 20000000"),
        (
            ["--data", "x.csv", "--synthetic-minutes", "5"],
            "give one of --data, --catalog and --synthetic-minutes",
        ),
        (["--port", "70000"], "--port 70000 is not a TCP port (0-65535)"),
        (["--catalog", "no-such-folder"], "--catalog no-such-folder is not a folder"),
        (["--api-key", " "], "--api-key is empty: give the key clients will send"),
    ],
)
def test_bad_input_is_one_line(args: list[str], message: str) -> None:
    done = subprocess.run(
        [*GAUNTLET, "sim", "polygon", "--api-key", KEY, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == f"gauntlet: error: {message}\n"
