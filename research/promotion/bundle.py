"""Evidence bundles: a folder that proves what a promotion was decided on.

    <bundle>/evidence.json   the Evidence (spec, hashes, gate values, details)
    <bundle>/gates.json      the gate results (threshold, value, pass/off) and the verdict
    <bundle>/tearsheet.html  the traded params backtested on the spec's data
    <bundle>/manifest.json   sha256 of every other file + bundle_hash

Files are hashed over canonical bytes: JSON files as their parsed content re-serialized with
sorted keys and compact separators (UTF-8), so re-indenting a file is not tampering but
changing any value is; other files as their raw bytes. bundle_hash is the sha256 of the
canonical JSON of {file: sha256}. A file added, removed or changed is detected, and so is
an edited manifest (its bundle_hash no longer matches its file list).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from research.promotion.errors import TamperedBundleError
from research.promotion.evidence import Evidence, evidence_json
from research.promotion.gates import GateResult, all_passed

MANIFEST = "manifest.json"
EVIDENCE = "evidence.json"
GATES = "gates.json"
TEARSHEET = "tearsheet.html"
ALGORITHM = "sha256"

TearsheetWriter = Callable[[Evidence, Path], None]


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def file_hash(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".json":
        # not JSON any more: hash the bytes, which then cannot match
        with contextlib.suppress(json.JSONDecodeError, UnicodeDecodeError):
            raw = canonical_json(json.loads(raw))
    return hashlib.sha256(raw).hexdigest()


def bundle_hash(files: dict[str, str]) -> str:
    return hashlib.sha256(canonical_json(files)).hexdigest()


def default_tearsheet(evidence: Evidence, path: Path) -> None:
    """The traded parameters backtested over the spec's data (research.tearsheet)."""
    from research.engine.run import backtest
    from research.tearsheet import write_tearsheet

    spec = evidence.spec
    bars = spec.load_bars()
    result = backtest(
        spec.strategy, bars, spec.backtest_config(), params=spec.full_params,
        instrument=spec.instruments[0],
    )  # fmt: skip
    write_tearsheet(result, bars, path)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def bundle_name(evidence: Evidence) -> str:
    return f"{evidence.spec.name}-{evidence.stage}-{evidence.spec_hash[:12]}"


def write_bundle(
    evidence: Evidence,
    results: Sequence[GateResult],
    out_dir: Path,
    tearsheet_of: TearsheetWriter = default_tearsheet,
) -> Path:
    """Write the bundle into `out_dir/<name>-<stage>-<spec hash>` and return that folder."""
    folder = Path(out_dir) / bundle_name(evidence)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():  # a rewrite must not leave files the manifest won't list
        if stale.is_file():
            stale.unlink()
    _write_json(folder / EVIDENCE, evidence_json(evidence))
    gates = {
        "stage": str(evidence.stage),
        "passed": all_passed(results),
        "gates": [json.loads(r.model_dump_json()) for r in results],
    }
    _write_json(folder / GATES, gates)
    tearsheet_of(evidence, folder / TEARSHEET)
    files = {
        p.name: file_hash(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST
    }
    manifest = {"algorithm": ALGORITHM, "files": files, "bundle_hash": bundle_hash(files)}
    _write_json(folder / MANIFEST, manifest)
    return folder


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise TamperedBundleError(f"bundle {folder}: {MANIFEST} is missing")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TamperedBundleError(f"bundle {folder}: {MANIFEST} is unreadable ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise TamperedBundleError(f"bundle {folder}: {MANIFEST} has no file list")
    if manifest.get("algorithm") != ALGORITHM:
        raise TamperedBundleError(f"bundle {folder}: unknown hash {manifest.get('algorithm')!r}")
    return manifest


def verify_bundle(path: Path) -> str:
    """The bundle hash if every file matches the manifest; else TamperedBundleError naming
    the first file that was changed, removed or added."""
    folder = Path(path)
    if not folder.is_dir():
        raise TamperedBundleError(f"bundle {folder} does not exist or is not a folder")
    manifest = _manifest(folder)
    files: dict[str, str] = manifest["files"]
    for name, expected in sorted(files.items()):
        file = folder / name
        if not file.is_file():
            raise TamperedBundleError(f"bundle {folder}: {name} is missing")
        if file_hash(file) != expected:
            raise TamperedBundleError(f"bundle {folder}: {name} was modified (sha256 differs)")
    present = {p.name for p in folder.iterdir() if p.is_file() and p.name != MANIFEST}
    extra = sorted(present - set(files))
    if extra:
        raise TamperedBundleError(f"bundle {folder}: {extra[0]} is not in the manifest")
    digest = bundle_hash(files)
    if manifest.get("bundle_hash") != digest:
        raise TamperedBundleError(f"bundle {folder}: {MANIFEST} was modified (bundle_hash differs)")
    return digest
