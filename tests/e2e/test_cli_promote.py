"""`gauntlet promote`, `gauntlet registry`, `gauntlet evidence verify` as a user (and CI) runs
them: the console script in a subprocess, a real PostgreSQL schema and a real MLflow store."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from live.db import drop_schema
from live.stack._process import free_port
from tests.fixtures.pg import unique_schema

pytestmark = [pytest.mark.services, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "specs" / "sma_cross_h1.yaml"
REFUSED = ROOT / "specs" / "examples" / "sma_cross_slow_h1.yaml"
GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))


@dataclass(frozen=True)
class Project:
    folder: Path
    dsn: str
    schema: str

    def run(self, *args: str, registry: bool = True) -> subprocess.CompletedProcess[str]:
        where = ["--dsn", self.dsn, "--schema", self.schema,
                 "--tracking-uri", str(self.folder / "mlruns")] if registry else []  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("GAUNTLET_")}
        return subprocess.run(
            [GAUNTLET, *args, *where], cwd=self.folder, capture_output=True, text=True,
            timeout=300, env=env,
        )  # fmt: skip

    def promote(self, spec: Path, to: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("promote", str(spec), "--to", to, "--json", "--by", "ci", *extra)


@pytest.fixture
def project(tmp_path: Path, pg_dsn: str) -> Iterator[Project]:
    schema = unique_schema()
    yield Project(tmp_path, pg_dsn, schema)
    asyncio.run(drop_schema(pg_dsn, schema))


def _one_line(proc: subprocess.CompletedProcess[str], code: int, *fragments: str) -> str:
    assert proc.returncode == code, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_research_to_candidate_to_paper_with_history_and_verified_evidence(
    project: Project,
) -> None:
    candidate = project.promote(GOOD, "candidate")
    assert candidate.returncode == 0, candidate.stderr
    out = json.loads(candidate.stdout)
    assert out["passed"] is True
    assert {g["gate"] for g in out["gates"]} == {
        "oos_sharpe", "max_drawdown", "min_trades", "deflated_sharpe", "pbo",
    }  # fmt: skip
    assert (out["registry"]["stage"], out["registry"]["model_version"]) == ("candidate", "1")

    skipped = project.promote(GOOD, "candidate")  # the same rung twice is refused, not redone
    _one_line(skipped, 2, "cannot promote from candidate to candidate")

    paper = project.promote(GOOD, "paper")
    assert paper.returncode == 0, paper.stderr
    out = json.loads(paper.stdout)
    gates = {g["gate"]: g for g in out["gates"]}
    assert gates["lookahead_clean"]["passed"] is True
    assert gates["parity"]["passed"] is True
    assert out["registry"]["stage"] == "paper"

    verified = project.run("evidence", "verify", out["bundle"], registry=False)
    assert verified.returncode == 0, verified.stderr
    assert out["bundle_hash"] in verified.stdout
    assert "registry: not checked" in verified.stdout  # no --dsn, no settings, no stack
    recorded = project.run("evidence", "verify", out["bundle"], "--dsn", project.dsn,
                           "--schema", project.schema, registry=False)  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    assert "registry: checked: recorded for sma-cross-eurusd-h1 → paper by ci" in recorded.stdout

    shown = project.run("registry", "show", str(GOOD), "--json")
    assert shown.returncode == 0, shown.stderr
    steps = [
        (h["from_stage"], h["to_stage"], h["decided_by"])
        for h in json.loads(shown.stdout)["history"]
    ]
    assert steps == [("research", "candidate", "ci"), ("candidate", "paper", "ci")]
    table = project.run("registry", "show", str(GOOD))  # the table names each step's evidence
    assert table.returncode == 0, table.stderr
    assert out["bundle_hash"][:12] in table.stdout

    demoted = project.run("registry", "demote", str(GOOD), "--to", "candidate",
                          "--reason", "paper drift investigation")  # fmt: skip
    assert demoted.returncode == 0, demoted.stderr
    listed = json.loads(project.run("registry", "list", "--json").stdout)
    assert [(r["name"], r["stage"]) for r in listed] == [("sma-cross-eurusd-h1", "candidate")]
    retired = project.run("registry", "retire", "sma-cross-eurusd-h1", "--reason", "replaced")
    assert retired.returncode == 0, retired.stderr
    again = project.promote(GOOD, "candidate")
    _one_line(again, 2, "retired")


def test_a_failing_gate_exits_1_with_the_reason_and_changes_nothing(project: Project) -> None:
    refused = project.promote(REFUSED, "candidate")
    assert refused.returncode == 1, refused.stderr
    out = json.loads(refused.stdout)
    failed = [g for g in out["gates"] if g["passed"] is False]
    assert [g["gate"] for g in failed] == ["min_trades"]
    assert "OOS trades 12 < 50" in failed[0]["detail"]
    assert "registry" not in out
    listed = project.run("registry", "list", "--json")
    assert json.loads(listed.stdout) == []


def test_check_mode_gates_without_a_registry_and_tampering_is_detected(project: Project) -> None:
    checked = project.run("promote", str(GOOD), "--to", "candidate", "--check", "--json",
                          registry=False)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    bundle = Path(json.loads(checked.stdout)["bundle"])
    evidence = bundle / "evidence.json"
    forged = json.loads(evidence.read_text())
    forged["values"]["min_trades"] = 966  # a better number than the one measured
    evidence.write_text(json.dumps(forged))
    tampered = project.run("evidence", "verify", str(bundle), registry=False)
    _one_line(tampered, 1, "evidence.json")


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["--to", "live"], 2, "cannot promote from research to live"),
        (["--to", "production"], 2, "--to must be one of candidate, paper, live"),
    ],
    ids=["skipping-a-stage", "unknown-stage"],
)
def test_bad_transitions(project: Project, args: list[str], code: int, fragment: str) -> None:
    _one_line(project.run("promote", str(GOOD), *args), code, fragment)


def test_bad_files_are_one_line_errors(project: Project) -> None:
    policy = project.folder / "policy.yaml"
    policy.write_text("version: 1\ndefaults:\n  oos_sharpe: fast\n  sharpness: 2\n")
    bad_policy = project.run("promote", str(GOOD), "--to", "candidate", "--policy", str(policy))
    _one_line(bad_policy, 2, "policy.yaml")

    spec = project.folder / "spec.yaml"
    spec.write_text(GOOD.read_text().replace("strategy: sma_cross", "strategy: sma_crossover"))
    shutil.copytree(ROOT / "data", project.folder / "data")  # the spec's relative data path
    unknown = project.run("promote", str(spec), "--to", "candidate")
    _one_line(unknown, 2, "sma_crossover")

    live = project.run("promote", str(GOOD), "--to", "live", "--check")
    _one_line(live, 2, "missing evidence for live")


def test_unreachable_database_is_one_line_and_nothing_runs(tmp_path: Path) -> None:
    dead = Project(tmp_path, f"postgresql://postgres@127.0.0.1:{free_port()}/test", "gauntlet")
    proc = dead.promote(GOOD, "candidate")
    _one_line(proc, 2, "PostgreSQL")
    assert not (tmp_path / "runs").exists(), "no evidence was gathered for a dead registry"
