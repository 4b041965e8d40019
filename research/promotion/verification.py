"""Verifying an evidence bundle: is it the bundle a promotion was decided on?

A bundle agreeing with itself proves little (anyone can edit gates.json and re-hash the
manifest), so the checks are, in order:

1. layout: the folder holds exactly evidence.json, gates.json, tearsheet.html and manifest.json,
   regular files, no symbolic links, no subfolders, nothing else; the manifest lists exactly the
   three content files, by plain names (no absolute paths, no `..`);
2. hashes: every file's sha256 matches the manifest and the manifest matches its seal
   (bundle_hash over the file list); a mismatch says which side changed when it can tell;
3. content: gates.json's verdict is the one its gates give, for the stage evidence.json names;
4. signature: with a signing key, the manifest's HMAC-SHA256 must verify under it;
5. (the caller, with a registry) the bundle hash must be one a promotion recorded:
   `recorded_promotion`.

Every problem found is reported, not just the first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from research.promotion.errors import TamperedBundleError
from research.promotion.manifest import (
    ALGORITHM,
    CONTENT,
    EVIDENCE,
    GATES,
    MANIFEST,
    bundle_hash,
    file_hash,
    signature_matches,
)
from research.promotion.ports import EvidenceLedger

UNSIGNED = "unsigned"
SIGNATURE_VALID = "valid (HMAC-SHA256)"
SIGNATURE_UNCHECKED = "present, not checked (no signing key configured)"


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle whose files, manifest, verdict and (when a key was given) signature check out."""

    folder: Path
    bundle_hash: str
    spec_name: str
    stage: str
    signature: str  # UNSIGNED | SIGNATURE_VALID | SIGNATURE_UNCHECKED


def verify_bundle(path: Path, signing_key: bytes | None = None) -> str:
    """The bundle hash if the bundle checks out (see `check_bundle`)."""
    return check_bundle(path, signing_key).bundle_hash


def check_bundle(path: Path, signing_key: bytes | None = None) -> VerifiedBundle:
    """Checks 1-4 of the module doc; TamperedBundleError naming every problem found."""
    folder = Path(path)
    if not folder.is_dir():
        raise TamperedBundleError(f"bundle {folder} does not exist or is not a folder")
    manifest = _manifest(folder)
    files: dict[str, Any] = manifest["files"]
    problems = [*_layout_problems(folder, files), *_hash_problems(folder, manifest)]
    evidence, gates = _read_json(folder, EVIDENCE, problems), _read_json(folder, GATES, problems)
    problems += _verdict_problems(evidence, gates)
    signed = _signature(manifest, signing_key, problems)
    if problems or evidence is None or gates is None:
        raise TamperedBundleError(f"bundle {folder}: {'; '.join(problems)}")
    return VerifiedBundle(
        folder=folder, bundle_hash=manifest["bundle_hash"], spec_name=str(evidence["spec"]["name"]),
        stage=str(gates["stage"]), signature=signed,
    )  # fmt: skip


