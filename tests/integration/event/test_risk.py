"""Risk configuration and the control file behind `gauntlet kill`."""

from pathlib import Path

import pytest
from execution_engine.risk import ControlFileError, RiskLimits, read_state, write_state


def test_write_state_is_atomic_and_normalized(tmp_path: Path) -> None:
    path = write_state(tmp_path, "reducing")

    assert path == tmp_path / "control"
    assert read_state(path) == "REDUCING"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["control"]  # no temp file left


def test_unknown_states_are_refused_on_both_ends(tmp_path: Path) -> None:
    with pytest.raises(ControlFileError, match="unknown trading state 'PAUSED'"):
        write_state(tmp_path, "PAUSED")
    (tmp_path / "control").write_text("maybe\n")
    with pytest.raises(ControlFileError, match="'MAYBE' is not a trading state"):
        read_state(tmp_path / "control")


def test_risk_limits_configure_the_live_risk_engine() -> None:
    config = RiskLimits(max_order_submit_rate="5/00:00:01", max_notional_per_order=250_000.0)

    live = config.nautilus_config(["EUR/USD.SIM", "GBP/USD.SIM"])

    assert live.max_order_submit_rate == "5/00:00:01"
    assert live.max_notional_per_order == {"EUR/USD.SIM": 250_000, "GBP/USD.SIM": 250_000}
    assert (
        RiskLimits(max_notional_per_order=None)
        .nautilus_config(["EUR/USD.SIM"])
        .max_notional_per_order
        == {}
    )
