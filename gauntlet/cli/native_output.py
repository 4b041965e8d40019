"""Redirect what native (C/C++) code writes to the process's own stdout/stderr into a file.

QuickFIX's engine prints its TLS certificate checks on stdout and "SSL read error" on every
disconnect on stderr, below Python's `sys.stdout`; the CLI's contract (one line per error, the
command's own output only) needs them kept off the terminal while a FIX engine runs.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def native_output_to(path: Path, fds: tuple[int, ...] = (1, 2)) -> Iterator[None]:
    """Send file descriptors `fds` (1 stdout, 2 stderr) to `path` (appended) inside the block;
    C's stdio buffers are flushed before the terminal gets them back."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(fd) for fd in fds]
    with path.open("ab") as log:
        for fd in fds:
            os.dup2(log.fileno(), fd)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        ctypes.CDLL(None).fflush(None)
        for fd, copy in zip(fds, saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
