"""What an evidence bundle holds and how its manifest seals it.

A bundle is a flat folder of exactly four regular files: evidence.json, gates.json,
tearsheet.html and manifest.json. The manifest lists the sha256 of the other three and a
bundle_hash over that list (the seal: the registry records it at promotion); with a signing
key it also carries an HMAC-SHA256 of itself (every field but the signature), so a forger who
edits a file and re-hashes the manifest still cannot produce a manifest that verifies.

Files are hashed over canonical bytes: JSON files as their parsed content re-serialized with
sorted keys and compact separators (UTF-8), so re-indenting a file is not tampering but
changing any value is; other files as their raw bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
EVIDENCE = "evidence.json"
GATES = "gates.json"
TEARSHEET = "tearsheet.html"
CONTENT = (EVIDENCE, GATES, TEARSHEET)  # every bundle holds these, listed in its manifest
ALGORITHM = "sha256"
SIGNATURE_ALGORITHM = "hmac-sha256"


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def file_hash(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".json":
        # not JSON any more (or nested past the parser's depth): hash the bytes, which then
        # cannot match
        with contextlib.suppress(json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raw = canonical_json(json.loads(raw))
    return hashlib.sha256(raw).hexdigest()


def bundle_hash(files: dict[str, str]) -> str:
    return hashlib.sha256(canonical_json(files)).hexdigest()


def signature(manifest: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA256 of the manifest's canonical JSON without its signature field."""
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    return hmac.new(key, canonical_json(unsigned), hashlib.sha256).hexdigest()


def sealed_manifest(files: dict[str, str], signing_key: bytes | None) -> dict[str, Any]:
    """The manifest of `files` ({name: sha256}); signed when a key is given."""
    manifest: dict[str, Any] = {
        "algorithm": ALGORITHM,
        "files": files,
        "bundle_hash": bundle_hash(files),
    }
    if signing_key is not None:
        manifest["signature"] = {
            "algorithm": SIGNATURE_ALGORITHM,
            "value": signature(manifest, signing_key),
        }
    return manifest


def signature_matches(manifest: dict[str, Any], key: bytes) -> bool:
    """Whether the manifest carries a valid HMAC-SHA256 under `key` (constant-time compare)."""
    signed = manifest.get("signature")
    if not isinstance(signed, dict) or signed.get("algorithm") != SIGNATURE_ALGORITHM:
        return False
    value = signed.get("value")
    return isinstance(value, str) and hmac.compare_digest(value, signature(manifest, key))
