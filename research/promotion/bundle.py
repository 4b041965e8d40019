"""Evidence bundles: a folder that proves what a promotion was decided on.

    <bundle>/evidence.json   the Evidence (spec, hashes, gate values, details)
    <bundle>/gates.json      the gate results (threshold, value, pass/off) and the verdict
    <bundle>/tearsheet.html  the traded params backtested on the spec's data
    <bundle>/manifest.json   sha256 of every other file + bundle_hash (+ HMAC-SHA256 signature)

How files are hashed and the manifest sealed and signed: research.promotion.manifest; what
verifying a bundle checks: research.promotion.verification (verify_bundle is re-exported here).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from research.promotion.errors import PromotionInputError
from research.promotion.evidence import Evidence, evidence_json
from research.promotion.gates import GateResult, all_passed
from research.promotion.manifest import (
    EVIDENCE,
    GATES,
    MANIFEST,
    TEARSHEET,
    file_hash,
    sealed_manifest,
)
from research.promotion.verification import verify_bundle

__all__ = ["bundle_name", "file_hash", "verify_bundle", "write_bundle"]

TearsheetWriter = Callable[[Evidence, Path], None]


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
    *,
    signing_key: bytes | None = None,
) -> Path:
    """Write the bundle into `out_dir/<name>-<stage>-<spec hash>` and return that folder;
    the manifest is signed (HMAC-SHA256) when a key is given."""
    folder = Path(out_dir) / bundle_name(evidence)
    folder.mkdir(parents=True, exist_ok=True)
    _clear(folder)
    _write_json(folder / EVIDENCE, evidence_json(evidence))
    gates = {
        "stage": str(evidence.stage),
        "passed": all_passed(results),
        "gates": [json.loads(r.model_dump_json()) for r in results],
    }
    _write_json(folder / GATES, gates)
    tearsheet_of(evidence, folder / TEARSHEET)
    files = {name: file_hash(folder / name) for name in (EVIDENCE, GATES, TEARSHEET)}
    _write_json(folder / MANIFEST, sealed_manifest(files, signing_key))
    return folder


def _clear(folder: Path) -> None:
    """A rewrite must not leave entries the manifest won't list. Files and links (never
    followed) are the bundle's own and go; a subfolder someone put there is refused, not
    deleted."""
    for stale in sorted(folder.iterdir()):
        if stale.is_dir() and not stale.is_symlink():
            raise PromotionInputError(
                f"cannot write the evidence bundle {folder}: it holds a folder {stale.name}/ "
                "(move it away)"
            )
        stale.unlink()
