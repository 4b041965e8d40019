"""`gauntlet demo` (what `make demo` runs) as a newcomer sees it: every chapter, real output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))


def _demo(out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GAUNTLET_")}
    return subprocess.run(
        [GAUNTLET, "demo", "--out", str(out)],
        capture_output=True, text=True, timeout=300, env={**clean, **env, "COLUMNS": "120"},
    )  # fmt: skip


@pytest.mark.slow
def test_demo_runs_every_chapter(tmp_path: Path) -> None:
    proc = _demo(tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for chapter in ("vectorized backtests", "parameter sweep and walk-forward",
                    "event-driven parity", "paper trading"):  # fmt: skip
        assert chapter in out
    assert "SYNTHETIC" in out, "synthetic data is labelled as such"
    assert "stitched out-of-sample: Sharpe" in out
    assert "parity PASS" in out
    report = tmp_path / "out" / "demo_report.html"
    assert report.stat().st_size > 1_000_000, "self-contained: plotly.js is inlined"
    assert "<script src=" not in report.read_text()
    assert str(report.resolve()) in out.replace("\n", "")
    journal = (tmp_path / "out" / "paper" / "events.jsonl").read_text().splitlines()
    assert sum('"kind": "fill"' in line for line in journal) > 0


def test_demo_rejects_bad_user_data_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,price\n2024-01-01,1.1\n")
    proc = _demo(tmp_path / "out", GAUNTLET_DEMO_DATA=str(bad))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gauntlet: error: ")
    assert "bad.csv" in lines[0]
