"""An in-process FIX simulator with a quote feed, and the venue config and secrets a
`run_live` session logs on to it with: what the tests that call `run_live` from Python share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from execution_engine.adapters.fix.config import FixVenueConfig, TlsConfig
from execution_engine.adapters.fix.sim.book import BookRules
from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig
from execution_engine.host import GauntletHostConfig
from pydantic import SecretStr

from live.stack._process import free_port
from tests.integration.live.world import QuoteFeed

SECRETS = {"user": "gauntlet", "password": "sim-password"}
# A node that trades every crossing of two one-bar means, in fixed units: orders come fast.
FAST_HOST = GauntletHostConfig(
    strategy_name="sma_cross", strategy_params={"fast": 1, "slow": 2},
    size_mode="units", units=10_000.0,
)  # fmt: skip


def resolve(name: str) -> SecretStr:
    return SecretStr(SECRETS[name])


@contextmanager
def quoted_fix_simulator(state_dir: Path, comp_prefix: str) -> Iterator[FixSimulator]:
    """A FIX simulator quoted by a QuoteFeed. `comp_prefix` names its CompIDs
    (`<prefix>BROKER`/`<prefix>CLIENT`): QuickFIX keeps one session per pair in a process."""
    config = SimulatorConfig(
        port=free_port(), state_dir=state_dir, sender_comp_id=f"{comp_prefix}BROKER",
        target_comp_id=f"{comp_prefix}CLIENT", rules=BookRules(top_size=Decimal(100_000_000)),
    )  # fmt: skip
    simulator = FixSimulator(config)
    simulator.start()
    feed = QuoteFeed(simulator)
    try:
        yield simulator
    finally:
        feed.stop()
        simulator.stop()


def fix_venue(sim: FixSimulator) -> FixVenueConfig:
    """The client side of `sim`'s session over its TLS, with the SECRETS names."""
    assert sim.ca is not None
    return FixVenueConfig(
        host="127.0.0.1", port=sim.config.port, sender_comp_id=sim.config.target_comp_id,
        target_comp_id=sim.config.sender_comp_id, username_secret="user",
        password_secret="password", tls=TlsConfig(ca_file=sim.ca.ca_file),
        account=sim.config.account, max_logon_attempts=2, logon_backoff_seconds=0.2,
        logon_timeout_seconds=3.0,
    )  # fmt: skip
