"""Hostile input for `gauntlet sweep` and `gauntlet walkforward`: resource guards, signals,
settings that were silently wrong and bad input that was an internal error.

The contract is tests/hostile/harness.py's: bad input is exit 2 with one stderr line, never a
traceback; an interrupted sweep keeps what finished and leaves no worker behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from research.errors import ResearchInputError
from research.sweep import space
from research.sweep.space import Range
from tests.fixtures.bars import make_bars
from tests.fixtures.held_sweep import start_held_sweep
from tests.hostile.harness import GAUNTLET, assert_bad_input, run


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("GAUNTLET_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "bars.csv"
    make_bars(300, seed=4).to_csv(path)
    return path


def sweep(csv: Path, *args: str | Path) -> tuple[int, str, str]:
    outcome = run("sweep", "-s", "sma_cross", "-d", csv, "--workers", "1", *args)
    return outcome.code, outcome.stdout, outcome.stderr


# --- resource guards ---------------------------------------------------------------------------


def test_a_grid_of_a_billion_combinations_is_refused_without_building_it(csv: Path) -> None:
    """10⁹ combinations were built in memory (MemoryError after 60 s, or the OOM killer)."""
    started = time.monotonic()
    line = assert_bad_input(
        run("sweep", "-s", "sma_cross", "-d", csv, "-g", "fast=1:1000000000", "-g", "slow=10:20"),
        r"11,000,000,000 combinations.*--max-combos",
    )
    assert "100,000" in line
    assert time.monotonic() - started < 10


def test_the_combination_count_is_the_product_of_the_axis_lengths() -> None:
    axes = {"fast": Range(1, 10**9, integer=True), "slow": [10, 20], "x": Range(0.0, 1.0, 0.25)}
    assert space.count_combinations(axes) == 10**9 * 2 * 5


def test_the_library_refuses_it_too() -> None:
    with pytest.raises(ResearchInputError, match="max_combos"):
        space.grid("sma_cross", {"fast": Range(1, 10**9, integer=True)}, max_combos=100_000)


def test_random_draws_past_the_limit_are_refused(csv: Path) -> None:
    assert_bad_input(
        run("sweep", "-s", "sma_cross", "-d", csv, "-g", "fast=2:40", "--method", "random",
            "--n-iter", "1000000000"),
        r"1,000,000,000 .*--max-combos",
    )  # fmt: skip


def test_max_combos_lowers_and_raises_the_limit(csv: Path) -> None:
    assert_bad_input(
        run("sweep", "-s", "sma_cross", "-d", csv, "-g", "fast=2:13", "--max-combos", "10"),
        r"12 combinations.*limit of 10.*--max-combos",
    )
    code, stdout, stderr = sweep(csv, "-g", "fast=2:13", "--max-combos", "12", "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["combinations"] == 12


def test_a_large_grid_is_warned_about(csv: Path) -> None:
    """Over 10,000 combinations: a warning line on stderr, then the sweep runs (fast=100..200
    against slow=2..102 leaves three valid sets, so this test is quick)."""
    code, stdout, stderr = sweep(csv, "-g", "fast=100:200", "-g", "slow=2:102", "--json")
    assert code == 0, stderr
    assert re.search(r"gauntlet: warning: 10,201 combinations", stderr), stderr
    assert json.loads(stdout)["combinations"] == 3


# --- settings that were silently wrong ---------------------------------------------------------


def test_a_repeated_grid_name_is_refused(csv: Path) -> None:
    """`--grid fast=5,10 --grid fast=3` swept fast=3 only."""
    assert_bad_input(
        run("sweep", "-s", "sma_cross", "-d", csv, "-g", "fast=5,10", "-g", "fast=3"),
        r"--grid fast.*twice|more than once",
    )


def test_a_param_that_is_also_swept_is_refused(csv: Path) -> None:
    """`--grid fast=5,10 -p fast=20` silently ignored -p."""
    assert_bad_input(
        run("sweep", "-s", "sma_cross", "-d", csv, "-g", "fast=5,10", "-p", "fast=20"),
        r"fast.*both",
    )


def test_a_repeated_param_is_refused(csv: Path) -> None:
    assert_bad_input(
        run("sweep", "-s", "sma_cross", "-d", csv, "-g", "fast=5,10", "-p", "slow=40",
            "-p", "slow=60"),
        r"slow",
    )  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ("--workers", "-1"),
        ("--workers", "0"),
        ("--top", "-5"),
        ("--top", "0"),
        ("--max-combos", "0"),
    ],
)
def test_counts_below_one_are_refused(csv: Path, args: tuple[str, str]) -> None:
    """--workers -1 ran on the default worker count, --top -5 printed an empty table."""
    assert_bad_input(
        run("sweep", "-s", "sma_cross", "-d", csv, "-g", "fast=5,10", *args), re.escape(args[0])
    )


@pytest.mark.parametrize("option", ["--workers", "--chunk-size", "--folds", "--ratio"])
def test_walkforward_counts_below_one_are_refused(csv: Path, option: str) -> None:
    assert_bad_input(
        run("walkforward", "-s", "sma_cross", "-d", csv, "-g", "fast=5,10", option, "-3"),
        re.escape(option),
    )


def test_a_warm_up_longer_than_the_data_for_every_combination_is_refused(tmp_path: Path) -> None:
    ten = tmp_path / "ten.csv"
    make_bars(10, seed=4).to_csv(ten)
    assert_bad_input(
        run("sweep", "-s", "sma_cross", "-d", ten, "-g", "slow=200,300", "--workers", "1"),
        r"warm-up.*10 bars",
    )


def test_combinations_whose_warm_up_is_longer_than_the_data_are_skipped(tmp_path: Path) -> None:
    sixty = tmp_path / "sixty.csv"
    make_bars(60, seed=4).to_csv(sixty)
    outcome = run(
        "sweep", "-s", "sma_cross", "-d", sixty, "-g", "slow=20,200", "--workers", "1", "--json"
    )
    assert outcome.code == 0, outcome.stderr
    out = json.loads(outcome.stdout)
    assert out["combinations"] == 1
    assert out["rejected"] == 1
    assert "warm-up" in outcome.stderr


# --- bad input that was an internal error --------------------------------------------------------


@pytest.mark.parametrize("spec", ["fast=nan:10", "fast=5:inf", "fast=2:10:nan", "fast=-inf:3"])
def test_a_range_that_is_not_finite_is_refused(csv: Path, spec: str) -> None:
    """fast=nan:10 was 'internal error: cannot convert float NaN to integer'."""
    assert_bad_input(run("sweep", "-s", "sma_cross", "-d", csv, "-g", spec), r"finite")


@pytest.mark.parametrize("address", ["not a url", "tcp://host:notaport", "http://x:8786"])
def test_a_scheduler_that_is_not_an_address_is_refused(csv: Path, address: str) -> None:
    """'not a url' was 'internal error: ValueError: missing port number'."""
    assert_bad_input(
        run("sweep", "-s", "sma_cross", "-d", csv, "-g", "fast=5,10", "--scheduler", address),
        r"--scheduler",
    )


def test_out_into_a_missing_folder_creates_it(csv: Path, tmp_path: Path) -> None:
    """Was an internal error, and only once the whole sweep had been computed."""
    out = tmp_path / "missing" / "table.csv"
    code, _, stderr = sweep(csv, "-g", "fast=5,10", "--out", out)
    assert code == 0, stderr
    assert out.is_file()


def test_an_output_under_a_file_is_refused_before_computing(csv: Path) -> None:
    """A grid too big to finish in the test's time: refused before any of it is computed."""
    started = time.monotonic()
    assert_bad_input(
        run("sweep", "-s", "sma_cross", "-d", csv, "-g", "fast=2:300", "-g", "slow=3:301",
            "--max-combos", "1000000", "--heatmap", csv / "h.html"),
        r"--heatmap.*not a folder",
    )  # fmt: skip
    assert time.monotonic() - started < 10


