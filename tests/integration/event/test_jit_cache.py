"""numba's disk cache and kernels that inline njit functions from another module.

numba keys a cached kernel on its own file only: change the module it inlines from and the
old compiled code keeps running. execution_engine.jit_cache expires such kernels; the sweep
kernel (which inlines the target rules from execution_engine/targets.py) uses it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RULES = """
from numba import njit

@njit(cache=True, inline="always")
def rule(x):
    return x * {factor}
"""

KERNEL = """
import os
from numba import njit
from rules import rule

@njit(cache=True)
def kernel(x):
    return rule(x) + 0.5

if os.environ.get("EXPIRE") == "1":
    from execution_engine.jit_cache import expire_stale_kernels

    expire_stale_kernels(globals(), depends_on=[rule])
"""


def _kernel_result(folder: Path, factor: int, expire: bool) -> float:
    (folder / "rules.py").write_text(RULES.format(factor=factor))
    proc = subprocess.run(
        [sys.executable, "-c", "from kern import kernel; print(kernel(2.0))"],
        capture_output=True, text=True, check=True, cwd=folder, timeout=120,
        env={"PYTHONPATH": str(folder), "NUMBA_CACHE_DIR": str(folder / "cache"),
             "EXPIRE": "1" if expire else "0", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    return float(proc.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("expire", [False, True])
def test_a_changed_inlined_module_recompiles_only_with_the_expiry(
    tmp_path: Path, expire: bool
) -> None:
    (tmp_path / "kern.py").write_text(KERNEL)
    assert _kernel_result(tmp_path, factor=10, expire=expire) == 20.5

    result = _kernel_result(tmp_path, factor=100, expire=expire)  # a user pulls a new rule

    # Without the expiry numba serves the kernel compiled against the old rule: the hazard.
    assert result == (200.5 if expire else 20.5)


def test_the_sweep_kernels_are_stamped_with_the_target_rules_source() -> None:
    from execution_engine import targets
    from execution_engine.jit_cache import STAMP_SUFFIX, sources_digest

    from research.sweep import kernel

    assert targets.process_target in kernel.DEPENDS_ON  # and research.engine.kernel's helpers
    digest = sources_digest(kernel.DEPENDS_ON)
    cached = [kernel.accumulate_metrics, kernel.sweep_targets, kernel.sweep_crossover]
    for dispatcher in cached:
        folder = Path(dispatcher._cache.cache_path)
        stamp = folder / f"{kernel.__name__}.{dispatcher.py_func.__qualname__}{STAMP_SUFFIX}"
        assert stamp.read_text().strip() == digest
