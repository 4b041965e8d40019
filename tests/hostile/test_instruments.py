"""Hostile instrument input: an instrument the definitions cannot resolve, a malformed
instruments file, an unknown asset class, a tick size that does not fit the data. Each is exit 2
with one line saying what is wrong and how to define the instrument (tests/hostile/harness.py);
nothing is traded as a default pair."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile.harness import assert_bad_input, run

HEADER = "Date,Open,High,Low,Close,Volume\n"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("GAUNTLET_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", "200")


def daily_csv(path: Path, price: str = "101.25", n: int = 30) -> Path:
    rows = [f"2024-01-{d:02d},{price},{price},{price},{price},100" for d in range(1, n + 1)]
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


def instruments_file(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


def event_backtest(data: Path, *extra: str) -> list[str]:
    return ["backtest", "-s", "sma_cross", "-d", str(data), "--engine", "event", *extra]


def test_an_unresolvable_file_name_is_an_error_saying_how_to_define_it(tmp_path: Path) -> None:
    data = daily_csv(tmp_path / "bars.csv")
    line = assert_bad_input(run(*event_backtest(data)), r"cannot tell the instrument")
    assert "--instruments FILE" in line
    assert "--asset-class" in line


@pytest.mark.parametrize("command", ["backtest", "paper"])
def test_an_undefined_instrument_name_is_an_error(tmp_path: Path, command: str) -> None:
    data = daily_csv(tmp_path / "bars.csv")
    if command == "backtest":
        args = event_backtest(data)
    else:
        args = ["paper", "-s", "sma_cross", "-d", str(data), "--out", str(tmp_path / "run")]
    outcome = run(*args, "--instrument", "FOO123")
    assert_bad_input(
        outcome, r"instrument 'FOO123' is unknown to venue SIM: it is not defined; define it"
    )


def test_a_definition_missing_a_field_names_it(tmp_path: Path) -> None:
    data = daily_csv(tmp_path / "ACME.csv")
    defs = instruments_file(
        tmp_path / "defs.yaml",
        "instruments:\n  ACME: {asset_class: equity, quote_currency: USD, lot_size: '1',"
        " calendar: XNYS}\n",
    )
    line = assert_bad_input(
        run(*event_backtest(data, "--instruments", str(defs))), r"missing field 'tick_size'"
    )
    assert "defs.yaml" in line
    assert "'ACME'" in line


def test_an_unknown_asset_class_in_a_file_is_one_line(tmp_path: Path) -> None:
    data = daily_csv(tmp_path / "ACME.csv")
    defs = instruments_file(tmp_path / "defs.yaml", "instruments:\n  ACME: {asset_class: bond}\n")
    assert_bad_input(
        run(*event_backtest(data, "--instruments", str(defs))),
        r"defs.yaml: unknown asset class 'bond'; choose one of fx, equity, future, cfd",
    )


def test_an_unknown_asset_class_option_is_one_line(tmp_path: Path) -> None:
    data = daily_csv(tmp_path / "bars.csv")
    assert_bad_input(
        run(*event_backtest(data, "--instrument", "ACME1", "--asset-class", "bond")),
        r"unknown asset class 'bond'",
    )


def test_a_tick_size_that_does_not_divide_the_prices_is_refused_on_load(tmp_path: Path) -> None:
    data = daily_csv(tmp_path / "GOOG.csv", price="101.255")  # GOOG: a US equity, tick 0.01
    line = assert_bad_input(run(*event_backtest(data)), r"not a multiple of GOOG's tick size 0.01")
    assert "GOOG.csv: row 1" in line


def test_the_vectorized_engine_checks_ticks_once_definitions_are_given(tmp_path: Path) -> None:
    data = daily_csv(tmp_path / "bars.csv", price="1.23456")
    defs = instruments_file(
        tmp_path / "defs.yaml",
        "instruments:\n  BARS: {asset_class: cfd, quote_currency: USD, tick_size: '0.001',"
        " lot_size: '1', calendar: fx}\n",
    )
    assert_bad_input(
        run("sweep", "-s", "sma_cross", "-d", str(data), "--instruments", str(defs),
            "-g", "fast=2,3", "-p", "slow=5"),
        r"bars.csv: row 1 \(2024-01-01.*\): open 1.23456 is not a multiple of BARS's tick size",
    )  # fmt: skip


def test_a_finer_tick_in_a_user_file_fits_the_same_prices(tmp_path: Path) -> None:
    data = daily_csv(tmp_path / "GOOG.csv", price="101.255")
    defs = instruments_file(
        tmp_path / "defs.yaml",
        "instruments:\n  GOOG: {asset_class: equity, quote_currency: USD, tick_size: '0.005',"
        " lot_size: '1', calendar: XNYS}\n",
    )
    outcome = run("backtest", "-s", "sma_cross", "-d", str(data), "--instruments", str(defs),
                  "-p", "fast=2", "-p", "slow=5", "--json")  # fmt: skip
    assert outcome.code == 0, outcome.stderr


def test_a_conflicting_asset_class_is_refused(tmp_path: Path) -> None:
    data = daily_csv(tmp_path / "bars.csv", price="5000.1")
    assert_bad_input(
        run(*event_backtest(data, "--instrument", "US500", "--asset-class", "equity")),
        r"'US500' is defined as cfd, not equity",
    )


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ("instruments: [1, 2]\n", r"an 'instruments' mapping"),
        ("instruments: {ACME: {asset_class: equity\n", r"not a YAML instruments file"),
        ("instruments:\n  ACME: 3\n", r"'ACME': expected a mapping"),
        (
            "instruments:\n  ACME: {asset_class: equity, quote_currency: USD, tick_size: '-1',"
            " lot_size: '1', calendar: XNYS}\n",
            r"'ACME': Input should be greater than 0 'tick_size'",
        ),
        (
            "instruments:\n  ACME: {asset_class: equity, quote_currency: USD, tick_size: '0.01',"
            " lot_size: '1', calendar: XNYS, colour: red}\n",
            r"'ACME': Extra inputs are not permitted 'colour'",
        ),
    ],
)
def test_a_malformed_instruments_file_is_one_line(tmp_path: Path, body: str, pattern: str) -> None:
    data = daily_csv(tmp_path / "ACME.csv")
    defs = instruments_file(tmp_path / "defs.yaml", body)
    assert_bad_input(run(*event_backtest(data, "--instruments", str(defs))), pattern)


def test_a_missing_instruments_file_is_one_line(tmp_path: Path) -> None:
    data = daily_csv(tmp_path / "ACME.csv")
    assert_bad_input(
        run(*event_backtest(data, "--instruments", str(tmp_path / "nope.yaml"))),
        r"nope.yaml: cannot read instruments file",
    )


@pytest.mark.parametrize(
    "command",
    [
        ("backtest", "-s", "sma_cross"),
        ("sweep", "-s", "sma_cross", "-g", "fast=2,3", "-p", "slow=5"),
        ("walkforward", "-s", "sma_cross", "-g", "fast=2,3", "-p", "slow=5"),
        ("check", "parity", "-s", "sma_cross"),
        ("paper", "-s", "sma_cross"),
    ],
)
def test_every_command_that_takes_an_instrument_takes_definitions(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    data = daily_csv(tmp_path / "ACME.csv")
    defs = instruments_file(tmp_path / "defs.yaml", "instruments:\n  ACME: {asset_class: equity}\n")
    extra = ("--out", str(tmp_path / "run")) if command[0] == "paper" else ()
    assert_bad_input(
        run(*command, "-d", str(data), "--instruments", str(defs), *extra),
        r"defs.yaml: instrument 'ACME': missing field 'quote_currency'",
    )


def test_an_unknown_calendar_in_a_definition_is_refused_with_it(tmp_path: Path) -> None:
    data = daily_csv(tmp_path / "ACME.csv")
    defs = instruments_file(
        tmp_path / "defs.yaml",
        "instruments:\n  ACME: {asset_class: equity, quote_currency: USD, tick_size: '0.01',"
        " lot_size: '1', calendar: XCME}\n",
    )
    assert_bad_input(
        run(*event_backtest(data, "--instruments", str(defs))),
        r"instrument 'ACME': unknown calendar 'XCME'; choose one of fx, 24x7, none or an exchange",
    )
