"""The one error for a local stack whose state on disk cannot be used as it is."""

from __future__ import annotations


class StackStateError(RuntimeError):
    """data_dir (or a server's folder in it) is a file, or a state file is not one we wrote.

    Bad input, not a bug: the message names the path and what to do with it; nothing is
    changed on disk, so what was there can still be looked at.
    """
