"""Costs are visible: every simulating command takes the same cost options (bps, pips, plain),
every table names the costs it used, and a run that charges nothing says so once on stderr.
Reports a quant can read: sweep --min-trades, walkforward --report, the look-ahead message."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.fixtures.bars import make_bars
from tests.hostile.harness import Outcome, assert_bad_input, run

FREE = "gauntlet: warning: all costs are zero"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("costs")
    prices = ["open", "high", "low", "close"]
    bars = make_bars(1_200, seed=4)
    bars[prices] = bars[prices].round(5)  # on EUR/USD's tick (parity checks it)
    bars.to_csv(folder / "eurusd_h1.csv")
    bars.to_csv(folder / "eurgbp_h1.csv")  # a cross: its definition sets no default costs
    bars[prices] = (bars[prices] * 100).round(3)  # yen-sized prices on USD/JPY's tick
    bars.to_csv(folder / "usdjpy_h1.csv")
    return folder


def warnings(outcome: Outcome) -> list[str]:
    return [line for line in outcome.stderr_lines if line.startswith(FREE)]


def test_backtest_without_costs_warns_once_and_the_table_says_none(data: Path) -> None:
    outcome = run("backtest", "-s", "sma_cross", "-d", data / "eurgbp_h1.csv")
    assert outcome.code == 0, outcome.stderr
    assert len(warnings(outcome)) == 1
    assert "costs: none (all zero)" in outcome.stdout


def test_without_cost_options_the_instruments_default_costs_apply(data: Path) -> None:
    """EUR/USD's built-in definition sets a 1-pip spread (marketdata/instruments.yaml): a run
    with no cost option charges it, says so, and does not call itself frictionless."""
    outcome = run("backtest", "-s", "sma_cross", "-d", data / "eurusd_h1.csv")
    assert outcome.code == 0, outcome.stderr
    assert "costs (from instrument EUR/USD): spread 0.0001" in outcome.stdout
    assert not warnings(outcome)
    assert any("costs from instrument EUR/USD's definition: spread 0.0001" in line
               for line in outcome.stderr_lines)  # fmt: skip
    charged = json.loads(run("backtest", "-s", "sma_cross", "-d", data / "eurusd_h1.csv",
                             "--json").stdout)["config"]["costs"]  # fmt: skip
    assert charged["spread"] == 0.0001


def test_an_option_wins_over_the_instruments_default_field_by_field(data: Path) -> None:
    args = ("backtest", "-s", "sma_cross", "-d", data / "eurusd_h1.csv")
    mixed = run(*args, "--commission", "1bps")
    assert mixed.code == 0, mixed.stderr
    assert "costs (spread from instrument EUR/USD): commission 1.00 bps, spread 0.0001" in (
        mixed.stdout
    )
    free = run(*args, "--spread", "0")  # the one way to run EUR/USD frictionless
    assert free.code == 0, free.stderr
    assert len(warnings(free)) == 1
    assert "costs: none (all zero)" in free.stdout


def test_a_user_definition_sets_default_costs(data: Path, tmp_path: Path) -> None:
    definitions = tmp_path / "mine.yaml"
    definitions.write_text(
        "instruments:\n  EUR/USD: {asset_class: fx, tick_size: '0.00001', lot_size: '1',"
        " calendar: fx, costs: {spread: 0.0002, commission: 0.00003}}\n"
    )
    outcome = run("backtest", "-s", "sma_cross", "-d", data / "eurusd_h1.csv",
                  "--instruments", definitions, "--json")  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    costs = json.loads(outcome.stdout)["config"]["costs"]
    assert (costs["spread"], costs["commission"]) == (0.0002, 0.00003)


def test_backtest_takes_bps_and_pips(data: Path) -> None:
    outcome = run(
        "backtest", "-s", "sma_cross", "-d", data / "eurusd_h1.csv", "--spread", "1.2pips",
        "--commission", "0.5bps", "--slippage", "1bps", "--financing-long", "2%", "--json",
    )  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    costs = json.loads(outcome.stdout)["config"]["costs"]
    assert costs["spread"] == pytest.approx(0.00012)
    assert costs["commission"] == pytest.approx(0.00005)
    assert costs["slippage"] == pytest.approx(0.0001)
    assert costs["financing_long"] == pytest.approx(0.02)
    assert not warnings(outcome)
    assert any("pip size 0.0001 (EUR/USD" in line for line in outcome.stderr_lines)


def test_a_jpy_pair_pip_is_a_hundredth(data: Path) -> None:
    outcome = run(
        "backtest", "-s", "sma_cross", "-d", data / "usdjpy_h1.csv", "--spread", "2pips", "--json"
    )
    assert outcome.code == 0, outcome.stderr
    assert json.loads(outcome.stdout)["config"]["costs"]["spread"] == pytest.approx(0.02)


def test_plain_numbers_keep_their_meaning(data: Path) -> None:
    outcome = run(
        "backtest", "-s", "sma_cross", "-d", data / "eurusd_h1.csv", "--spread", "0.0002",
        "--commission", "0.0001", "--json",
    )  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    costs = json.loads(outcome.stdout)["config"]["costs"]
    assert (costs["spread"], costs["commission"]) == (0.0002, 0.0001)


@pytest.mark.parametrize(
    ("option", "value", "pattern"),
    [
        ("--spread", "1bps", r"--spread is a price difference.*pips"),
        ("--commission", "2pips", r"--commission takes .*bps.*not pips"),
        ("--commission-per-unit", "1bps", r"--commission-per-unit takes currency per unit"),
        ("--slippage", "lots", r"--slippage expects a number"),
        ("--spread", "nan", r"finite"),
    ],
)
def test_a_unit_an_option_does_not_take_is_one_line(
    data: Path, option: str, value: str, pattern: str
) -> None:
    assert_bad_input(
        run("backtest", "-s", "sma_cross", "-d", data / "eurusd_h1.csv", option, value), pattern
    )


def test_walkforward_takes_costs_and_writes_an_html_report(data: Path, tmp_path: Path) -> None:
    report = tmp_path / "out" / "wf.html"
    outcome = run(
        "walkforward", "-s", "sma_cross", "-d", data / "eurusd_h1.csv", "-g", "fast=5,10",
        "-g", "slow=30,60", "--folds", "3", "--workers", "1", "--commission", "1bps",
        "--spread", "1pips", "--report", report,
    )  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    assert "costs: commission 1.00 bps, spread 0.0001" in outcome.stdout
    assert not warnings(outcome)

    class Headers(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.cells: list[str] = []
            self.rows = 0
            self._in = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self._in = tag in ("th", "td")
            self.rows += tag == "tr"

        def handle_data(self, text: str) -> None:
            if self._in:
                self.cells.append(text)

    assert "account: margin (call 100%, stop-out 50%), rebalance: off" in report.read_text()
    page = Headers()
    page.feed(report.read_text())
    assert "IS deflated Sharpe" in page.cells
    assert page.rows == 1 + 3  # header and one row per fold


def test_walkforward_without_costs_warns_once(data: Path) -> None:
    outcome = run(
        "walkforward", "-s", "sma_cross", "-d", data / "eurgbp_h1.csv", "-g", "fast=5,10",
        "-g", "slow=30,60", "--folds", "3", "--workers", "1", "--json",
    )  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    assert len(warnings(outcome)) == 1
    assert json.loads(outcome.stdout)["costs"]["commission"] == 0.0


def test_sweep_min_trades_excludes_and_marks(data: Path, tmp_path: Path) -> None:
    heatmap = tmp_path / "h.html"
    args = ("sweep", "-s", "sma_cross", "-d", data / "eurusd_h1.csv", "-g", "fast=5,10,20",
            "-g", "slow=30,60,120", "--workers", "1", "--spread", "1pips")  # fmt: skip
    everything = json.loads(run(*args, "--json", "--top", "100").stdout)
    trades = sorted(row["trades"] for row in everything["top"])
    cut = trades[len(trades) // 2]
    outcome = run(*args, "--json", "--top", "100", "--min-trades", cut, "--heatmap", heatmap)
    assert outcome.code == 0, outcome.stderr
    payload = json.loads(outcome.stdout)
    assert payload["excluded"] == sum(t < cut for t in trades) > 0
    assert all(row["trades"] >= cut for row in payload["top"])
    page = heatmap.read_text()
    assert f"min {cut} trades" in page
    assert "eurusd_h1.csv" in page
    assert "excluded" in page
    table = run(*args, "--min-trades", cut, "--top", "100")
    assert f"fewer than {cut} trades not ranked (grey)" in table.stdout
    rows = [line for line in table.stdout.splitlines() if re.match(r"^│\s*\d", line)]
    shown = [int(line.split("│")[3]) for line in rows]  # fast, slow, trades
    ranked = [t for t in shown if t >= cut]
    assert shown[: len(ranked)] == ranked  # the ranked rows first, the thin ones after
    assert sorted(shown) == trades  # every combination is listed
    assert "spread 0.0001" in table.stdout


def test_parity_takes_the_same_cost_options_and_names_them(data: Path) -> None:
    outcome = run(
        "check", "parity", "-s", "sma_cross", "-d", data / "eurusd_h1.csv", "--spread", "1pips",
        "--commission", "0.5bps",
    )  # fmt: skip
    assert outcome.code in (0, 1), outcome.stderr  # parity itself is not what is tested here
    assert "costs: commission 0.50 bps, spread 0.0001" in outcome.stdout


def test_lookahead_message_says_what_changed(data: Path) -> None:
    outcome = run(
        "check", "lookahead", "-s", "leaky_peek", "-d", data / "eurusd_h1.csv",
        "--plugin", "research.testing.leaky",
    )  # fmt: skip
    assert outcome.code == 1
    (line,) = outcome.stderr_lines
    assert "max |diff|" not in line
    assert "-1 → 1" in line or "1 → -1" in line
    assert "truncated → full history" in line


def test_bad_input_after_a_pip_conversion_is_still_one_line(data: Path) -> None:
    """The pip-size note is printed after a successful run, never before an error."""
    assert_bad_input(
        run("backtest", "-s", "sma_cross", "-d", data / "eurusd_h1.csv", "--spread", "1pips",
            "-p", "fast=abc"),
        r"fast",
    )  # fmt: skip


def test_paper_takes_the_cost_options_but_refuses_the_ones_its_venue_cannot_charge(
    data: Path, tmp_path: Path
) -> None:
    line = assert_bad_input(
        run("paper", "-s", "sma_cross", "-d", data / "eurusd_h1.csv", "--out", tmp_path / "run",
            "--financing-long", "2%", "--spread", "1pips", "--commission", "0.5bps"),
        r"--financing-long: the paper venue does not model it yet",
    )  # fmt: skip
    refused = line.split(":")[2]
    assert "--commission" not in refused  # it charges a commission
    assert "--spread" not in refused  # and a spread
    assert not (tmp_path / "run").exists()  # refused before anything started
