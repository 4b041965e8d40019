"""Hostile account, rebalance and date-format options: each is one `gauntlet: error:` line and
exit 2, in every command that takes it, before any data is simulated."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.bars import make_bars
from tests.hostile.harness import assert_bad_input, run
from tests.hostile.test_fuzz_cli import COMMANDS, _options

# The options ADR 0002 §12-§13 added, on every command that simulates.
ACCOUNT_OPTIONS = (
    "--account", "--margin-initial", "--margin-maintenance", "--margin-call", "--stop-out",
    "--rebalance", "--rebalance-threshold",
)  # fmt: skip
SIMULATING = ("backtest", "sweep", "walkforward", "check parity", "paper")
READING_BARS = (*SIMULATING, "check lookahead")


@pytest.fixture(scope="module")
def bars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("accounts") / "bars.csv"  # no instrument: no default costs
    make_bars(300, seed=3).to_csv(path)
    return path


def backtest(bars: Path, *options: str) -> list[str]:
    return ["backtest", "-s", "sma_cross", "-p", "fast=5", "-p", "slow=20", "-d", str(bars),
            *options]  # fmt: skip


@pytest.mark.parametrize(
    ("options", "pattern"),
    [
        (("--account", "bogus"), r"--account must be one of margin, cash, got 'bogus'"),
        (("--rebalance", "sometimes"), r"--rebalance must be one of off, every_bar, drift"),
        (("--rebalance", "drift", "--rebalance-threshold", "0"),
         r"rebalance_threshold: Input should be greater than 0"),
        (("--rebalance-threshold", "-1"), r"rebalance_threshold: Input should be greater than 0"),
        (("--rebalance-threshold", "abc"), r"--rebalance-threshold expects a number"),
        (("--rebalance-threshold", "5bps"), r"--rebalance-threshold takes .* not bps"),
        (("--stop-out", "120", "--margin-call", "100"),
         r"stop_out \(120%\) must be below margin_call \(100%\)"),
        (("--margin-initial", "0"), r"margin_initial: Input should be greater than 0"),
        (("--margin-initial", "2"), r"margin_initial: Input should be less than or equal to 1"),
        (("--margin-maintenance", "150%"), r"margin_maintenance: .*less than or equal to 1"),
        (("--margin-call", "nan"), r"margin_call"),
        (("--date-format", "%Q"), r"cannot parse timestamp .*with the format '%Q'"),
    ],
)  # fmt: skip
def test_a_bad_account_option_is_one_line(
    bars: Path, options: tuple[str, ...], pattern: str
) -> None:
    assert_bad_input(run(*backtest(bars, *options)), pattern)


@pytest.fixture(scope="module")
def eurusd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("accounts") / "eurusd_h1.csv"
    frame = make_bars(300, seed=3)
    prices = ["open", "high", "low", "close"]
    frame[prices] = frame[prices].round(5)  # on EUR/USD's tick, for the event engine's venue
    frame.to_csv(path)
    return path


@pytest.mark.parametrize("engine", ["vectorized", "event"])
def test_a_cash_account_refuses_a_strategy_that_sells_short(eurusd: Path, engine: str) -> None:
    line = assert_bad_input(
        run(*backtest(eurusd, "--account", "cash", "--engine", engine)),
        r"account=cash cannot sell short",
    )
    assert "long_only" in line  # names the fix


def test_a_margin_the_first_order_cannot_stand_is_refused_before_the_run(bars: Path) -> None:
    """Full maintenance margin opens a position at a margin level of 100%: at or below a
    stop-out of 150% (ADR 0002 §12: refused before the run, with the reason)."""
    assert_bad_input(
        run(*backtest(bars, "--margin-maintenance", "1", "--margin-call", "300",
                      "--stop-out", "150")),
        r"cannot stand.*at or below stop_out 150%",
    )  # fmt: skip


@pytest.mark.parametrize("command", SIMULATING)
def test_every_simulating_command_refuses_a_bogus_account(bars: Path, command: str) -> None:
    extra = ("-g", "fast=5", "-g", "slow=20") if command in ("sweep", "walkforward") else ()
    outcome = run(*command.split(), "-s", "sma_cross", "-d", bars, *extra, "--account", "bogus")
    assert_bad_input(outcome, r"--account must be one of margin, cash")


@pytest.mark.parametrize("command", READING_BARS)
def test_every_command_reading_bars_takes_the_date_format(bars: Path, command: str) -> None:
    extra = ("-g", "fast=5", "-g", "slow=20") if command in ("sweep", "walkforward") else ()
    outcome = run(*command.split(), "-s", "sma_cross", "-d", bars, *extra, "--date-format", "%Q")
    assert_bad_input(outcome, r"cannot parse timestamp .*'%Q'")


@pytest.mark.parametrize("command", SIMULATING)
def test_the_fuzzer_draws_the_account_options(command: str) -> None:
    """test_fuzz_cli finds options by introspection: the new ones are in its pool."""
    drawn = {param.opts[0] for param in _options(command)}
    assert set(ACCOUNT_OPTIONS) <= drawn
    assert "--date-format" in drawn
    assert command in COMMANDS


def _paper_fields() -> set[str]:
    from execution_engine.paper import PaperConfig

    return set(PaperConfig.model_fields)


def test_paper_refuses_a_setting_its_venue_does_not_take_before_starting(
    bars: Path, tmp_path: Path
) -> None:
    assert "commission_per_unit" not in _paper_fields()  # else pick another unmodelled one
    outcome = run("paper", "-s", "sma_cross", "-d", bars, "--out", tmp_path / "run",
                  "--commission-per-unit", "0.01", "--account", "cash")  # fmt: skip
    line = assert_bad_input(outcome, r"--commission-per-unit: the paper venue does not model")
    assert "--account" not in line.split(":")[2]  # the account it does take
    assert not (tmp_path / "run").exists()  # refused before anything started


def test_paper_passes_every_account_setting_it_takes() -> None:
    from gauntlet.cli.event_cmd import paper_settings
    from research.engine.run import resolve_config

    given = {"account": "cash", "rebalance": "drift", "rebalance_threshold": 0.02,
             "commission": 1e-4, "spread": 2e-4}  # fmt: skip
    config = resolve_config(None, {**given, "cash": 5_000.0})
    venue = paper_settings(config, given)
    assert {**given, "cash": 5_000.0}.items() <= venue.items()
    assert set(venue) <= _paper_fields()
