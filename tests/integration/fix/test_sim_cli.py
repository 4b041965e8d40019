"""`gauntlet sim fix` as a user runs it: a process that serves TLS FIX until SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from execution_engine.adapters.fix.config import load_venue_config
from execution_engine.adapters.fix.session import FixInitiator
from execution_engine.adapters.fix.sinks import QueueSink

from live.stack._process import free_port
from tests.integration.fix.conftest import resolver

GAUNTLET = str(Path(sys.executable).parent / "gauntlet")
BARS = Path(__file__).resolve().parents[3] / "data" / "sample" / "EURUSD_H1_synthetic.csv"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "GAUNTLET_DEBUG"}


def _wait_for_file(proc: subprocess.Popen[str], path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, "the simulator exited before it was ready"
        assert time.monotonic() < deadline, f"{path} was not written within {timeout} s"
        time.sleep(0.1)


@pytest.mark.slow
# SIGINT is Ctrl-C: QuickFIX and NautilusTrader replace its handler on import, and it hung the
# simulator until the command put Python's back (gauntlet.cli.app.reclaim_stop_signals).
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_serves_a_tls_session_and_stops_cleanly_on_a_stop_signal(
    tmp_path: Path, stop: signal.Signals
) -> None:
    port = free_port()
    state = tmp_path / "sim"
    proc = subprocess.Popen(
        [GAUNTLET, "sim", "fix", "--bars", str(BARS), "--port", str(port), "--state", str(state),
         "--interval", "0.05"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip
    try:
        _wait_for_file(proc, state / "fix-sim.toml", timeout=60)  # written as it starts serving
        config = load_venue_config(state / "fix-sim.toml")
        secrets = {"fix_sim_username": "gauntlet", "fix_sim_password": "sim-password"}
        initiator = FixInitiator(config, tmp_path / "node", resolver(secrets), QueueSink())
        initiator.start()
        assert initiator.is_logged_on
        initiator.stop()
    finally:
        proc.send_signal(stop)
        shown, err = proc.communicate(timeout=20)
    assert f"listening on 127.0.0.1:{port} (TLS)" in shown
    assert f"dev CA: {state / 'ca' / 'ca.pem'}" in shown
    assert proc.returncode == 128 + stop
    assert err.strip().splitlines() == [
        f"gauntlet: interrupted: FIX simulator stopped (0 orders, 0 fills; ledger {state / 'ledger.jsonl'})"
    ]


@pytest.mark.slow
def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            [GAUNTLET, "sim", "fix", "--bars", str(BARS), "--port", str(port), "--state", str(tmp_path)],
            capture_output=True, text=True, env=_env(), timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == f"gauntlet: error: port {port} is in use\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bars", "/no/such.csv"], "bars file /no/such.csv does not exist"),
        (["--bars", str(BARS), "--port", "70000"], "--port 70000 is not a TCP port (1-65535)"),
        (["--bars", str(BARS), "--spread", "wide"], "--spread 'wide' is not a number"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [GAUNTLET, "sim", "fix", "--state", str(tmp_path), *args],
        capture_output=True, text=True, env=_env(), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == f"gauntlet: error: {message}\n"
