"""Hostile strategy plugins (--plugin, GAUNTLET_STRATEGY_MODULES, `strategies --plugin`).

A plugin is the user's code: whatever is wrong with it (it does not parse, it raises at import,
it takes a built-in's name, its target is not numbers, its compute raises) is bad input, exit 2
in one line naming the module, the line and the problem; never "internal error", never a
traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures.bars import make_bars
from tests.hostile.harness import assert_bad_input, run

HEADER = """from strategies.base import Strategy, StrategyParams
from strategies.plugins import register


class P(StrategyParams):
    window: int = 3


"""


def strategy(name: str, compute_body: str) -> str:
    """A plugin module registering `name`, whose compute is `compute_body` (one line)."""
    return (
        HEADER
        + f'''@register
class Plugin(Strategy[P]):
    name = "{name}"
    Params = P

    @property
    def warmup(self):
        return self.params.window

    def compute(self, bars):
        {compute_body}
'''
    )


COMPUTE_LINE = strategy("x", "").count("\n")  # the line of compute's body in every plugin


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("GAUNTLET_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", "200")
    # Plugins registered by one case are not there for the next one.
    from strategies import plugins

    monkeypatch.setattr(plugins, "_REGISTRY", dict(plugins._REGISTRY))


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "bars.csv"
    make_bars(200, seed=4).to_csv(path)
    return path


def plugin(tmp_path: Path, text: str, name: str = "user_plugin.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- at import ------------------------------------------------------------------------------


def test_a_syntax_error_names_the_file_and_line(csv: Path, tmp_path: Path) -> None:
    """Was exit 1: 'internal error: SyntaxError: '(' was never closed'."""
    path = plugin(tmp_path, "import os\n\nx = (\n")
    line = assert_bad_input(
        run("backtest", "-s", "sma_cross", "-d", csv, "--plugin", path), r"line 3"
    )
    assert str(path) in line
    assert "syntax error" in line
    assert "never closed" in line


def test_an_exception_at_import_names_the_module_and_line(
    csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through GAUNTLET_STRATEGY_MODULES: was exit 1, 'internal error: RuntimeError: boom'."""
    plugin(tmp_path, "import os\n\nraise RuntimeError('boom at import')\n", "boom_plugin.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("GAUNTLET_STRATEGY_MODULES", "boom_plugin")
    line = assert_bad_input(run("backtest", "-s", "sma_cross", "-d", csv), r"boom_plugin")
    assert "line 3" in line
    assert "RuntimeError: boom at import" in line


def test_taking_a_built_in_name_names_the_module_and_line(tmp_path: Path) -> None:
    """`strategies --plugin` with a plugin registering sma_cross again: was exit 1."""
    path = plugin(tmp_path, strategy("sma_cross", "return bars['close'] * 0"))
    line = assert_bad_input(run("strategies", "--plugin", path), r"'sma_cross'.*already")
    assert str(path) in line
    assert f"line {HEADER.count(chr(10)) + 1}" in line


def test_a_missing_module_is_one_line(csv: Path) -> None:
    assert_bad_input(
        run("backtest", "-s", "sma_cross", "-d", csv, "--plugin", "no_such_plugin_module"),
        r"no_such_plugin_module",
    )


# --- in compute ------------------------------------------------------------------------------


def test_a_target_of_strings_names_the_strategy_and_module(csv: Path, tmp_path: Path) -> None:
    """Was exit 1: 'internal error: ValueError: could not convert string to float'."""
    path = plugin(tmp_path, strategy("strs", "return bars['close'].map(lambda _: 'long')"))
    line = assert_bad_input(
        run("backtest", "-s", "strs", "-d", csv, "--plugin", path), r"strs.*not numeric"
    )
    assert "'long'" in line
    assert str(path) in line


def test_a_target_that_is_not_a_series_is_refused(csv: Path, tmp_path: Path) -> None:
    path = plugin(tmp_path, strategy("nothing", "return None"))
    assert_bad_input(
        run("backtest", "-s", "nothing", "-d", csv, "--plugin", path), r"nothing.*Series.*None"
    )


def test_a_key_error_in_compute_names_the_module_and_line(csv: Path, tmp_path: Path) -> None:
    """Was exit 1: "internal error: KeyError: 'adj_close'"."""
    path = plugin(tmp_path, strategy("keyerr", "return bars['adj_close'] * 0"))
    line = assert_bad_input(
        run("backtest", "-s", "keyerr", "-d", csv, "--plugin", path), r"KeyError: 'adj_close'"
    )
    assert str(path) in line
    assert f"line {COMPUTE_LINE}" in line
    assert "keyerr" in line


def test_a_key_error_in_a_sweep_worker_is_one_line_too(csv: Path, tmp_path: Path) -> None:
    """The error crosses the worker pool's pickling and is still bad input."""
    path = plugin(tmp_path, strategy("keyerr", "return bars['adj_close'] * 0"))
    line = assert_bad_input(
        run("sweep", "-s", "keyerr", "-d", csv, "--plugin", path, "-g", "window=2,3,4,5",
            "--chunk-size", "1", "--workers", "2"),
        r"KeyError: 'adj_close'",
    )  # fmt: skip
    assert str(path) in line
    assert f"line {COMPUTE_LINE}" in line


def test_a_bug_in_a_built_in_strategy_is_still_an_internal_error(
    csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the user's code is bad input: the same KeyError from Gauntlet's own code is exit 1."""
    from strategies.builtin.crossover import SmaCross

    def broken(self: object, bars: object) -> None:
        raise KeyError("adj_close")

    monkeypatch.setattr(SmaCross, "compute", broken)
    outcome = run("backtest", "-s", "sma_cross", "-d", csv)
    assert outcome.code == 1, outcome.stderr
    assert outcome.stderr.startswith("gauntlet: internal error: KeyError")
