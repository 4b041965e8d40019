"""`gauntlet promote` and `gauntlet registry ...` on hostile input: every bad file, option or
spec is exit 2 with one line naming it, before any evidence is gathered (no bundle folder is
made) and before the registry is touched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from live.stack._process import free_port
from tests.fixtures.pg import PgSchema
from tests.hostile.harness import assert_bad_input, run

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "specs" / "sma_cross_h1.yaml"
DATA = ROOT / "data" / "sample" / "EURUSD_H1_synthetic.csv"


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No settings from the environment: no registry, no signing key, a fresh project dir."""
    for name in [n for n in os.environ if n.startswith("GAUNTLET_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GAUNTLET_PROJECT_DIR", str(tmp_path))
    return tmp_path


def _promote(tmp_path: Path, spec: Path | str, *extra: str | Path) -> list[str | Path]:
    """`promote SPEC --to candidate` writing (if it ever got that far) under tmp_path/runs."""
    return [
        "promote", spec, "--to", "candidate", "--out", tmp_path / "runs",
        "--cache", tmp_path / "cache", *extra,
    ]  # fmt: skip


def _nothing_gathered(tmp_path: Path) -> None:
    assert not (tmp_path / "runs").exists(), "evidence was gathered for bad input"
    assert not (tmp_path / "cache").exists(), "evidence was gathered for bad input"


def _spec(tmp_path: Path, old: str, new: str) -> Path:
    """The good spec with one edit, its data path made absolute."""
    text = GOOD.read_text().replace("data/sample/EURUSD_H1_synthetic.csv", str(DATA))
    assert old in text, old
    path = tmp_path / "spec.yaml"
    path.write_text(text.replace(old, new))
    return path


def _garbage(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 8)  # not UTF-8 text
    return path


@pytest.mark.parametrize("which", ["spec", "policy"])
def test_random_bytes_name_the_file(tmp_path: Path, which: str) -> None:
    garbage = _garbage(tmp_path / f"{which}.yaml")
    args = _promote(tmp_path, garbage) if which == "spec" else _promote(
        tmp_path, GOOD, "--policy", garbage
    )  # fmt: skip
    assert_bad_input(run(*args, "--check"), rf"invalid {which} .*{which}\.yaml: not UTF-8 text")
    _nothing_gathered(tmp_path)


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("", "expected a mapping"),
        ("- a\n- b\n", "expected a mapping"),
        ("just a string\n", "expected a mapping"),
        ("start: 2020-13-01\n", r"unreadable YAML \(month must be in 1\.\.12\)"),
        ("[" * 100_000, r"unreadable YAML \(nested too deeply\)"),
    ],
    ids=["empty", "a-list", "a-string", "impossible-date", "nested-too-deep"],
)
def test_a_spec_that_is_not_a_mapping(tmp_path: Path, content: str, pattern: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(content)
    assert_bad_input(run(*_promote(tmp_path, spec), "--check"), rf"spec\.yaml.*{pattern}")
    _nothing_gathered(tmp_path)


def test_a_spec_date_that_does_not_exist(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "start: 2020-01-01", "start: 2020-02-30")
    assert_bad_input(run(*_promote(tmp_path, spec), "--check"), r"spec\.yaml.*day is out of range")


def test_a_directory_as_spec_or_policy(tmp_path: Path) -> None:
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert_bad_input(run(*_promote(tmp_path, folder), "--check"), r"cannot read spec .*folder")
    assert_bad_input(
        run(*_promote(tmp_path, GOOD, "--policy", folder), "--check"), r"cannot read policy"
    )
    _nothing_gathered(tmp_path)


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [("not a dsn", "no URL scheme"), ("mysql://root:hunter2@db/x", "a mysql:// URL"), ("", "")],
    ids=["not-a-url", "mysql", "empty"],
)
def test_a_bad_dsn_fails_before_any_evidence(tmp_path: Path, dsn: str, shown: str) -> None:
    line = assert_bad_input(
        run(*_promote(tmp_path, GOOD, "--dsn", dsn)), rf"--dsn must be a postgresql:// URL.*{shown}"
    )
    assert "hunter2" not in line
    _nothing_gathered(tmp_path)


