"""Shared test set-up. Fixture modules live in tests/fixtures/, one per concern."""

import os

import pytest

# Fixture plugins, one per service or concern; each module owns its fixtures.
pytest_plugins = [
    plugin
    for plugin in (
        "tests.fixtures.bars",
        "tests.fixtures.pg",
        "tests.fixtures.redis",
        "tests.fixtures.nats",
        "tests.fixtures.vault",
    )
    if os.path.exists(
        os.path.join(os.path.dirname(__file__), "fixtures", plugin.split(".")[-1] + ".py")
    )
]

# Numba and vectorbt compile on first use; share one on-disk cache across test workers.
os.environ.setdefault(
    "NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".numba_cache")
)


@pytest.fixture(scope="session")
def repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
