"""Accounts and rebalancing from the command line (ADR 0002 §12-§13): a stop-out that happens,
rebalancing that trades, a cash account whose cash never goes below zero, and the settings
named under every table. Small hand-made series; numbers computed by hand in the docstrings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research.saved import load_result
from strategies import Strategy, StrategyParams, register
from tests.fixtures.bars import make_bars
from tests.hostile.harness import run


class _SideParams(StrategyParams):
    side: float = -1.0


@register
class ConstantSide(Strategy[_SideParams]):
    """Holds one target from the first bar: a short that rides a rally into a stop-out."""

    name = "h4_constant_side"
    Params = _SideParams

    @property
    def warmup(self) -> int:
        return 0

    def compute(self, bars: pd.DataFrame) -> pd.Series:
        return pd.Series(self.params.side, index=bars.index)


@pytest.fixture(scope="module")
def rally(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 flat hourly bars: 100 for bars 0-39, 160 from bar 40 on (a gap at bar 40's open)."""
    price = np.where(np.arange(60) < 40, 100.0, 160.0)
    index = pd.date_range("2024-01-01", periods=60, freq="1h", tz="UTC", name="timestamp")
    frame = pd.DataFrame({"open": price, "high": price, "low": price, "close": price,
                          "volume": 1.0}, index=index)  # fmt: skip
    path = tmp_path_factory.mktemp("accounts") / "rally.csv"  # undefined: margins 1, no step
    frame.to_csv(path)
    return path


@pytest.fixture(scope="module")
def bars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("accounts") / "bars.csv"  # no instrument: no default costs
    make_bars(400, seed=5).to_csv(path)
    return path


def test_a_short_into_a_rally_is_stopped_out(rally: Path, tmp_path: Path) -> None:
    """Short 1 000 units at open[1] = 100 (cash 100 000 → 200 000). At bar 40's close (160):
    equity 200 000 − 160 000 = 40 000, used margin 1 000·160·1 = 160 000, margin level 25% <
    stop-out 50% (and < margin call 100%): liquidated at open[41] = 160, equity 40 000. The
    held target then counts as 0, so −1 is due again: 40 000 / 160 = 250 units short at
    open[42], margin level 100% from there on (not below the call)."""
    args = ("backtest", "-s", "h4_constant_side", "-d", rally, "--account", "margin",
            "--margin-initial", "1", "--margin-maintenance", "100%", "--stop-out", "50")  # fmt: skip
    outcome = run(*args, "--json")
    assert outcome.code == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["stop_outs"] == 1
    assert result["margin_calls"] == 1
    assert result["final_equity"] == pytest.approx(40_000.0)
    assert result["config"]["stop_out"] == 50.0
    table = run(*args, "--report", tmp_path / "report.html")
    assert table.code == 0, table.stderr
    named = "account: margin (initial 1, maintenance 1, call 100%, stop-out 50%), rebalance: off"
    assert named in " ".join(table.stdout.split())
    assert re.search(r"│ Stop-outs\s+│\s+1 │", table.stdout)  # the table prints the stop-out
    assert named in (tmp_path / "report.html").read_text()  # the HTML report names it too


def test_rebalancing_every_bar_trades_more_orders_than_off(bars: Path, tmp_path: Path) -> None:
    orders = {}
    for mode in ("off", "every_bar"):
        saved = tmp_path / f"{mode}.json"
        outcome = run("backtest", "-s", "sma_cross", "-p", "fast=5", "-p", "slow=20", "-d", bars,
                      "--rebalance", mode, "--save", saved, "--json")  # fmt: skip
        assert outcome.code == 0, outcome.stderr
        assert json.loads(outcome.stdout)["config"]["rebalance"] == mode
        result, _ = load_result(saved)
        held = result.position.to_numpy()
        orders[mode] = int(np.count_nonzero(np.diff(held, prepend=0.0)))
    # off trades at the target's changes only; every_bar re-sizes to the equity at every bar.
    assert orders["off"] > 0
    assert orders["every_bar"] > 2 * orders["off"]


def test_a_cash_account_never_shows_negative_cash(bars: Path, tmp_path: Path) -> None:
    """Long-only, with a 10 bps commission and 5 bps slippage reserved at every buy: cash =
    equity − position·close ≥ 0 at every bar, and the position is never short."""
    saved = tmp_path / "cash.json"
    outcome = run("backtest", "-s", "sma_cross", "-p", "fast=5", "-p", "slow=20",
                  "-p", "allow_short=false", "-d", bars, "--account", "cash",
                  "--commission", "10bps", "--slippage", "5bps", "--save", saved,
                  "--json")  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    payload = json.loads(outcome.stdout)
    assert payload["config"]["account"] == "cash"
    assert payload["trades"] > 0
    result, close = load_result(saved)
    cash = result.equity - result.position * close
    assert (result.position >= 0).all()
    assert cash.min() >= -1e-9 * payload["config"]["cash"], cash.idxmin()


def test_the_rebalance_settings_are_named_under_the_sweep_table(bars: Path) -> None:
    outcome = run("sweep", "-s", "sma_cross", "-d", bars, "-g", "fast=5,10", "-g", "slow=20",
                  "--workers", "1", "--rebalance", "drift", "--rebalance-threshold", "2%")  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    assert "rebalance: drift (threshold 2.00%)" in " ".join(outcome.stdout.split())
