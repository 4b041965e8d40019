"""`gauntlet demo` (what `make demo` runs) as a newcomer sees it: every chapter, real output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from live.settings import load_settings
from live.stack.stack import Stack

GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))


def _demo(out: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GAUNTLET_")}
    return subprocess.run(
        [GAUNTLET, "demo", "--out", str(out), *args],
        capture_output=True, text=True, timeout=300, env={**clean, **env, "COLUMNS": "120"},
    )  # fmt: skip


@pytest.fixture
def demo_dir() -> Iterator[Path]:
    # Not under tmp_path: the promotion chapter starts an embedded PostgreSQL there, which runs
    # as an unprivileged account when we are root and must traverse the folder's parents
    # (pytest keeps its base temp folder 0700).
    with tempfile.TemporaryDirectory(prefix="gauntlet-demo-", dir="/var/tmp") as folder:
        Path(folder).chmod(0o711)
        yield Path(folder)


@pytest.mark.slow
def test_demo_runs_every_chapter(demo_dir: Path) -> None:
    proc = _demo(demo_dir / "out")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for chapter in ("vectorized backtests", "parameter sweep and walk-forward",
                    "event-driven parity", "paper trading", "promotion",
                    "live on OANDA v20 (simulator)"):  # fmt: skip
        assert chapter in out
    assert "promoted to candidate" in out
    assert "promoted to paper" in out
    assert "promoted to live" in out
    assert "refused: OOS trades 12 < 50" in out
    bundles = sorted(p.name for p in (demo_dir / "out" / "promotion").iterdir())
    assert [b.rsplit("-", 1)[0] for b in bundles] == [
        "sma-cross-eurusd-h1-candidate", "sma-cross-eurusd-h1-live",
        "sma-cross-eurusd-h1-paper", "sma-cross-slow-eurusd-h1-candidate",
    ]  # fmt: skip
    stack = Stack(load_settings(data_dir=(demo_dir / "out" / ".gauntlet").resolve()))
    assert stack.endpoint("postgres") is None, "the demo stops the PostgreSQL it started"
    assert "SYNTHETIC" in out, "synthetic data is labelled as such"
    assert "stitched out-of-sample: Sharpe" in out
    assert "parity PASS" in out
    report = demo_dir / "out" / "demo_report.html"
    assert report.stat().st_size > 1_000_000, "self-contained: plotly.js is inlined"
    assert "<script src=" not in report.read_text()
    assert str(report.resolve()) in out.replace("\n", "")
    journal = (demo_dir / "out" / "paper" / "events.jsonl").read_text().splitlines()
    assert sum('"kind": "fill"' in line for line in journal) > 0
    _assert_live_oanda_chapter(out, demo_dir / "out" / "live-oanda")


def _assert_live_oanda_chapter(out: str, folder: Path) -> None:
    """`gauntlet live start --venue oanda` traded the promoted spec on the OANDA simulator
    and stopped; its recorded session, replayed as a backtest, gave the same bars and
    decisions; a second session was killed with SIGKILL, restarted, reconciled the account's
    position and stopped: the account and the node agree, no order was sent twice."""
    words = " ".join(out.split())
    assert "$ gauntlet live start" in words
    assert "--venue oanda" in words
    assert "$ gauntlet sim oanda --port" in words
    first = re.search(r"session 1 stopped after (\d+) fills on the account", words)
    assert first is not None
    assert int(first[1]) >= 3
    assert "$ gauntlet live replay" in words
    replayed = re.search(r"→ (\d+) bars, (\d+) orders replay MATCHES: the same bars and "
                         r"decisions as the live session \((\d+) orders", words)  # fmt: skip
    assert replayed is not None, words[-3000:]
    assert int(replayed[1]) > 50
    assert int(replayed[2]) == int(replayed[3]) >= 3
    assert re.search(r"SIGKILL to the node \(pid \d+\) after \d+ fills on the account", words)
    assert "`gauntlet live status` shows: crashed" in words
    reconciled = re.search(r"net position (\S+) where the account holds (\S+)", words)
    assert reconciled is not None
    assert reconciled[1] == reconciled[2] != "flat"
    table = _table(out)
    assert table["orders sent twice (client ids seen twice)"] == "0"
    assert int(table["fills on the account"]) >= int(first[1]) + 3
    assert table["account's net position"] == table["node's net position"]
    assert int(table["rows the node mirrored to PostgreSQL"]) > 0
    assert table["node state"] == "stopped"
    runs = sorted(
        p.name for p in (folder / "catalog" / "_quotes" / "sma-cross-eurusd-h1").iterdir()
    )
    assert runs == ["run-1", "run-2", "run-3"], "every session recorded its quotes"


def _table(out: str) -> dict[str, str]:
    """The two-column tables the demo printed: first cell → second."""
    return {
        cells[0]: cells[1]
        for line in out.splitlines()
        if len(cells := [c.strip() for c in line.strip().strip("│").split("│")]) == 2
    }


def _assert_live_mt5_chapter(out: str, folder: Path) -> None:
    """`gauntlet live start --venue mt5` traded the promoted spec through the bridge, the
    bridge dropped mid-order, the node was killed with SIGKILL, restarted, reconciled the
    terminal's position and stopped: the terminal and the node agree, no order was sent twice."""
    words = " ".join(out.split())
    assert "--venue mt5" in words
    assert "bridge dropped after an order reached the terminal's trade server" in words
    assert re.search(r"SIGKILL to the node \(pid \d+\) after \d+ deals at the terminal", words)
    assert "`gauntlet live status` shows: crashed" in words
    reconciled = re.search(r"net position (\S+) where the terminal holds (\S+)", words)
    assert reconciled is not None
    assert reconciled[1] == reconciled[2]
    table = _table(out)
    assert table["orders sent twice (keys seen twice)"] == "0"
    assert int(table["deals at the terminal"]) >= 5
    assert int(table["bridge connections"]) >= 3  # the drop and the restart: dialed in again
    assert table["terminal's net position"] == table["node's net position"]
    assert int(table["rows the node mirrored to PostgreSQL"]) > 0
    assert table["node state"] == "stopped"
    assert (folder / "tls" / "ca.pem").is_file(), "the dev CA is under the output folder"


