"""The README's own strategy example works as the README says: written to a file, loaded with
--plugin, backtested and found causal by the installed command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GAUNTLET = str(Path(sys.executable).with_name("gauntlet"))
SAMPLE = ROOT / "data" / "sample" / "EURUSD_H1_synthetic.csv"
INTRO = "Your own, in `my_strategies.py`:\n\n```python\n"


def _example() -> str:
    readme = (ROOT / "README.md").read_text()
    assert INTRO in readme, "the README lost its strategy example"
    return readme.split(INTRO, 1)[1].split("```", 1)[0]


@pytest.mark.slow
def test_readme_strategy_backtests_and_is_causal(tmp_path: Path) -> None:
    plugin = tmp_path / "my_strategies.py"
    plugin.write_text(_example())
    common = ["-s", "momentum", "--plugin", str(plugin), "-d", str(SAMPLE)]
    backtest = subprocess.run([GAUNTLET, "backtest", *common, "--json"], capture_output=True,
                              text=True, timeout=120)  # fmt: skip
    assert backtest.returncode == 0, backtest.stderr
    assert json.loads(backtest.stdout)["trades"] > 100
    lookahead = subprocess.run([GAUNTLET, "check", "lookahead", *common], capture_output=True,
                               text=True, timeout=120)  # fmt: skip
    assert lookahead.returncode == 0, lookahead.stdout + lookahead.stderr
    assert "no look-ahead found" in lookahead.stdout