def test_walkforward_equity_out_into_a_missing_folder_creates_it(csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "missing" / "equity.csv"
    outcome = run("walkforward", "-s", "sma_cross", "-d", csv, "-g", "fast=5,10", "-g",
                  "slow=20", "--folds", "2", "--workers", "1", "--equity-out", out)  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    assert out.is_file()


# --- SIGTERM: stop the pool, keep the finished part ----------------------------------------------

HOLDING_PLUGIN = '''
import os
import time
from pathlib import Path

from pydantic import Field

from strategies.base import Strategy, StrategyParams
from strategies.plugins import register


class P(StrategyParams):
    window: int = Field(5, ge=2)


@register
class HoldAt99(Strategy[P]):
    """The window=99 chunk holds for 10 minutes: only the parent stopping its worker ends it."""

    name = "hold_at_99"
    Params = P

    @property
    def warmup(self):
        return self.params.window

    def compute(self, bars):
        if self.params.window == 99:
            Path(os.environ["GAUNTLET_TEST_HOLDING"]).write_text(str(os.getpid()))
            time.sleep(600)
        mean = bars["close"].rolling(self.params.window).mean()
        return (bars["close"] > mean).astype(float).where(mean.notna())
'''


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_sigterm_stops_the_workers_and_keeps_the_finished_chunks(csv: Path, tmp_path: Path) -> None:
    """SIGTERM to the sweep (its process only, as `kill` sends it) once a chunk has finished
    while the window=99 chunk holds: exit 143, the finished part reported, no worker left.
    Before: the parent died at once, every result lost, both workers alive long after."""
    sweep = start_held_sweep(HOLDING_PLUGIN, csv, tmp_path)
    proc, shown, holding = sweep.proc, sweep.shown, sweep.holding
    deadline = time.monotonic() + 180
    workers: set[int] = set()
    try:
        sweep.read_until(sweep.chunk_finished_while_held, deadline)
        workers = _children(proc.pid)
        assert int(holding.read_text()) in workers
        proc.send_signal(signal.SIGTERM)
        sweep.read_until(lambda: proc.poll() is not None, deadline)
        stdout, _ = proc.communicate(timeout=max(deadline - time.monotonic(), 1))
        sweep.read_until(lambda: b"combinations" in shown, time.monotonic() + 10)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(sweep.terminal)
        survivors = [pid for pid in workers if _alive(pid)]
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
    assert survivors == [], "workers outlived the sweep"
    stderr = shown.decode(errors="replace")
    assert proc.returncode == 143, stderr[-2000:]
    out = json.loads(stdout)
    assert out["interrupted"] is True
    assert 1 <= out["completed"] < out["combinations"] == 5
    assert all(row["window"] != 99 for row in out["top"])
    assert f"gauntlet: interrupted: kept {out['completed']} of 5 combinations" in stderr


@pytest.mark.slow
def test_a_killed_sweep_leaves_no_worker(csv: Path, tmp_path: Path) -> None:
    """SIGKILL (or the OOM killer) gives the parent no chance to stop its pool: the kernel
    ends the workers with it (they were orphaned, holding the caller's pipes)."""
    plugin = tmp_path / "holding.py"
    plugin.write_text(HOLDING_PLUGIN)
    holding = tmp_path / "holding-99"
    env = {k: v for k, v in os.environ.items() if k != "GAUNTLET_DEBUG"}
    argv = [
        GAUNTLET, "sweep", "--strategy", "hold_at_99", "--plugin", str(plugin), "--data", str(csv),
        "--grid", "window=99,5,6,7,8", "--chunk-size", "1", "--workers", "2", "--json",
    ]  # fmt: skip
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env | {"GAUNTLET_TEST_HOLDING": str(holding)},
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while not holding.exists() or not holding.read_text():
            assert proc.poll() is None, "the sweep ended before its window=99 chunk ran"
            assert time.monotonic() < deadline, "the window=99 chunk never started"
            time.sleep(0.05)
        workers = _children(proc.pid)
        assert int(holding.read_text()) in workers
        proc.kill()
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = [pid for pid in workers if _alive(pid)]
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert survivors == []
