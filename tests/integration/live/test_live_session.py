"""`run_live` called from Python (what the demo and the benchmarks use) on a real FIX simulator
over TLS: the event sinks hear every order, position and account event (one that raises
cannot break the node); a flatten request
left in the control file is carried out by the next node once it has reconciled the
position from the venue, and that node ends HALTED with the venue flat.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from execution_engine.adapters.fix.config import FixVenueConfig, TlsConfig
from execution_engine.adapters.fix.sim.book import BookRules
from execution_engine.adapters.fix.sim.server import FixSimulator, SimulatorConfig
from execution_engine.host import GauntletHostConfig
from execution_engine.live.session import LiveConfig, LiveSetupError, run_live
from execution_engine.risk import read_control, write_state
from nautilus_trader.model.events import AccountState, OrderFilled, PositionOpened
from pydantic import SecretStr

from live.stack._process import free_port
from tests.integration.live.world import QuoteFeed

pytestmark = pytest.mark.slow

SECRETS = {"user": "gauntlet", "password": "sim-password"}


def resolve(name: str) -> SecretStr:
    return SecretStr(SECRETS[name])


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixSimulator]:
    """CompIDs of its own: QuickFIX keeps one session per CompID pair in a process."""
    config = SimulatorConfig(
        port=free_port(), state_dir=tmp_path_factory.mktemp("sim"),
        sender_comp_id="PYBROKER", target_comp_id="PYCLIENT",
        rules=BookRules(top_size=Decimal(100_000_000)),
    )  # fmt: skip
    simulator = FixSimulator(config)
    simulator.start()
    feed = QuoteFeed(simulator)
    yield simulator
    feed.stop()
    simulator.stop()


def live_config(sim: FixSimulator, state: Path, duration: float) -> LiveConfig:
    assert sim.ca is not None
    venue = FixVenueConfig(
        host="127.0.0.1", port=sim.config.port, sender_comp_id="PYCLIENT",
        target_comp_id="PYBROKER", username_secret="user", password_secret="password",
        tls=TlsConfig(ca_file=sim.ca.ca_file), account=sim.config.account,
        max_logon_attempts=2, logon_backoff_seconds=0.2, logon_timeout_seconds=3.0,
    )  # fmt: skip
    host = GauntletHostConfig(
        strategy_name="sma_cross", strategy_params={"fast": 1, "slow": 2},
        size_mode="units", units=10_000.0,
    )  # fmt: skip
    return LiveConfig(host=host, instrument="EUR/USD", venue=venue, state_dir=state,
                      duration=duration)  # fmt: skip


def venue_net(sim: FixSimulator) -> Decimal:
    fills = sim.ledger.entries("fill")
    return sum(
        (Decimal(str(f.quantity)) * (1 if f.side == "BUY" else -1) for f in fills), Decimal(0)
    )


def test_sinks_hear_the_node_and_a_pending_flatten_runs_after_a_restart(
    sim: FixSimulator, tmp_path: Path
) -> None:
    heard: list[Any] = []

    def broken(event: Any) -> None:
        raise RuntimeError("the mirror's database is down")

    state = tmp_path / "node"
    sinks = [broken, heard.append]
    first = run_live(live_config(sim, state, 4.0), resolve, event_sinks=sinks)

    assert first.fills >= 1
    assert {OrderFilled, PositionOpened, AccountState} <= {type(e) for e in heard}
    # A sink that raises is journaled and counted; the node traded and stopped cleanly.
    status = json.loads((state / "status.json").read_text())
    assert status["state"] == "stopped"
    assert status["sink_errors"] >= len(heard)
    assert venue_net(sim) != 0  # the session ended holding a position
    assert first.net_positions["EUR/USD.FIX"] == str(venue_net(sim))

    # `gauntlet kill --flatten` reached the folder while no node ran: the next node does it.
    write_state(state, "HALTED", "tok123", flatten=True)
    started = time.monotonic()
    second = run_live(live_config(sim, state, 2.5), resolve)

    assert venue_net(sim) == 0
    assert second.trading_state == "HALTED"
    assert second.net_positions["EUR/USD.FIX"] == "0"
    assert read_control(state / "control") == ("HALTED", "tok123", False)  # done: plain HALTED
    assert time.monotonic() - started < 15


def test_an_unknown_bar_spec_fails_before_anything_connects(
    sim: FixSimulator, tmp_path: Path
) -> None:
    config = live_config(sim, tmp_path / "node", 1.0).model_copy(update={"bar": "4-TOCK-MID"})
    with pytest.raises(LiveSetupError, match="not a bar spec"):
        run_live(config, resolve)
    assert not (tmp_path / "node").exists()
