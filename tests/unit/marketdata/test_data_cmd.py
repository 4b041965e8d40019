"""`gauntlet data` options exercised in-process (the subprocess contract is in tests/e2e)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import gauntlet.cli.data_cmd  # noqa: F401  # registers the `data` commands on `app`
from gauntlet.cli.app import app
from marketdata import Catalog
from tests.fixtures.bars import make_bars


def test_import_resamples_minutes_to_hours_and_mentions_gaps(tmp_path: Path) -> None:
    minutes = make_bars(600, seed=2, freq="1min")
    minutes = minutes.drop(minutes.index[100:110])  # a 10-minute hole: a gap warning
    source = tmp_path / "m1.csv"
    minutes.to_csv(source)
    result = CliRunner().invoke(
        app,
        ["data", "import", str(source), "--instrument", "EURUSD", "--timeframe", "1h",
         "--resample", "--calendar", "24x7", "--catalog", str(tmp_path / "cat")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "590 rows read, 10 added" in result.output
    assert "1 warning(s), e.g. gaps" in result.output
    hours = Catalog(tmp_path / "cat").read("EURUSD", "1h")
    assert hours["open"].iloc[0] == minutes["open"].iloc[0]
    assert hours["volume"].sum() == minutes["volume"].sum()


def test_synth_writes_parquet_with_spread(tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    result = CliRunner().invoke(app, ["data", "synth", "--bars", "50", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 50 synthetic bars (EURUSD-SYNTHETIC, 1h, seed 0)" in result.output
    assert list(pd.read_parquet(out).columns) == [
        "open",
        "high",
        "low",
        "close",
        "volume",
        "spread",
    ]


def test_list_of_an_empty_catalog(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["data", "list", "--catalog", str(tmp_path / "none")])
    assert result.exit_code == 0
    assert "is empty" in result.output
