"""The embedded fallback, exercised for real even when the system servers are up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
import redis

from live.stack._process import pid_alive, read_json
from live.stack.base import STATE_FILE, EmbeddedServer
from live.stack.postgres import EmbeddedPostgres
from live.stack.redis import EmbeddedRedis
from tests.fixtures.pg import embedded_pg_dir

pytestmark = pytest.mark.services


class NeverReady(EmbeddedServer):
    """A "server" that runs but never answers its probe: `sleep` as our child."""

    name = "never"
    what = "embedded never-ready"
    log_file = "never.log"
    error = OSError
    start_timeout_s = 0.5

    def url(self, port: int) -> str:
        return f"never://127.0.0.1:{port}"

    def _launch(self, home: Path, port: int) -> None:
        self._spawn(home, port, ["sleep", "60"])

    def _answers(self, port: int) -> bool:
        return False


async def _query(dsn: str) -> tuple[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS kept (n int)")
        await conn.execute("INSERT INTO kept VALUES (1)")
        return str(await conn.fetchval("SHOW server_version")), int(
            await conn.fetchval("SELECT count(*) FROM kept")
        )
    finally:
        await conn.close()


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    with embedded_pg_dir() as folder:
        yield folder


def test_embedded_postgres_starts_answers_stops_and_keeps_its_data(pg_dir: Path) -> None:
    tmp_path = pg_dir
    server = EmbeddedPostgres()
    try:
        endpoint = server.start(tmp_path)
        assert endpoint.url.startswith("postgresql://postgres@127.0.0.1:")
        assert server.start(tmp_path) == endpoint  # adopts the running instance
        version, rows = asyncio.run(_query(endpoint.url))
        assert version.split(".")[0].isdigit()
        assert rows == 1
        server.stop(tmp_path)
        assert server.status(tmp_path) is None
        server.stop(tmp_path)  # idempotent
        again = server.start(tmp_path)
        assert again.url == endpoint.url  # same port on restart
        assert asyncio.run(_query(again.url))[1] == 2
    finally:
        server.stop(tmp_path)
    assert server.status(tmp_path) is None


def test_embedded_redis_starts_answers_stops_and_keeps_its_data(tmp_path: Path) -> None:
    server = EmbeddedRedis()
    try:
        endpoint = server.start(tmp_path)
        assert endpoint.url.startswith("redis://127.0.0.1:")
        assert server.start(tmp_path) == endpoint
        client = redis.Redis.from_url(endpoint.url)
        client.set("kept", "yes")
        client.close()
        server.stop(tmp_path)
        assert server.status(tmp_path) is None
        server.stop(tmp_path)
        client = redis.Redis.from_url(server.start(tmp_path).url)
        assert client.get("kept") == b"yes"  # snapshot written on the clean stop
        client.close()
    finally:
        server.stop(tmp_path)
    assert server.status(tmp_path) is None


def test_a_server_that_never_gets_ready_is_stopped_and_the_error_names_its_log(
    tmp_path: Path,
) -> None:
    server = NeverReady(port=1)
    with pytest.raises(OSError, match=r"embedded never-ready did not become ready .*never\.log"):
        server.start(tmp_path)
    pid = read_json(tmp_path / "never" / STATE_FILE)["pid"]
    assert not pid_alive(pid)  # not left running
    assert server.status(tmp_path) is None