@pytest.mark.parametrize(
    ("dsn", "pattern"),
    [
        ("postgresql://[::1/db", r"--dsn is not a URL"),
        ("postgresql://u@127.0.0.1:70000/db", r"--dsn: the port is not a number"),
        ("postgresql://u@127.0.0.1:1/db?sslmode=bogus", r"`sslmode` parameter must be one of"),
    ],
    ids=["open-bracket", "port-out-of-range", "bad-sslmode"],
)
def test_a_postgresql_url_asyncpg_cannot_use(tmp_path: Path, dsn: str, pattern: str) -> None:
    args = _promote(tmp_path, GOOD, "--dsn", dsn, "--tracking-uri", tmp_path / "mlruns")
    assert_bad_input(run(*args), pattern)
    _nothing_gathered(tmp_path)


def test_a_policy_override_for_an_unknown_strategy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    text = (ROOT / "policy" / "promotion.yaml").read_text()
    policy.write_text(text.replace("  vol_target_trend:", "  vol_target_trnd:"))
    assert_bad_input(
        run(*_promote(tmp_path, GOOD, "--policy", policy), "--check"),
        r"policy\.yaml: strategies\.vol_target_trnd: unknown strategy .*known: .*vol_target_trend",
    )
    _nothing_gathered(tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "pattern"),
    [
        ("strategy: sma_cross", "strategy: sma_crossover", "unknown strategy 'sma_crossover'"),
        ("allow_short: true", "allow_short: true, stop: 3", r"params\.stop: Extra inputs"),
        ("  fast: [5, 10, 20]", "  fats: [5, 10, 20]", r"unknown parameter\(s\) of sma_cross"),
        (str(DATA), str(ROOT / "data" / "nothing.csv"), "data file .*nothing.csv does not exist"),
    ],
    ids=["unknown-strategy", "unknown-param", "unknown-search-param", "missing-data"],
)
def test_a_spec_naming_what_does_not_exist(
    tmp_path: Path, old: str, new: str, pattern: str
) -> None:
    spec = _spec(tmp_path, old, new)
    assert_bad_input(run(*_promote(tmp_path, spec), "--check"), pattern)
    _nothing_gathered(tmp_path)


def test_out_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "runs").write_text("not a folder")
    assert_bad_input(run(*_promote(tmp_path, GOOD), "--check"), r"--out .*runs is a file")
    assert not (tmp_path / "cache").exists(), "evidence was gathered for bad input"


def test_a_blank_decider(tmp_path: Path) -> None:
    assert_bad_input(run(*_promote(tmp_path, GOOD, "--by", "  "), "--check"), "--by must not be")
    _nothing_gathered(tmp_path)


def _dead_dsn() -> str:
    return f"postgresql://postgres@127.0.0.1:{free_port()}/none"


@pytest.mark.parametrize(
    "args",
    [
        ["demote", "sma-cross-eurusd-h1", "--to", "candidate", "--reason", ""],
        ["demote", "sma-cross-eurusd-h1", "--to", "candidate", "--reason", "   "],
        ["retire", "sma-cross-eurusd-h1", "--reason", ""],
    ],
    ids=["demote-empty", "demote-blank", "retire-empty"],
)
def test_a_stage_change_needs_a_reason(tmp_path: Path, args: list[str]) -> None:
    """Refused before the registry is opened (the dead DSN would say "unreachable")."""
    assert_bad_input(
        run("registry", *args, "--dsn", _dead_dsn(), "--tracking-uri", tmp_path / "mlruns"),
        r"--reason must not be empty",
    )


