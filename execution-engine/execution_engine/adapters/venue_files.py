"""Reading a venue config file, for every adapter: the TOML, and the first thing pydantic
found wrong with it, as one line naming the file and the field (`VenueConfigError`)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError


class VenueConfigError(ValueError):
    """A venue config that cannot be used; the message is one line naming file and field."""


def read_venue_toml(path: Path) -> dict[str, Any]:
    """The parsed file, or VenueConfigError saying why it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise VenueConfigError(f"venue config {path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise VenueConfigError(f"venue config {path}: not UTF-8 text (not a TOML file)") from None
    except tomllib.TOMLDecodeError as exc:
        raise VenueConfigError(f"venue config {path}: not valid TOML: {exc}") from None


def first_problem(exc: ValidationError) -> str:
    """The first error pydantic reports, as a user reads it: the field and what is wrong."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "missing":
        return f"missing field {field}"
    if error["type"] == "extra_forbidden":
        return f"unknown field {field}"
    return f"field {field}: {error['msg']}"