async def recorded_promotion(ledger: EvidenceLedger, bundle: VerifiedBundle) -> dict[str, Any]:
    """The registry's record of the promotion this bundle was the evidence of; raises
    TamperedBundleError when no promotion of that strategy to that stage recorded its hash."""
    for record in await ledger.promotions_with_evidence(bundle.bundle_hash):
        if record.get("strategy") == bundle.spec_name and record.get("to_stage") == bundle.stage:
            return record
    raise TamperedBundleError(
        f"bundle {bundle.folder}: no promotion of {bundle.spec_name} to {bundle.stage} in the "
        f"registry recorded bundle hash {bundle.bundle_hash[:16]}… (a --check run, another "
        "registry, or a forged bundle)"
    )


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if path.is_symlink():
        raise TamperedBundleError(f"bundle {folder}: {MANIFEST} is a symbolic link")
    if not path.is_file():
        raise TamperedBundleError(f"bundle {folder}: {MANIFEST} is missing")
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        reason = exc.strerror if isinstance(exc, OSError) else type(exc).__name__
        raise TamperedBundleError(f"bundle {folder}: {MANIFEST} is unreadable ({reason})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise TamperedBundleError(f"bundle {folder}: {MANIFEST} has no file list")
    if manifest.get("algorithm") != ALGORITHM:
        raise TamperedBundleError(f"bundle {folder}: unknown hash {manifest.get('algorithm')!r}")
    return manifest


def _plain_name(name: str) -> bool:
    """A file name of this folder, not a path anywhere else."""
    if not name or name in (".", "..") or "\0" in name:
        return False
    return len(PurePosixPath(name).parts) == 1 and len(PureWindowsPath(name).parts) == 1


def _shown(name: str) -> str:
    """A name as printed: quoted with escapes when it holds a newline, an escape sequence or
    other control characters (the report is one line on a terminal)."""
    return name if name.isprintable() else repr(name)


def _layout_problems(folder: Path, files: dict[str, Any]) -> list[str]:
    problems = []
    for name in sorted(files):
        if not _plain_name(name):
            problems.append(f"{MANIFEST} names {name!r}, a path outside the bundle")
        elif name not in CONTENT:
            problems.append(
                f"{MANIFEST} lists {_shown(name)}, which is not part of an evidence bundle"
            )
    problems += [f"{name} is not listed in {MANIFEST}" for name in CONTENT if name not in files]
    for entry in sorted(folder.iterdir()):
        shown = _shown(entry.name)
        if entry.is_symlink():
            problems.append(f"{shown} is a symbolic link (a bundle holds only its own files)")
        elif entry.is_dir():
            problems.append(f"{shown}/ is a folder (a bundle holds no folders)")
        elif not entry.is_file():
            problems.append(f"{shown} is not a regular file")
        elif entry.name != MANIFEST and entry.name not in files:
            problems.append(f"{shown} is not in the manifest")
    return problems


def _hash_problems(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Seal first: when the file list no longer matches bundle_hash the manifest was edited, and
    a file that disagrees with it may be the untouched one."""
    files: dict[str, Any] = manifest["files"]
    sealed = manifest.get("bundle_hash") == bundle_hash(files)
    problems = [] if sealed else [
        f"{MANIFEST} was modified: it no longer matches its seal (bundle_hash differs from the "
        "hash of its file list)"
    ]  # fmt: skip
    for name in sorted(n for n in files if n in CONTENT):
        file = folder / name
        if not file.exists() and not file.is_symlink():
            problems.append(f"{name} is missing")
        if file.is_symlink() or not file.is_file():
            continue  # a link, a folder or nothing: reported by the layout check
        problems += _file_problem(file, files[name], sealed)
    return problems


def _file_problem(file: Path, expected: Any, sealed: bool) -> list[str]:
    try:
        actual = file_hash(file)
    except OSError as exc:
        return [f"{file.name} is unreadable ({exc.strerror})"]
    if actual == expected:
        return []
    where = f"sha256 {str(expected)[:16]}… in the manifest, {actual[:16]}… on disk"
    return [f"{file.name} was modified ({where})" if sealed else f"{file.name}: {where}"]


def _read_json(folder: Path, name: str, problems: list[str]) -> dict[str, Any] | None:
    file = folder / name
    if file.is_symlink() or not file.is_file():
        return None  # already reported by the layout or hash checks
    try:
        data = json.loads(file.read_bytes())
    except (OSError, ValueError, RecursionError):
        problems.append(f"{name} is not readable JSON")
        return None
    if not isinstance(data, dict):
        problems.append(f"{name} is not a JSON object")
        return None
    return data


def _verdict_problems(evidence: dict[str, Any] | None, gates: dict[str, Any] | None) -> list[str]:
    """gates.json's `passed` must be what its gates say (all_passed: none failed, one passed)."""
    if evidence is None or gates is None:
        return []  # unreadable: already reported
    problems = []
    spec = evidence.get("spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        problems.append(f"{EVIDENCE} names no spec")
    if not isinstance(gates.get("stage"), str):
        problems.append(f"{GATES} names no stage")
    elif evidence.get("stage") != gates.get("stage"):
        problems.append(
            f"{GATES} is for stage {gates.get('stage')!r}, {EVIDENCE} for {evidence.get('stage')!r}"
        )
    results = gates.get("gates")
    if not isinstance(results, list) or not all(isinstance(g, dict) for g in results):
        return [*problems, f"{GATES} has no gate list"]
    verdicts = [g.get("passed") for g in results]
    earned = all(v is not False for v in verdicts) and any(v is True for v in verdicts)
    if gates.get("passed") is not earned:
        problems.append(
            f"{GATES} says passed={gates.get('passed')!r} but its gates give passed={earned}"
        )
    return problems


def _signature(manifest: dict[str, Any], key: bytes | None, problems: list[str]) -> str:
    present = "signature" in manifest
    if key is None:
        return SIGNATURE_UNCHECKED if present else UNSIGNED
    if not present:
        problems.append(f"{MANIFEST} is unsigned, but an evidence signing key is configured")
    elif not signature_matches(manifest, key):
        problems.append(
            f"{MANIFEST} does not match its signature (edited after signing, or signed with "
            "another key)"
        )
    return SIGNATURE_VALID
