"""An exclusive (or shared) OS lock on a lock file, held for the duration of a `with` block.

`fcntl.flock` locks belong to the open file, so they exclude other processes and other
threads alike, and the kernel releases them when the holder dies: a crashed import never
leaves the catalog locked. The lock file itself stays (empty); deleting it while someone
waits on it would let a third writer lock a new file of the same name.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["locked"]


@contextmanager
def locked(lock_file: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold `lock_file`'s lock (exclusive by default) until the block ends; waits for it."""
    with lock_file.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
