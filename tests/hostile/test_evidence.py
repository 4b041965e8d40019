"""`gauntlet evidence verify` against forged bundles: a bundle must prove it is the one a
promotion was decided on, not merely agree with itself (exit 1 naming what is wrong), and bad
input is one line with exit 2."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from research.promotion.bundle import write_bundle
from research.promotion.gates import evaluate
from research.promotion.manifest import bundle_hash, file_hash
from research.promotion.stages import Stage
from tests.fixtures.pg import PgSchema
from tests.hostile.harness import assert_bad_input, assert_failed_check, run
from tests.unit.promotion.helpers import default_thresholds, make_evidence

KEY = "k3y-for-hostile-tests"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with no registry and the env secrets backend holding the signing key."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in [n for n in os.environ if n.startswith("GAUNTLET_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GAUNTLET_PROJECT_DIR", str(folder))
    monkeypatch.setenv("GAUNTLET_SECRETS__BACKEND", "env")
    monkeypatch.setenv("GAUNTLET_SECRET_EVIDENCE_SIGNING_KEY", KEY)
    monkeypatch.chdir(ROOT)  # make_evidence reads specs/ from the checkout
    return folder


def _stub_tearsheet(evidence, path: Path) -> None:  # type: ignore[no-untyped-def]
    path.write_text(f"<html>{evidence.spec.name}</html>\n")


def _bundle(out: Path, key: str | None = KEY, **values: float) -> Path:
    evidence = make_evidence(Stage.CANDIDATE, **values)
    results = evaluate(evidence, default_thresholds(), Stage.CANDIDATE)
    return write_bundle(
        evidence, results, out, tearsheet_of=_stub_tearsheet,
        signing_key=None if key is None else key.encode(),
    )  # fmt: skip


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return _bundle(tmp_path / "runs")


@pytest.fixture
def failed_bundle(tmp_path: Path) -> Path:
    """A candidate bundle whose min_trades gate failed (12 OOS trades)."""
    return _bundle(tmp_path / "runs", min_trades=12.0)


def _read(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text())


def _write(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2))


def _rehash(folder: Path, *, keep_signature: bool = True) -> None:
    """What a forger does after editing a file: recompute every hash and the seal."""
    manifest = _read(folder / "manifest.json")
    files = {name: file_hash(folder / name) for name in manifest["files"]}
    manifest.update(files=files, bundle_hash=bundle_hash(files))
    if not keep_signature:
        manifest.pop("signature", None)
    _write(folder / "manifest.json", manifest)


def _forge_pass(folder: Path) -> None:
    """gates.json says every gate passed, consistently, and the manifest is re-hashed."""
    gates = _read(folder / "gates.json")
    gates["passed"] = True
    for gate in gates["gates"]:
        gate["passed"] = True if gate["passed"] is not None else None
    _write(folder / "gates.json", gates)
    _rehash(folder)


def test_a_written_bundle_verifies_signed(bundle: Path) -> None:
    outcome = run("evidence", "verify", bundle)
    assert outcome.code == 0, outcome.stderr
    assert "signature: valid" in outcome.stdout
    assert "registry: not checked" in outcome.stdout


def test_promote_check_writes_a_signed_bundle_that_verifies(tmp_path: Path) -> None:
    """The real path: `promote --check` signs with the configured key, `verify` checks it."""
    spec = ROOT / "specs" / "sma_cross_h1.yaml"
    promoted = run(
        "promote", spec, "--to", "candidate", "--check", "--json",
        "--out", tmp_path / "runs", "--cache", tmp_path / "cache",
    )  # fmt: skip
    assert promoted.code == 0, promoted.stderr
    out = json.loads(promoted.stdout)
    assert out["signed"] is True
    verified = run("evidence", "verify", out["bundle"])
    assert verified.code == 0, verified.stderr
    assert out["bundle_hash"] in verified.stdout
    assert "signature: valid" in verified.stdout


def test_flipping_the_verdict_and_rehashing_is_caught_by_the_signature(
    failed_bundle: Path,
) -> None:
    _forge_pass(failed_bundle)
    assert_failed_check(
        run("evidence", "verify", failed_bundle), r"manifest\.json does not match its signature"
    )


def test_flipping_only_the_verdict_is_caught_even_unsigned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GAUNTLET_SECRET_EVIDENCE_SIGNING_KEY")
    folder = _bundle(tmp_path / "runs", key=None, min_trades=12.0)
    gates = _read(folder / "gates.json")
    gates["passed"] = True
    _write(folder / "gates.json", gates)
    _rehash(folder)
    assert_failed_check(
        run("evidence", "verify", folder), r"gates\.json says passed=True but its gates give"
    )


def test_stripping_the_signature_is_caught(failed_bundle: Path) -> None:
    _forge_pass(failed_bundle)
    _rehash(failed_bundle, keep_signature=False)
    assert_failed_check(
        run("evidence", "verify", failed_bundle),
        r"unsigned, but an evidence signing key is configured",
    )


def test_signed_with_another_key_is_caught(tmp_path: Path) -> None:
    folder = _bundle(tmp_path / "runs", key="someone-elses-key")
    assert_failed_check(run("evidence", "verify", folder), r"does not match its signature")


def test_without_a_key_the_output_says_unsigned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GAUNTLET_SECRET_EVIDENCE_SIGNING_KEY")
    folder = _bundle(tmp_path / "runs", key=None)
    outcome = run("evidence", "verify", folder)
    assert outcome.code == 0, outcome.stderr
    assert "signature: unsigned (no secret evidence_signing_key" in outcome.stdout


def test_an_empty_manifest_with_every_file_deleted_is_not_a_bundle(bundle: Path) -> None:
    for name in ("evidence.json", "gates.json", "tearsheet.html"):
        (bundle / name).unlink()
    manifest = {"algorithm": "sha256", "files": {}, "bundle_hash": bundle_hash({})}
    _write(bundle / "manifest.json", manifest)
    assert_failed_check(
        run("evidence", "verify", bundle), r"evidence\.json is not listed in manifest\.json"
    )


@pytest.mark.parametrize("name", ["/etc/hostname", "../outside.txt", "sub/evidence.json"])
def test_a_manifest_entry_outside_the_bundle_is_refused(bundle: Path, name: str) -> None:
    manifest = _read(bundle / "manifest.json")
    manifest["files"][name] = file_hash(Path("/etc/hostname"))
    manifest["bundle_hash"] = bundle_hash(manifest["files"])
    _write(bundle / "manifest.json", manifest)
    assert_failed_check(run("evidence", "verify", bundle), r"a path outside the bundle")


def test_an_extra_subfolder_is_refused(bundle: Path) -> None:
    (bundle / "extra").mkdir()
    (bundle / "extra" / "notes.txt").write_text("unlisted")
    assert_failed_check(run("evidence", "verify", bundle), r"extra/ is a folder")


def test_a_symlink_out_of_the_bundle_is_refused(bundle: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.html"
    shutil.move(bundle / "tearsheet.html", outside)  # same bytes, so the hash still matches
    (bundle / "tearsheet.html").symlink_to(outside)
    assert_failed_check(run("evidence", "verify", bundle), r"tearsheet\.html is a symbolic link")


def test_an_edited_hash_in_the_manifest_is_reported_as_the_manifest(bundle: Path) -> None:
    manifest = _read(bundle / "manifest.json")
    manifest["files"]["gates.json"] = "0" * 64  # gates.json itself is untouched
    _write(bundle / "manifest.json", manifest)
    outcome = run("evidence", "verify", bundle)
    assert_failed_check(outcome, r"manifest\.json was modified: it no longer matches its seal")
    assert "gates.json was modified" not in outcome.stderr
    assert f"gates.json: sha256 {'0' * 16}… in the manifest, " in outcome.stderr


def test_an_edited_file_names_both_hashes(bundle: Path) -> None:
    before = _read(bundle / "manifest.json")["files"]["evidence.json"]
    evidence = _read(bundle / "evidence.json")
    evidence["values"]["oos_sharpe"] = 3.0
    _write(bundle / "evidence.json", evidence)
    assert_failed_check(
        run("evidence", "verify", bundle),
        rf"evidence\.json was modified \(sha256 {before[:16]}… in the manifest, \w{{16}}… on disk",
    )


@pytest.mark.parametrize(
    "manifest",
    [
        b"[" * 100_000,
        b"\xff\xfe",
        json.dumps({"algorithm": "sha256", "files": {"a\0b": "x"}}).encode(),
    ],
    ids=["nested-too-deep", "not-utf8", "nul-in-a-name"],
)
def test_a_hostile_manifest_is_a_failed_check_not_a_crash(bundle: Path, manifest: bytes) -> None:
    (bundle / "manifest.json").write_bytes(manifest)
    assert_failed_check(run("evidence", "verify", bundle), r"manifest\.json")


def test_a_deeply_nested_evidence_file_is_a_failed_check(bundle: Path) -> None:
    (bundle / "evidence.json").write_text("[" * 100_000)
    assert_failed_check(run("evidence", "verify", bundle), r"evidence\.json")


def test_verify_on_a_file_is_bad_input(bundle: Path) -> None:
    assert_bad_input(
        run("evidence", "verify", bundle / "gates.json"), r"is a file, not an evidence bundle"
    )


@pytest.mark.parametrize("dsn", ["not a dsn", "mysql://u:secret@db/x"])
def test_verify_with_a_bad_dsn_is_bad_input(bundle: Path, dsn: str) -> None:
    line = assert_bad_input(
        run("evidence", "verify", bundle, "--dsn", dsn), r"--dsn must be a postgresql:// URL"
    )
    assert "secret" not in line


@pytest.mark.services
def test_the_registry_must_have_recorded_the_bundle(
    tmp_path: Path, pg_schema: PgSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unsigned bundles (no key anywhere) are still tied to the promotion that used them."""
    from live.registry import Registry

    monkeypatch.delenv("GAUNTLET_SECRET_EVIDENCE_SIGNING_KEY")
    folder = _bundle(tmp_path / "runs", key=None)
    digest = _read(folder / "manifest.json")["bundle_hash"]
    registry = Registry(pg_schema.dsn, pg_schema.name, str(tmp_path / "mlruns"))
    spec = {"name": "sma-cross-eurusd-h1", "strategy": "sma_cross", "spec_hash": "s0"}
    asyncio.run(
        registry.promote(
            "sma-cross-eurusd-h1", "candidate", spec=spec, evidence_hash=digest, decided_by="ci"
        )
    )
    where = ("--dsn", pg_schema.dsn, "--schema", pg_schema.name)
    recorded = run("evidence", "verify", folder, *where)
    assert recorded.code == 0, recorded.stderr
    assert "registry: checked: recorded for sma-cross-eurusd-h1 → candidate by ci" in (
        recorded.stdout
    )

    other = _bundle(tmp_path / "other", key=None, oos_sharpe=2.0)  # never promoted
    assert_failed_check(
        run("evidence", "verify", other, *where),
        r"no promotion of sma-cross-eurusd-h1 to candidate",
    )


def test_a_file_named_to_break_the_report_line_is_quoted(bundle: Path) -> None:
    (bundle / "x\n\x1b[2Jy").write_text("planted")
    outcome = run("evidence", "verify", bundle)
    assert_failed_check(outcome, r"'x\\n\\x1b\[2Jy' is not in the manifest")
    assert len(outcome.stderr_lines) == 1
    assert "\x1b" not in outcome.stderr
