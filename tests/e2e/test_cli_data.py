"""`gauntlet data ...` run as a real subprocess: the user-facing contract of the data layer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))
REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample" / "EURUSD_H1_synthetic.csv"


def run(*args: str, catalog: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GAUNTLET_DEBUG": "0", "COLUMNS": "200"}
    if catalog is not None:
        env["GAUNTLET_CATALOG"] = str(catalog)
    return subprocess.run(
        [GAUNTLET, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def bad_csv(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n"
        "2024-01-02 10:00:00,1.1000,1.1010,1.0990,1.1005,120\n"
        "2024-01-02 11:00:00,1.1005,1.1010,1.1000,1.1015,80\n"
        "2024-01-02 12:00:00,1.1015,1.1016,1.0995,,95\n"
    )
    return path


def test_check_the_sample_is_clean() -> None:
    result = run("data", "check", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    assert "12480 rows" in result.stdout
    assert "ok: 0 error(s), 0 warning(s)" in result.stdout


def test_check_a_bad_file_exits_2_with_one_line_naming_file_row_rule(bad_csv: Path) -> None:
    result = run("data", "check", str(bad_csv))
    line = one_error_line(result)
    assert line == (
        f"gauntlet: error: {bad_csv}: row 2 (2024-01-02 11:00:00+00:00): "
        "high < max(open, close) (open=1.1005, high=1.101, low=1.1, close=1.1015) "
        "[+1 more error]"
    )
    assert "high < max(open, close)" in result.stdout  # the full report is on stdout
    assert "NaN or inf value" in result.stdout


def test_check_json_is_one_object_even_when_rejecting(bad_csv: Path) -> None:
    result = run("data", "check", str(bad_csv), "--json", "--calendar", "24x7")
    one_error_line(result)
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["calendar"] == "24x7"
    assert [(i["rule"], i["row"]) for i in report["issues"]] == [
        ("high_below_body", 2),
        ("non_finite", 3),
    ]


def test_missing_file_and_wrong_columns(tmp_path: Path) -> None:
    missing = one_error_line(run("data", "check", str(tmp_path / "nope.csv")))
    assert missing == f"gauntlet: error: {tmp_path / 'nope.csv'}: no such file"
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("when,price\n2024-01-02,1.1\n")
    line = one_error_line(run("data", "check", str(wrong)))
    assert line.startswith(f"gauntlet: error: {wrong}: missing column(s) open, high, low, close")
    bad_option = one_error_line(run("data", "check", str(SAMPLE), "--calendar", "nyse"))
    assert "unknown calendar 'nyse'" in bad_option


def test_import_then_list_then_reimport(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    first = run("data", "import", str(SAMPLE), "--instrument", "EURUSD", "--timeframe", "1h",
                catalog=catalog)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "12480 rows read, 12480 added, 0 replaced, 12480 in catalog" in first.stdout
    assert "2020-01-01 00:00:00+00:00 → 2021-12-28 23:00:00+00:00" in first.stdout
    again = run("data", "import", str(SAMPLE), "--instrument", "EURUSD", "--json",
                catalog=catalog)  # fmt: skip
    payload = json.loads(again.stdout)
    assert (payload["rows_added"], payload["rows_total"], payload["timeframe"]) == (0, 12480, "1h")
    listed = json.loads(run("data", "list", "--json", catalog=catalog).stdout)
    assert listed["entries"] == [
        {
            "instrument": "EURUSD",
            "timeframe": "1h",
            "rows": 12480,
            "start": "2020-01-01 00:00:00+00:00",
            "end": "2021-12-28 23:00:00+00:00",
            "files": 2,
        }
    ]


def test_import_rejects_bad_data_unless_repaired(tmp_path: Path, bad_csv: Path) -> None:
    catalog = tmp_path / "catalog"
    rejected = one_error_line(
        run("data", "import", str(bad_csv), "--instrument", "X", "--catalog", str(catalog))
    )
    assert "row 2 (2024-01-02 11:00:00+00:00): high < max(open, close)" in rejected
    repaired = run("data", "import", str(bad_csv), "--instrument", "X", "--repair",
                   "--catalog", str(catalog))  # fmt: skip
    assert repaired.returncode == 0, repaired.stderr
    assert f"{bad_csv}: repaired 3 → 2 rows" in repaired.stdout
    assert "non_finite: dropped on 1 row(s): row 3" in repaired.stdout
    assert "high_below_body: raised high on 1 row(s): row 2" in repaired.stdout
    assert "2 rows read, 2 added" in repaired.stdout


def test_synth_reproduces_the_committed_sample(tmp_path: Path) -> None:
    out = tmp_path / "sample.csv"
    result = run("data", "synth", "--bars", "12480", "--seed", "0", "--timeframe", "1h",
                 "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "EURUSD-SYNTHETIC" in result.stdout
    assert out.read_bytes() == SAMPLE.read_bytes()
