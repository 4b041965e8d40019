"""Import vectorbt without its optional quantstats adapter (half a second of every CLI run).

vectorbt 1.0 imports quantstats (and with it scipy.stats and matplotlib) at import time only
to offer the `.qs` accessor, which Gauntlet never uses. Marking quantstats as missing while
vectorbt imports skips that adapter (vectorbt handles the ImportError itself); the marker is
removed right after, so `import quantstats` elsewhere in the process still works.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


def import_vectorbt() -> ModuleType:
    loaded = sys.modules.get("vectorbt")
    if loaded is not None:
        return loaded
    block = "quantstats" not in sys.modules
    if block:
        sys.modules["quantstats"] = None  # type: ignore[assignment]  # the documented import blocker
    try:
        return importlib.import_module("vectorbt")
    finally:
        if block and sys.modules.get("quantstats", ...) is None:
            del sys.modules["quantstats"]
