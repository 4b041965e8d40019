"""The `gauntlet` executable ends with os._exit (skipping interpreter teardown): exit codes,
atexit handlers and everything written to stdout must survive that."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))

PLUGIN = """
import atexit
import os
import sys
from pathlib import Path

# Buffered output and an atexit handler: both must reach their destination.
sys.stdout.write("buffered line from the plugin\\n")
atexit.register(lambda: Path(os.environ["MARK"]).write_text("atexit ran"))
"""


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    plugin = tmp_path / "exit_probe.py"
    plugin.write_text(PLUGIN)
    return subprocess.run(
        [GAUNTLET, *args, "--plugin", str(plugin)], capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "MARK": str(tmp_path / "mark")},
    )  # fmt: skip


def test_success_keeps_output_and_runs_atexit_handlers(tmp_path: Path) -> None:
    proc = _run(tmp_path, "strategies")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("buffered line from the plugin")
    assert "sma_cross" in proc.stdout  # the command's own output, flushed before the exit
    assert (tmp_path / "mark").read_text() == "atexit ran"


def test_bad_input_keeps_exit_code_2_and_runs_atexit_handlers(tmp_path: Path) -> None:
    proc = _run(tmp_path, "backtest", "--strategy", "nope", "--data", str(tmp_path / "x.csv"))
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("gauntlet: error: unknown strategy 'nope'")
    assert (tmp_path / "mark").read_text() == "atexit ran"