@pytest.mark.slow
def test_demo_live_chapter_on_mt5(demo_dir: Path) -> None:
    proc = _demo(demo_dir / "out", "--live-only", GAUNTLET_DEMO_VENUE="mt5")
    assert proc.returncode == 0, proc.stderr
    assert "live on MetaTrader 5 (terminal simulator)" in proc.stdout
    assert "vectorized backtests" not in proc.stdout, "--live-only: promotion and live only"
    assert "promoted to live" in proc.stdout
    _assert_live_mt5_chapter(proc.stdout, demo_dir / "out" / "live-mt5")


@pytest.mark.slow
def test_demo_live_chapter_on_fix(demo_dir: Path) -> None:
    proc = _demo(demo_dir / "out", "--live-only", "--venue", "fix")
    assert proc.returncode == 0, proc.stderr
    assert "live on the FIX simulator" in proc.stdout
    _assert_live_fix_chapter(proc.stdout, demo_dir / "out" / "live-fix")
    assert "SSL read error" not in proc.stderr, "QuickFIX's console lines stay in the folder"


def _assert_live_fix_chapter(out: str, folder: Path) -> None:
    """`gauntlet live start` traded the promoted spec on the simulator, was killed with
    SIGKILL, restarted, reconciled the venue's position, and stopped: the venue's ledger and
    the node agree, no order reached the venue twice, and the PostgreSQL mirror wrote."""
    words = " ".join(out.split())
    assert "$ gauntlet live start" in words
    assert re.search(r"SIGKILL to the node \(pid \d+\) after \d+ venue fills", words)
    assert "`gauntlet live status` shows: crashed" in words
    reconciled = re.search(r"net position (\S+) where the venue holds (\S+)", words)
    assert reconciled is not None
    assert reconciled[1] == reconciled[2]
    table = _table(out)
    assert table["orders sent twice (the venue's count)"] == "0"
    assert int(table["fills at the venue"]) >= 5
    assert table["venue's net position"] == table["node's net position"]
    assert int(table["rows the node mirrored to PostgreSQL"]) > 0
    assert table["node state"] == "stopped"
    assert (folder / "sim" / "ca" / "ca.pem").is_file(), "the dev CA is under the output folder"
    assert "Certificate Verification" not in out, "QuickFIX's console lines stay in the folder"


def test_demo_rejects_bad_user_data_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,price\n2024-01-01,1.1\n")
    proc = _demo(tmp_path / "out", GAUNTLET_DEMO_DATA=str(bad))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gauntlet: error: ")
    assert "bad.csv" in lines[0]
