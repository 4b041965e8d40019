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


def test_a_request_token_travels_with_the_state(tmp_path: Path) -> None:
    from execution_engine.risk import read_request

    write_state(tmp_path, "halted", token="abc123")

    assert read_request(tmp_path / "control") == ("HALTED", "abc123")
    assert read_state(tmp_path / "control") == "HALTED"


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        ({"max_order_submit_rate": "garbage"}, "max_order_submit_rate"),
        ({"max_order_submit_rate": "-3/00:00:01"}, "max_order_submit_rate"),
        ({"max_order_submit_rate": "3/00:00:00"}, "max_order_submit_rate"),
        ({"max_order_submit_rate": "3/"}, "max_order_submit_rate"),
        ({"max_notional_per_order": -1.0}, "max_notional_per_order"),
        ({"max_notional_per_order": float("inf")}, "max_notional_per_order"),
        ({"max_notional_per_order": 0.5}, "max_notional_per_order"),
        ({"initial_state": "PAUSED"}, "initial_state"),
    ],
)
def test_risk_limits_the_engine_cannot_enforce_are_refused(
    limits: dict[str, object], field: str
) -> None:
    from execution_engine.risk import RiskLimitsError

    with pytest.raises(RiskLimitsError) as caught:
        RiskLimits(**limits)  # type: ignore[arg-type]
    assert caught.value.field == field
