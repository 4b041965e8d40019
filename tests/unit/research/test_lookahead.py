"""The look-ahead detector catches deliberately leaking strategies and passes the built-ins."""

import numpy as np
import pandas as pd
import pytest

import research.testing.leaky  # noqa: F401  # registers the leaking strategies
from research.errors import ResearchInputError
from research.lookahead import check_lookahead, sample_cuts
from research.testing.leaky import CenteredMean, PeekNextClose
from strategies import plugins
from tests.fixtures.bars import make_bars

BUILTINS = ["bollinger_reversion", "donchian_breakout", "ema_cross", "rsi_reversion", "sma_cross",
            "vol_target_trend"]  # fmt: skip


def test_builtins_list_is_complete():
    # Other tests register their own strategies in the same process; count only the shipped ones.
    shipped = [n for n in plugins.names() if plugins.get(n).__module__.startswith("strategies.")]
    assert shipped == BUILTINS


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_strategy_is_causal(name):
    report = check_lookahead(plugins.create(name), make_bars(400, seed=5), n_cuts=12)
    assert report.clean, report.to_dict()
    assert len(report.cuts) >= 6


def test_shift_minus_one_is_caught_at_a_cut_point():
    bars = make_bars(300, seed=2)
    report = check_lookahead(PeekNextClose(window=5), bars, n_cuts=30)
    assert not report.clean
    first = report.first_leak
    assert first is not None
    # shift(-1) only changes the last bar of a truncated run: the leak sits exactly at a cut.
    assert all(leak.first_bar == leak.cut for leak in report.leaks)
    assert first.max_abs_diff == 2.0  # +1 in the full run, -1 when the next bar is unknown
    assert first.first_time == bars.index[first.first_bar]
    assert report.to_dict()["first_leak_bar"] == first.first_bar


def test_centered_window_is_caught_before_the_cut():
    report = check_lookahead(CenteredMean(window=10), make_bars(300, seed=2), n_cuts=10)
    assert not report.clean
    # A centered 10-bar mean looks 4-5 bars ahead: targets change up to ~5 bars before the cut.
    assert all(leak.cut - 5 <= leak.first_bar <= leak.cut for leak in report.leaks)


def test_panel_leak_is_caught(panel):
    report = check_lookahead(CenteredMean(window=6), panel, n_cuts=8)
    assert not report.clean


def test_panel_builtin_is_clean(panel):
    assert check_lookahead(plugins.create("sma_cross", fast=5, slow=20), panel, n_cuts=6).clean


def test_too_little_data():
    with pytest.raises(ResearchInputError, match="too few"):
        check_lookahead(plugins.create("sma_cross"), make_bars(40), n_cuts=5)


def test_cuts_are_after_warmup_and_deterministic():
    cuts = sample_cuts(1000, 50, 20, seed=1)
    assert cuts == sample_cuts(1000, 50, 20, seed=1)
    assert min(cuts) >= 50
    assert max(cuts) <= 998


def test_nan_mismatch_counts_as_a_leak():
    """A strategy whose warm-up depends on the future shows up as NaN vs value."""
    bars = make_bars(200)

    class LateNan(PeekNextClose):
        name = "leaky_late_nan_test"

        def compute(self, frame: pd.DataFrame) -> pd.Series:
            out = pd.Series(1.0, index=frame.index)
            out.iloc[-1] = np.nan  # the last bar of whatever history it gets
            return out

    report = check_lookahead(LateNan(window=5), bars, n_cuts=5)
    assert not report.clean
    assert report.first_leak is not None
    assert report.first_leak.nan_mismatches >= 1
