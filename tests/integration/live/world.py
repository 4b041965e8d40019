"""A live trading world for `gauntlet live` tests (import the `world` fixture into a test
module): the FIX simulator over TLS with a quote feed, its client config, and a registry
(PostgreSQL schema + MLflow store) to promote specs in.

Module-scoped: QuickFIX's start and stop take about a second a side, MLflow's store tables
~1.5 s; each test promotes a spec of its own name, so tests do not see each other's stages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from execution_engine.adapters.fix.sim.book import BookRules
from execution_engine.adapters.fix.sim.quotes import Quote
from execution_engine.adapters.fix.sim.server import FixSimulator

from live.registry import Registry
from live.registry.mlflow_store import ModelStore
from tests.fixtures.pg import unique_schema
from tests.integration.fix.conftest import start_simulator

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample" / "EURUSD_H1_synthetic.csv"
SIM_ENV = {
    "GAUNTLET_SECRETS__BACKEND": "env",
    "GAUNTLET_SECRET_FIX_SIM_USERNAME": "gauntlet",
    "GAUNTLET_SECRET_FIX_SIM_PASSWORD": "sim-password",
}


class QuoteFeed:
    """Pushes a zigzag of EURUSD quotes into the simulator every `every` seconds: rising for
    `leg` quotes, then falling, so sma_cross(1, 2) on 4-quote bars changes side every few
    bars and the node keeps trading."""

    def __init__(self, sim: FixSimulator, every: float = 0.04, leg: int = 24) -> None:
        self._sim, self._every, self._leg = sim, every, leg
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        price, step, n = Decimal("1.1000"), Decimal("0.0005"), 0
        while not self._stop.wait(self._every):
            n += 1
            price += step if (n // self._leg) % 2 == 0 else -step
            self._sim.push_quote(
                Quote("EURUSD", price, price + Decimal("0.0002"), dt.datetime.now(dt.UTC))
            )

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


@dataclass
class LiveWorld:
    root: Path
    sim: FixSimulator
    config: Path  # the venue config (TOML) for the simulator
    registry: Registry
    env: dict[str, str]  # what a `gauntlet` process needs (secrets, state roots)

    def spec(self, name: str | None = None, instrument: str = "EUR/USD") -> tuple[str, Path]:
        """A new spec file (sma_cross 1/2, a week of the sample) under a unique name."""
        name = name or f"live-{uuid.uuid4().hex[:8]}"
        path = self.root / f"{name}.yaml"
        path.write_text(
            f"name: {name}\nstrategy: sma_cross\nparams: {{fast: 1, slow: 2}}\n"
            f"instruments: [{instrument}]\ndata: {SAMPLE}\nstart: 2020-01-01\nend: 2020-01-10\n"
            "costs: {commission: 0, spread: 0}\nfolds: 1\n",
            encoding="utf-8",
        )
        return name, path

    def promote(self, name: str, stage: str, spec_hash: str) -> None:
        """Climb the ladder to `stage` with `spec_hash` (what `gauntlet promote` records)."""
        ladder = ("candidate", "paper", "live")

        async def climb() -> None:
            for i, rung in enumerate(ladder[: ladder.index(stage) + 1]):
                await self.registry.promote(
                    name, rung, spec={"name": name, "spec_hash": spec_hash},
                    evidence_hash=f"{i:064x}", decided_by="ci",
                )  # fmt: skip

        asyncio.run(climb())

    def keep_current(self, name: str, spec_hash: str) -> None:
        """`name` at live for `spec_hash`: the hash covers the git commit and whether the tree
        is dirty, which a commit made elsewhere in the checkout changes mid-test; demoted and
        promoted again (what a person does after a code change) when it differs."""

        async def again() -> None:
            current = await self.registry.current(name)
            if current is not None and current.spec_hash == spec_hash:
                return
            await self.registry.demote(name, "paper", reason="code changed", decided_by="ci")
            await self.registry.promote(
                name, "live", spec={"name": name, "spec_hash": spec_hash},
                evidence_hash="f" * 64, decided_by="ci",
            )  # fmt: skip

        asyncio.run(again())

    def registry_args(self) -> list[str]:
        return [
            "--dsn", self.registry.dsn, "--schema", self.registry.schema,
            "--tracking-uri", str(self.registry.tracking_uri),
        ]  # fmt: skip


def write_venue_config(sim: FixSimulator, path: Path, ca_file: Path | None = None) -> Path:
    """The client config `gauntlet sim fix` writes for a simulator (sim_cmd.py)."""
    assert sim.ca is not None
    config = sim.config
    path.write_text(
        f'host = "127.0.0.1"\nport = {config.port}\n'
        f'sender_comp_id = "{config.target_comp_id}"\ntarget_comp_id = "{config.sender_comp_id}"\n'
        'username_secret = "fix_sim_username"\npassword_secret = "fix_sim_password"\n'
        f'account = "{config.account}"\nmax_logon_attempts = 2\nlogon_backoff_seconds = 0.2\n'
        f'logon_timeout_seconds = 3.0\n\n[tls]\nca_file = "{ca_file or sim.ca.ca_file}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, pg_dsn: str) -> Iterator[LiveWorld]:
    from live.db import apply_migrations, drop_schema

    root = tmp_path_factory.mktemp("live")
    sim = start_simulator(root / "sim", BookRules(top_size=Decimal(100_000_000)))
    feed = QuoteFeed(sim)
    schema = unique_schema()
    asyncio.run(apply_migrations(pg_dsn, schema=schema))
    mlruns = root / "mlruns"
    ModelStore(str(mlruns))  # the store's tables, once
    env = SIM_ENV | {
        "GAUNTLET_LIVE_DIR": str(root / "live-state"),
        "GAUNTLET_RUNS_DIR": str(root / "runs"),
        # `live start` records its quotes into the catalog: this world's, not the user's.
        "GAUNTLET_CATALOG": str(root / "catalog"),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)  # the in-process CLI runs read them too
    try:
        yield LiveWorld(
            root, sim, write_venue_config(sim, root / "fix-sim.toml"),
            Registry(pg_dsn, schema, str(mlruns)), env,
        )  # fmt: skip
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        feed.stop()
        sim.stop()
        asyncio.run(drop_schema(pg_dsn, schema))
