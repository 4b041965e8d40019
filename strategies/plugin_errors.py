"""What is wrong with a user's strategy plugin, as one line naming the module, the line and the
problem.

A plugin is the user's code: an exception from it (at import, or from a strategy's compute) is
bad input, not a bug in Gauntlet. The files of the modules loaded as plugins are remembered
here so that an exception can be told apart from one raised by Gauntlet's own strategies.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

__all__ = ["PluginError", "compute_fault", "located", "mark_plugin_file", "origin"]

# Files of the modules imported as plugins (forked sweep workers inherit the set).
_PLUGIN_FILES: set[str] = set()


class PluginError(ValueError):
    """A strategy plugin cannot be used; the message names the module, the line and why."""


def mark_plugin_file(path: str | None, loaded: bool = True) -> None:
    if path is None:
        return
    if loaded:
        _PLUGIN_FILES.add(path)
    else:
        _PLUGIN_FILES.discard(path)


def plugin_file(cls: type) -> str | None:
    """The plugin file that defines `cls`, or None for a class of Gauntlet's own."""
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    return path if path in _PLUGIN_FILES else None


def _problem(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _line_in(tb: TracebackType | None, path: str | None) -> int | None:
    """The innermost line of `path` on the traceback, else the innermost line of all."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return None
    inside = [f for f in frames if path is not None and f.filename == path]
    return (inside or frames)[-1].lineno


def located(module: str, path: str | None, exc: BaseException) -> PluginError:
    """`exc`, raised while importing plugin `module` (file `path`), as one PluginError."""
    if isinstance(exc, SyntaxError):
        where = exc.filename or path or module
        return PluginError(
            f"strategy module {module}: syntax error in {where} at line {exc.lineno}: {exc.msg}"
        )
    line = _line_in(exc.__traceback__, path)
    where = f"{path}, line {line}" if path else f"line {line}"
    return PluginError(f"strategy module {module} ({where}): {_problem(exc)}")


def compute_fault(cls: type, name: str, exc: Exception) -> PluginError | None:
    """`exc` from a plugin strategy's compute as a PluginError; None if `cls` is ours."""
    path = plugin_file(cls)
    if path is None:
        return None
    line = _line_in(exc.__traceback__, path)
    return PluginError(f"strategy {name} ({path}, line {line}): {_problem(exc)}")


def origin(cls: type) -> str:
    """' (plugin FILE, compute at line N)' for a plugin strategy, '' for one of ours."""
    path = plugin_file(cls)
    if path is None:
        return ""
    code = getattr(getattr(cls, "compute", None), "__code__", None)
    line = f", compute at line {code.co_firstlineno}" if code is not None else ""
    return f" (plugin {path}{line})"
