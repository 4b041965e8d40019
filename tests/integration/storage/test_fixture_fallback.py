"""On a machine without the system servers the fixtures start embedded ones: proven for real by
running a storage test and a JetStream bus test in a pytest subprocess whose "system" servers
(PostgreSQL, Redis, NATS) point at a closed port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.services, pytest.mark.slow]

NOTHING_LISTENS = "127.0.0.1:9"  # the discard port: connection refused


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()
    except OSError:
        return False
    return True


def test_fixtures_fall_back_to_embedded_servers_and_stop_them(
    repo_root: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTEST_SYSTEM_PG_DSN": f"postgresql://postgres@{NOTHING_LISTENS}/test",
        "PYTEST_SYSTEM_REDIS_URL": f"redis://{NOTHING_LISTENS}/0",
        "PYTEST_SYSTEM_NATS_URL": f"nats://{NOTHING_LISTENS}",
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    redis_test = "tests/integration/storage/test_redis_state.py::test_state_is_rebuilt_from_postgres_after_redis_loses_it"
    nats_test = "tests/integration/bus/test_bus_contract.py::test_published_message_arrives_typed_and_intact[jetstream]"
    proc = subprocess.run(
        # An explicit --basetemp: without one, pytest resets /tmp/pytest-of-<user> to 0700, which
        # would lock embedded servers of the *running* session (as root) out of their folders.
        [sys.executable, "-m", "pytest", redis_test, nats_test, "-q", "-s", "-p", "no:cacheprovider", "-p", "no:xdist",
         f"--basetemp={tmp_path / 'basetemp'}"],
        capture_output=True, text=True, timeout=180, cwd=repo_root, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
    pg = re.search(r"using embedded PostgreSQL at (postgresql://\S+)", proc.stdout)
    redis = re.search(r"using embedded Redis at (redis://\S+)", proc.stdout)
    nats = re.search(r"using embedded NATS at (nats://\S+)", proc.stdout)
    assert pg is not None, proc.stdout
    assert redis is not None, proc.stdout
    assert nats is not None, proc.stdout
    assert not _listening(pg[1])  # stopped at session end
    assert not _listening(redis[1])
    assert not _listening(nats[1])
