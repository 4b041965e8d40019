"""Evidence bundles: content hashes in a manifest; any change, removal or addition detected."""

import asyncio
import json
from pathlib import Path

import pytest

from research.promotion.bundle import file_hash, verify_bundle, write_bundle
from research.promotion.errors import PromotionInputError, TamperedBundleError
from research.promotion.gates import evaluate
from research.promotion.stages import Stage
from research.promotion.verification import (
    SIGNATURE_UNCHECKED,
    SIGNATURE_VALID,
    UNSIGNED,
    check_bundle,
    recorded_promotion,
)
from tests.unit.promotion.helpers import default_thresholds, make_evidence


def _stub_tearsheet(evidence, path: Path) -> None:
    path.write_text(f"<html>{evidence.spec.name}</html>\n")


@pytest.fixture
def bundle(tmp_path) -> Path:
    ev = make_evidence(slippage=float("inf"))
    results = evaluate(ev, default_thresholds(), Stage.PAPER)
    return write_bundle(ev, results, tmp_path, tearsheet_of=_stub_tearsheet)


def test_bundle_files_and_manifest(bundle):
    assert bundle.name == "sma-cross-eurusd-h1-paper-000000000000"
    names = sorted(p.name for p in bundle.iterdir())
    assert names == ["evidence.json", "gates.json", "manifest.json", "tearsheet.html"]
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert set(manifest["files"]) == {"evidence.json", "gates.json", "tearsheet.html"}
    assert manifest["files"]["tearsheet.html"] == file_hash(bundle / "tearsheet.html")
    assert verify_bundle(bundle) == manifest["bundle_hash"]
    gates = json.loads((bundle / "gates.json").read_text())
    assert gates["passed"] is True
    assert len(gates["gates"]) == 7
    evidence = json.loads((bundle / "evidence.json").read_text())
    assert evidence["values"]["slippage"] == "Infinity"  # inf survives as JSON
    assert evidence["spec"]["strategy"] == "sma_cross"


def test_edited_evidence_is_detected_and_named(bundle):
    path = bundle / "evidence.json"
    data = json.loads(path.read_text())
    data["values"]["oos_sharpe"] = 3.0
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    with pytest.raises(TamperedBundleError, match=r"evidence\.json was modified"):
        verify_bundle(bundle)


def test_deleted_file_is_detected(bundle):
    (bundle / "gates.json").unlink()
    with pytest.raises(TamperedBundleError, match=r"gates\.json is missing"):
        verify_bundle(bundle)


def test_added_file_and_edited_manifest_are_detected(bundle):
    (bundle / "note.txt").write_text("trust me")
    with pytest.raises(TamperedBundleError, match=r"note\.txt is not in the manifest"):
        verify_bundle(bundle)
    (bundle / "note.txt").unlink()
    manifest = json.loads((bundle / "manifest.json").read_text())
    (bundle / "tearsheet.html").write_text("<html>other</html>")
    manifest["files"]["tearsheet.html"] = file_hash(bundle / "tearsheet.html")  # re-hashed...
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TamperedBundleError, match="bundle_hash differs"):  # ...but not the total
        verify_bundle(bundle)


def test_reformatting_json_is_not_tampering(bundle):
    path = bundle / "gates.json"
    path.write_text(json.dumps(json.loads(path.read_text())))  # compact, same content
    verify_bundle(bundle)


def test_not_a_bundle(tmp_path):
    with pytest.raises(TamperedBundleError, match="does not exist"):
        verify_bundle(tmp_path / "nothing")
    with pytest.raises(TamperedBundleError, match=r"manifest\.json is missing"):
        verify_bundle(tmp_path)
    assert issubclass(TamperedBundleError, PromotionInputError)


def test_rewrite_replaces_stale_files(bundle):
    (bundle / "old.txt").write_text("stale")
    ev = make_evidence()
    again = write_bundle(ev, evaluate(ev, default_thresholds(), Stage.PAPER), bundle.parent,
                         tearsheet_of=_stub_tearsheet)  # fmt: skip
    assert again == bundle
    assert not (bundle / "old.txt").exists()
    verify_bundle(bundle)


def test_a_signed_bundle_verifies_only_under_its_key(tmp_path):
    ev = make_evidence()
    results = evaluate(ev, default_thresholds(), Stage.PAPER)
    folder = write_bundle(ev, results, tmp_path, tearsheet_of=_stub_tearsheet, signing_key=b"k1")
    checked = check_bundle(folder, b"k1")
    assert (checked.spec_name, checked.stage, checked.signature) == (
        "sma-cross-eurusd-h1", "paper", SIGNATURE_VALID,
    )  # fmt: skip
    assert check_bundle(folder).signature == SIGNATURE_UNCHECKED  # no key: said, not pretended
    with pytest.raises(TamperedBundleError, match="does not match its signature"):
        check_bundle(folder, b"k2")


def test_an_unsigned_bundle_says_so_and_fails_where_a_key_is_configured(bundle):
    assert check_bundle(bundle).signature == UNSIGNED
    with pytest.raises(TamperedBundleError, match="unsigned, but an evidence signing key"):
        check_bundle(bundle, b"k1")


def test_every_problem_is_named(bundle):
    (bundle / "gates.json").unlink()
    (bundle / "notes").mkdir()
    with pytest.raises(TamperedBundleError) as caught:
        verify_bundle(bundle)
    assert "gates.json is missing" in str(caught.value)
    assert "notes/ is a folder" in str(caught.value)


def test_rewrite_removes_a_stale_link_and_refuses_a_subfolder(bundle, tmp_path):
    target = tmp_path / "outside.txt"
    target.write_text("not the bundle's")
    (bundle / "link.txt").symlink_to(target)
    ev = make_evidence()
    results = evaluate(ev, default_thresholds(), Stage.PAPER)
    write_bundle(ev, results, bundle.parent, tearsheet_of=_stub_tearsheet)
    assert not (bundle / "link.txt").exists()
    assert target.read_text() == "not the bundle's"  # the link went, never what it pointed to
    (bundle / "mine").mkdir()
    with pytest.raises(PromotionInputError, match=r"holds a folder mine/"):
        write_bundle(ev, results, bundle.parent, tearsheet_of=_stub_tearsheet)
    assert (bundle / "mine").is_dir()  # refused, not deleted


class _Ledger:
    def __init__(self, *records: dict[str, str]) -> None:
        self.records = records

    async def promotions_with_evidence(self, evidence_hash: str) -> list[dict[str, str]]:
        return [r for r in self.records if r["evidence_hash"] == evidence_hash]


def test_the_registry_must_have_recorded_the_promotion(bundle):
    checked = check_bundle(bundle)
    right = {"evidence_hash": checked.bundle_hash, "strategy": checked.spec_name,
             "to_stage": "paper"}  # fmt: skip
    assert asyncio.run(recorded_promotion(_Ledger(right), checked)) == right
    other_stage = {**right, "to_stage": "candidate"}
    with pytest.raises(TamperedBundleError, match="no promotion of sma-cross-eurusd-h1 to paper"):
        asyncio.run(recorded_promotion(_Ledger(other_stage), checked))
