"""Expiring numba's disk cache when a module that cached kernels compile in changes.

numba keys a cached kernel on the source file that defines it (its mtime and size) and
nothing else. A kernel that calls or inlines an njit function from another module (the sweep
kernel inlines `execution_engine.targets.process_target`) therefore keeps running the old
compiled code after that other module changed, for example after a user pulls a new version:
stale target rules, silently.

`expire_stale_kernels` closes that gap. Beside each kernel's cache index it keeps a stamp,
a hash of the sources of the modules the kernel depends on; at import, a kernel whose stamp
differs has its cache index flushed (numba recompiles it on the next call and caches that)
and the stamp rewritten. The check costs one small file read per kernel.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from numba.core.caching import Cache

STAMP_SUFFIX = ".deps"


def sources_digest(depends_on: Iterable[Any]) -> str:
    """A hash of the source files defining the njit functions `depends_on`."""
    files = sorted({inspect.getfile(_python_function(f)) for f in depends_on})
    digest = hashlib.sha256()
    for file in files:
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()


def expire_stale_kernels(namespace: Mapping[str, Any], depends_on: Iterable[Any]) -> list[str]:
    """Flush the disk cache of every cached kernel defined in `namespace` (a module's
    `globals()`) that was compiled against other sources of `depends_on`; their names."""
    digest = sources_digest(depends_on)
    module = namespace["__name__"]
    expired = []
    for name, kernel in namespace.items():
        cache = getattr(kernel, "_cache", None)  # a NullCache without cache=True
        if not isinstance(cache, Cache) or _python_function(kernel).__module__ != module:
            continue  # not cached, or imported from elsewhere (its own module checks it)
        stamp = Path(cache.cache_path) / f"{module}.{kernel.py_func.__qualname__}{STAMP_SUFFIX}"
        if _read(stamp) == digest:
            continue
        try:
            cache.flush()  # type: ignore[no-untyped-call]  # numba is unannotated; empties the index
            _write(stamp, digest)
        except OSError:
            continue  # an unwritable cache: numba cannot have saved stale code there either
        expired.append(name)
    return expired


def _python_function(kernel: Any) -> Any:
    return getattr(kernel, "py_func", kernel)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # workers may import at once
    tmp.write_text(text + "\n")
    os.replace(tmp, path)
