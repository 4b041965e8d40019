"""`gauntlet live replay SPEC`: a recorded session in the catalog replayed as a backtest, and
what it says about recordings that are missing, cut short, of another instrument, or whose
live orders the replay does not reproduce. (That a real live session replays to the same
bars and orders: tests/integration/live/test_session_recording.py.)
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from execution_engine.backtest.replay import replay_recording
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity

from gauntlet.cli.live_cmd import host_config
from live.marketdata.session_tap import quote_columns
from marketdata.quotes_store import RecordingWriter, read_recording, recording_dir
from research.promotion import load_spec
from tests.hostile.harness import assert_bad_input, run

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample" / "EURUSD_H1_synthetic.csv"
EURUSD = InstrumentId.from_str("EUR/USD.FIX")
T0 = 1_767_225_600_000_000_000  # 2026-01-01 UTC, ns
PARTS, PER_PART = 4, 48


def write_spec(
    folder: Path, name: str, instrument: str = "EUR/USD", params: str = "{fast: 1, slow: 2}"
) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nstrategy: sma_cross\nparams: {params}\n"
        f"instruments: [{instrument}]\ndata: {SAMPLE}\nstart: 2020-01-01\nend: 2020-01-10\n"
        "costs: {commission: 0, spread: 0}\nfolds: 1\n",
        encoding="utf-8",
    )
    return path


def zigzag(n: int) -> list[QuoteTick]:
    """Rising for 24 quotes, then falling: sma_cross(1, 2) on 4-quote bars keeps trading."""
    quotes, price = [], Decimal("1.10000")
    for i in range(n):
        price += Decimal("0.00050") if (i // 24) % 2 == 0 else Decimal("-0.00050")
        quotes.append(
            QuoteTick(
                EURUSD,
                Price.from_str(str(price)),
                Price.from_str(str(price + Decimal("0.0002"))),
                Quantity.from_str("1000000"),
                Quantity.from_str("1000000"),
                T0 + i * 40_000_000,
                T0 + i * 40_000_000 + 1_000,
            )
        )
    return quotes


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog with run 1 of session `recorded`: four parts of quotes and the live outcome
    (here the orders a replay makes of them, as a live node on the same quotes would)."""
    root = tmp_path_factory.mktemp("catalog")
    spec = write_spec(root, "recorded")
    writer = RecordingWriter(recording_dir(root, "recorded", 1))
    writer.open({
        "kind": "gauntlet.quotes", "spec": "recorded", "instrument": "EUR/USD",
        "instrument_id": "EUR/USD.FIX", "bar": "4-TICK-MID",
        "bar_type": "EUR/USD.FIX-4-TICK-MID-INTERNAL", "run": 1,
        "strategy": "sma_cross", "params": load_spec(spec).full_params,
    })  # fmt: skip
    quotes = zigzag(PARTS * PER_PART)
    for part in range(PARTS):
        writer.write_part(quote_columns(quotes[part * PER_PART : (part + 1) * PER_PART]))
    replay = replay_recording(
        read_recording(writer.folder), host_config(load_spec(spec)), "EUR/USD"
    )
    writer.write_live({"bars": replay.bars, "orders": replay.orders})
    return root


def copy_of(catalog: Path, tmp_path: Path) -> Path:
    shutil.copytree(catalog, tmp_path / "catalog")
    return tmp_path / "catalog"


def test_a_recording_replays_to_the_live_bars_and_orders(catalog: Path) -> None:
    outcome = run("live", "replay", catalog / "recorded.yaml", "--catalog", catalog, "--json")

    assert outcome.code == 0, outcome.stderr
    assert outcome.stderr == ""
    answer = json.loads(outcome.stdout)
    assert answer["same"] is True
    assert answer["quotes"] == PARTS * PER_PART
    assert answer["bars"] == PARTS * PER_PART // 4
    assert len(answer["orders"]) >= 2
    assert answer["orders"] == answer["live_orders"]


def test_an_order_the_replay_does_not_make_is_the_first_difference(
    catalog: Path, tmp_path: Path
) -> None:
    root = copy_of(catalog, tmp_path)
    live = recording_dir(root, "recorded", 1) / "live.json"
    outcome_of_live = json.loads(live.read_text())
    outcome_of_live["orders"][1]["side"] = (
        "SELL" if outcome_of_live["orders"][1]["side"] == "BUY" else "BUY"
    )
    live.write_text(json.dumps(outcome_of_live))

    outcome = run("live", "replay", root / "recorded.yaml", "--catalog", root)

    assert outcome.code == 1
    assert "differs from the live session: order 2: live bar=" in outcome.stdout


def test_a_truncated_last_part_is_named_and_the_complete_parts_replay(
    catalog: Path, tmp_path: Path
) -> None:
    root = copy_of(catalog, tmp_path)
    last = recording_dir(root, "recorded", 1) / f"part-{PARTS:06d}.parquet"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])

    outcome = run("live", "replay", root / "recorded.yaml", "--catalog", root, "--json")

    warnings = outcome.stderr_lines
    assert len(warnings) == 1
    assert f"part-{PARTS:06d}.parquet is truncated or not Parquet" in warnings[0]
    assert json.loads(outcome.stdout)["quotes"] == (PARTS - 1) * PER_PART
    assert outcome.code == 1  # fewer bars than the live session had: said, not hidden


def test_a_session_never_recorded_is_one_line(catalog: Path) -> None:
    spec = write_spec(catalog, "never-ran")
    outcome = run("live", "replay", spec, "--catalog", catalog)

    assert_bad_input(outcome, r"no recorded session 'never-ran'")


def test_a_run_that_does_not_exist_is_one_line(catalog: Path) -> None:
    outcome = run("live", "replay", catalog / "recorded.yaml", "--catalog", catalog, "--run", "7")

    assert_bad_input(outcome, r"no recording at .*run-7: the folder does not exist")


def test_a_recording_of_another_instrument_is_one_line(catalog: Path) -> None:
    spec = write_spec(catalog, "gbp", instrument="GBP/USD")
    recording = recording_dir(catalog, "recorded", 1)

    outcome = run("live", "replay", spec, "--recording", recording)

    assert_bad_input(outcome, r"is of EUR/USD, the spec trades GBP/USD")


def test_another_strategy_replays_with_a_warning(catalog: Path) -> None:
    spec = write_spec(catalog, "slower", params="{fast: 2, slow: 5}")
    recording = recording_dir(catalog, "recorded", 1)

    outcome = run("live", "replay", spec, "--recording", recording, "--json")

    [warning] = outcome.stderr_lines
    assert "recorded with sma_cross" in warning
    assert "the orders are not the live session's" in warning
    assert json.loads(outcome.stdout)["quotes"] == PARTS * PER_PART


def test_a_manifest_without_a_bar_type_is_one_line(catalog: Path, tmp_path: Path) -> None:
    root = copy_of(catalog, tmp_path)
    manifest = recording_dir(root, "recorded", 1) / "manifest.json"
    written = json.loads(manifest.read_text())
    del written["bar_type"]
    manifest.write_text(json.dumps(written))

    outcome = run("live", "replay", root / "recorded.yaml", "--catalog", root)

    assert_bad_input(outcome, r"manifest\.json has no 'bar_type'")


def test_a_file_for_a_recording_is_one_line(catalog: Path) -> None:
    outcome = run("live", "replay", catalog / "recorded.yaml", "--recording", "/dev/null")

    assert_bad_input(outcome, r"no recording at /dev/null: it is a file")
