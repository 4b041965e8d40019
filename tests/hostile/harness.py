"""One harness for hostile-input tests: run a `gauntlet` command and check the exit-code contract.

The contract (docs/exit-codes.md): exit 0 success; exit 2 bad input with exactly one stderr line
`gauntlet: error: …`; exit 1 a failed check or an internal error; never a traceback.

`run` calls the CLI in this process (fast: no interpreter start, no re-import of numba and
vectorbt per case); `run_process` starts the real executable, for signals and for anything that
must see a fresh process (environment, working directory, os._exit).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def run(*args: str | Path, cwd: Path | None = None) -> Outcome:
    """`gauntlet ARGS` in this process; the exit code is what `main()` exits with."""
    from gauntlet.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    argv = ["gauntlet", *map(str, args)]
    previous = Path.cwd()
    code = 0
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        patch.setattr(sys, "argv", argv)
        if cwd is not None:
            os.chdir(cwd)
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            os.chdir(previous)
    return Outcome(code, out.getvalue(), err.getvalue())


def run_process(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Outcome:
    proc = subprocess.run(
        [GAUNTLET, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def assert_bad_input(outcome: Outcome, pattern: str) -> str:
    """Exit 2, exactly one stderr line `gauntlet: error: …` matching `pattern` (a regex)."""
    assert outcome.code == 2, f"exit {outcome.code}, expected 2; stderr: {outcome.stderr[-2000:]}"
    assert "Traceback" not in outcome.stderr, outcome.stderr
    lines = outcome.stderr_lines
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {lines[:8]}"
    [line] = lines
    assert line.startswith("gauntlet: error: "), line
    assert re.search(pattern, line), f"{pattern!r} not in {line!r}"
    return line


def assert_failed_check(outcome: Outcome, pattern: str) -> None:
    """Exit 1 for a check that ran and failed; what failed is named on stdout or stderr."""
    assert outcome.code == 1, f"exit {outcome.code}, expected 1; stderr: {outcome.stderr[-2000:]}"
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert re.search(pattern, outcome.stdout + outcome.stderr), (outcome.stdout, outcome.stderr)
