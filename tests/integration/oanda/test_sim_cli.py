"""`gauntlet sim oanda` as a user runs it: it announces where it listens, serves the v20
API there until Ctrl-C, and answers bad input with one line and exit 2."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

GAUNTLET = str(Path(sys.executable).parent / "gauntlet")  # the venv running the tests
TOKEN = "cli-token"


def _banner_port(process: subprocess.Popen[str], deadline: float = 30.0) -> int:
    assert process.stdout is not None
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if found:
            return int(found.group(1))
        if not line and process.poll() is not None:
            break
    raise AssertionError("gauntlet sim oanda printed no address")


def test_serves_until_ctrl_c() -> None:
    process = subprocess.Popen(
        [GAUNTLET, "sim", "oanda", "--port", "0", "--token", TOKEN, "--interval", "0.05"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        port = _banner_port(process)
        answer = httpx.get(
            f"http://127.0.0.1:{port}/v3/accounts", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.json()["accounts"][0]["id"] == "101-001-0000001-001"
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert process.returncode != 0
    assert err.strip().splitlines() == [err.strip()]
    assert "OANDA simulator stopped" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "0"], "--interval 0.0 is not between 0 and 3600 seconds"),
        (["--data", "/no/such/bars.csv"], "--data /no/such/bars.csv does not exist"),
        (["--balance", "lots"], "--balance 'lots' is not a number"),
        (["--rate-limit", "0"], "--rate-limit"),
        (["--heartbeat", "0"], "--heartbeat: Input should be greater than 0"),
        (["--data", "/dev/null"], "--data /dev/null is not a file"),
        (["--port", "70000"], "--port 70000 is not a TCP port (0-65535)"),
        (["--token", " "], "--token is empty"),
    ],
)
def test_bad_input_is_one_line(args: list[str], message: str) -> None:
    done = subprocess.run(
        [GAUNTLET, "sim", "oanda", "--token", TOKEN, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr


def test_a_taken_port_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [GAUNTLET, "sim", "oanda", "--token", TOKEN, "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "could not start" in done.stderr
