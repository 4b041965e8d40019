"""Project files that the code reads by default: the promotion policy, the strategy specs and the
sample data those specs name.

A checkout has them at its root (policy/, specs/, data/sample/). A built wheel has no checkout
root, so it carries copies under research/_bundled/ (pyproject's hatch `force-include`). The copy
in the working directory wins, so a project edits its own policy and specs; then the wheel's
copy; then, for an editable install, the checkout the code runs from.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

BUNDLE = "_bundled"  # the folder in the wheel: research/_bundled/<policy|specs|data>/...


def project_file(relative: str) -> Path:
    """`relative` (e.g. "policy/promotion.yaml") from the first of: the working directory, the
    wheel's bundle, the checkout. When none has it, the working-directory path, which is where a
    project would create it (so an error message names that)."""
    local = Path.cwd() / relative
    candidates = (
        local,
        # Installed from a wheel, the package is a folder on disk: Traversable is a real path.
        Path(str(files("research").joinpath(BUNDLE, relative))),
        Path(__file__).resolve().parents[1] / relative,
    )
    return next((path for path in candidates if path.exists()), local)