@pytest.mark.parametrize("command", ["show", "retire"])
def test_a_malformed_strategy_name_is_refused_before_the_registry(
    tmp_path: Path, command: str
) -> None:
    extra = ["--reason", "r"] if command == "retire" else []
    assert_bad_input(
        run("registry", command, "../Etc", *extra, "--dsn", _dead_dsn(),
            "--tracking-uri", tmp_path / "mlruns"),
        r"strategy name '\.\./Etc'",
    )  # fmt: skip


def test_registry_list_with_a_bad_dsn(tmp_path: Path) -> None:
    assert_bad_input(
        run("registry", "list", "--dsn", "mysql://db/x"), r"--dsn must be a postgresql:// URL"
    )


@pytest.mark.services
def test_skipping_a_rung_is_refused_before_any_evidence(
    tmp_path: Path, pg_schema: PgSchema
) -> None:
    where = ("--dsn", pg_schema.dsn, "--schema", pg_schema.name,
             "--tracking-uri", tmp_path / "mlruns")  # fmt: skip
    args = _promote(tmp_path, GOOD, *where)
    args[args.index("candidate")] = "paper"
    assert_bad_input(run(*args), "cannot promote from research to paper")
    _nothing_gathered(tmp_path)


def test_a_data_file_of_hostile_bytes_is_quoted_safely(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    data.write_bytes(b"\x1b[2J\x1b]0;owned\x07,\rclose\n1,2\n")  # clear screen, set title
    spec = _spec(tmp_path, str(DATA), str(data))
    line = assert_bad_input(run(*_promote(tmp_path, spec), "--check"), r"cannot load .*bars\.csv")
    for control in ("\x1b", "\x07", "\r"):
        assert control not in line


@pytest.mark.parametrize(
    ("events", "pattern"),
    [
        (bytes(range(256)) * 4, r"unreadable or malformed events\.jsonl .*UnicodeDecodeError"),
        (b'{"kind": "mark"}\n[1, 2]\n', r"a line of events\.jsonl is not an object"),
        (b"[" * 100_000 + b"\n", r"unreadable or malformed events\.jsonl .*RecursionError"),
        (
            b'{"kind": "mark", "equity": 1}\n' * 2,
            r"unreadable or malformed events\.jsonl .*KeyError: 'bar_time'",
        ),
        (
            b'{"kind": "mark", "bar_time": 1, "equity": "NaN"}\n'
            b'{"kind": "mark", "bar_time": 2, "equity": "inf"}\n',
            "fewer than 2 marks with a finite equity",
        ),
    ],
    ids=["not-utf8", "not-an-object", "nested-too-deep", "mark-without-time", "no-finite-equity"],
)
def test_a_hostile_paper_run(tmp_path: Path, events: bytes, pattern: str) -> None:
    run_dir = tmp_path / "paper"
    run_dir.mkdir()
    (run_dir / "events.jsonl").write_bytes(events)
    args = _promote(tmp_path, GOOD, "--check", "--paper-run", run_dir)
    args[args.index("candidate")] = "live"
    assert_bad_input(run(*args), rf"paper run .*paper: {pattern}")
    _nothing_gathered(tmp_path)


def test_a_folder_planted_in_the_bundle_is_kept_and_one_line(tmp_path: Path) -> None:
    """Found only after the evidence (the bundle's name carries the evidence's spec hash): still
    one stderr line, and the folder is refused, not deleted."""
    first = run(*_promote(tmp_path, GOOD), "--check")
    assert first.code == 0, first.stderr
    [bundle] = (tmp_path / "runs").iterdir()
    (bundle / "planted").mkdir()
    (bundle / "planted" / "keep.txt").write_text("not Gauntlet's")
    again = run(*_promote(tmp_path, GOOD), "--check")
    assert_bad_input(again, r"holds a folder planted/")
    assert (bundle / "planted" / "keep.txt").read_text() == "not Gauntlet's"
