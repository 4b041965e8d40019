"""`gauntlet venue certify` as a user runs it (a subprocess): --sim --json against the bundled
simulator, --config against an endpoint (a simulator that never fills: the kit must say no,
exit 1), and bad input (one line, exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from execution_engine.conformance.fix_venue import FixSimVenue, sim_rules

from live.stack._process import free_port

GAUNTLET = str(Path(sys.executable).parent / "gauntlet")
_CARD_KEYS = {"id", "name", "group", "status", "reason", "seconds"}


def _certify(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "GAUNTLET_DEBUG"}
    return subprocess.run(
        [GAUNTLET, "venue", "certify", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=base | (env or {}),
        check=False,
    )


def _by_id(report: dict[str, object]) -> dict[str, dict[str, str]]:
    cards = report["cards"]
    assert isinstance(cards, list)
    return {card["id"]: card for card in cards}


@pytest.mark.slow
def test_sim_json_runs_the_cards_on_the_bundled_simulator() -> None:
    cards = "TC-E01,TC-E10,TC-E14,GC-R3,GC-C2"  # in run order (the catalog's)
    done = _certify("--venue", "fix", "--sim", "--json", "--cards", cards)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # stdout is the one object: QuickFIX's lines went to a log
    assert report["venue"] == "fix"
    assert (report["passed"], report["failed"], report["not_applicable"]) == (5, 0, 0)
    assert [c["id"] for c in report["cards"]] == cards.split(",")
    for card in report["cards"]:
        assert set(card) == _CARD_KEYS
        assert card["status"] == "pass", card
    assert "Traceback" not in done.stderr


@pytest.fixture
def never_fills(tmp_path: Path) -> Iterator[FixSimVenue]:
    """A broken venue: the simulator with no size on its touch accepts orders, never fills."""
    from decimal import Decimal

    venue = FixSimVenue(tmp_path / "sim", free_port(), sim_rules(top_size=Decimal(0)))
    venue.start()
    yield venue
    venue.stop()


@pytest.mark.slow
def test_config_endpoint_that_never_fills_fails_the_fill_cards(
    never_fills: FixSimVenue, tmp_path: Path
) -> None:
    config = never_fills.venue_config()
    toml = tmp_path / "broker.toml"
    toml.write_text(
        f'host = "127.0.0.1"\nport = {config.port}\n'
        f'sender_comp_id = "{config.sender_comp_id}"\ntarget_comp_id = "{config.target_comp_id}"\n'
        'username_secret = "fix_sim_username"\npassword_secret = "fix_sim_password"\n'
        f'account = "{config.account}"\n\n[tls]\nca_file = "{config.tls.ca_file}"\n',
        encoding="utf-8",
    )
    secrets = {
        "GAUNTLET_SECRETS__BACKEND": "env",
        "GAUNTLET_SECRET_FIX_SIM_USERNAME": "gauntlet",
        "GAUNTLET_SECRET_FIX_SIM_PASSWORD": "sim-password",
    }
    cards = "TC-E01,TC-E13,TC-E10,GC-S1,GC-R1,GC-R3,GC-C1"
    args = ("--venue", "fix", "--config", str(toml), "--json", "--cards", cards, "--timeout", "2")
    done = _certify(*args, env=secrets)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    by_id = _by_id(report)
    assert (report["passed"], report["failed"], report["not_applicable"]) == (1, 2, 4)
    assert by_id["TC-E01"]["status"] == "fail"
    assert "FILLED within 2 s" in by_id["TC-E01"]["reason"]
    assert "is ACCEPTED (filled 0 of 1000)" in by_id["TC-E01"]["reason"]
    assert by_id["TC-E13"]["status"] == "fail"  # an IOC that cannot fill ends CANCELED
    assert "is CANCELED" in by_id["TC-E13"]["reason"]
    assert by_id["TC-E10"]["status"] == "pass"  # accepting and canceling still work
    # An endpoint from a config has no simulator controls and names no limits: those cards
    # do not apply, each with its reason.
    not_applicable = {i: c["reason"] for i, c in by_id.items() if c["status"] == "not_applicable"}
    assert set(not_applicable) == {"GC-S1", "GC-R1", "GC-R3", "GC-C1"}
    assert "prices the kit sets" in not_applicable["GC-S1"]
    assert "oversize_qty" in not_applicable["GC-R1"]
    assert "fault controls" in not_applicable["GC-R3"]
    assert "fault controls" in not_applicable["GC-C1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--venue", "ibkr", "--sim"), "unknown venue 'ibkr'"),
        (("--venue", "fix"), "give exactly one of --sim"),
        (("--venue", "fix", "--sim", "--config", "x.toml"), "give exactly one of --sim"),
        (("--venue", "fix", "--config", "missing.toml"), "venue config missing.toml does not"),
        (("--venue", "fix", "--sim", "--cards", "TC-E01,TC-E99"), "unknown card id(s) TC-E99"),
        (("--venue", "fix", "--sim", "--timeout", "0"), "--timeout 0 is not between"),
    ],
    ids=["venue", "neither", "both", "config", "card", "timeout"],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    done = _certify(*args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("gauntlet: error: ")
    assert message in lines[0]
    assert done.stdout == ""
