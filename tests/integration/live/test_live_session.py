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
from execution_engine.adapters.fix.sim.server import FixSimulator
from execution_engine.live.session import LiveConfig, LiveSetupError, run_live
from execution_engine.risk import read_control, write_state
from nautilus_trader.model.events import AccountState, OrderFilled, PositionOpened

from tests.integration.live.fix_sessions import FAST_HOST, fix_venue, quoted_fix_simulator, resolve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixSimulator]:
    with quoted_fix_simulator(tmp_path_factory.mktemp("sim"), "PY") as simulator:
        yield simulator


def live_config(sim: FixSimulator, state: Path, duration: float) -> LiveConfig:
    return LiveConfig(host=FAST_HOST, instrument="EUR/USD", venue=fix_venue(sim),
                      state_dir=state, duration=duration)  # fmt: skip


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
