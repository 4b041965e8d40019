"""The Strategy contract, exercised on every built-in strategy."""

import numpy as np
import pandas as pd
import pytest

from strategies import InvalidParamsError, SmaCross, Strategy, StrategyOutputError, plugins
from strategies.base import StrategyParams
from tests.fixtures.bars import make_bars

BUILTINS = [
    "sma_cross",
    "ema_cross",
    "rsi_reversion",
    "donchian_breakout",
    "bollinger_reversion",
    "vol_target_trend",
]


def test_all_builtins_registered():
    assert set(BUILTINS) <= set(plugins.names())


@pytest.mark.parametrize("name", BUILTINS)
def test_target_shape_range_and_warmup(name, bars):
    strat = plugins.create(name)
    t = strat.target(bars)
    assert t.index.equals(bars.index)
    assert t.iloc[: strat.warmup].isna().all()
    after = t.iloc[strat.warmup :]
    assert after.notna().all(), "no opinion after warm-up"
    assert (after.abs() <= 1.0).all()
    assert after.abs().sum() > 0, "a strategy that never trades on 500 bars of noise is suspicious"


@pytest.mark.parametrize("name", BUILTINS)
def test_causal_past_targets_do_not_change_when_bars_are_appended(name):
    full = make_bars(800, seed=3)
    strat = plugins.create(name)
    whole = strat.target(full)
    for cut in (150, 400, 799):
        part = strat.target(full.iloc[:cut])
        pd.testing.assert_series_equal(part, whole.iloc[:cut], check_exact=False, atol=1e-12)


@pytest.mark.parametrize("name", BUILTINS)
def test_panel_is_each_instrument_alone(name, panel):
    strat = plugins.create(name)
    out = strat.target(panel)
    assert list(out.columns) == ["EURUSD", "GBPUSD"]
    for inst in out.columns:
        alone = strat.target(panel[inst])
        np.testing.assert_array_equal(out[inst].to_numpy(), alone.to_numpy())


def test_sma_cross_rule_by_hand():
    idx = pd.date_range("2024", periods=6, freq="D", tz="UTC")
    close = pd.Series([1.0, 1.0, 1.0, 2.0, 0.5, 0.5], index=idx)
    bars = pd.DataFrame({"open": close, "high": close, "low": close, "close": close})
    t = SmaCross(fast=1, slow=3).target(bars)
    # slow SMA defined from bar 2; bar2: 1 vs 1 -> not above -> short; bar3: 2 > 4/3 -> long;
    # bar4: 0.5 < 3.5/3 -> short; bar5: 0.5 < 1.0 -> short.
    assert t.tolist()[:2] == [pytest.approx(np.nan, nan_ok=True)] * 2
    assert t.iloc[2:].tolist() == [-1.0, 1.0, -1.0, -1.0]
    assert SmaCross(fast=1, slow=3, allow_short=False).target(bars).iloc[2:].tolist() == [
        0,
        1,
        0,
        0,
    ]


@pytest.mark.parametrize("name", ["sma_cross", "ema_cross"])
def test_entry_state_is_the_default(name, bars):
    default = plugins.create(name).target(bars)
    pd.testing.assert_series_equal(plugins.create(name, entry="state").target(bars), default)


def test_entry_cross_waits_for_the_first_crossing_by_hand():
    """ADR 0002 §15: entry="cross" is flat until fast > slow first flips after warm-up."""
    idx = pd.date_range("2024", periods=9, freq="D", tz="UTC")
    close = pd.Series([1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0, 2.0, 3.0], index=idx)
    bars = pd.DataFrame({"open": close, "high": close, "low": close, "close": close})
    # SMA3 from bar 2: 2, 3, 10/3, 3, 2, 5/3, 2; close above it: T T F F F T T.
    state = SmaCross(fast=1, slow=3).target(bars).iloc[2:].tolist()
    assert state == [1.0, 1.0, -1.0, -1.0, -1.0, 1.0, 1.0]
    # Bars 2-3 are long by state but no crossing yet: flat; the first flip is bar 4 (down).
    cross = SmaCross(fast=1, slow=3, entry="cross").target(bars)
    assert cross.iloc[:2].isna().all()
    assert cross.iloc[2:].tolist() == [0.0, 0.0, -1.0, -1.0, -1.0, 1.0, 1.0]
    long_only = SmaCross(fast=1, slow=3, allow_short=False, entry="cross").target(bars)
    assert long_only.iloc[2:].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]


def test_entry_cross_on_the_first_bar_after_warmup_is_no_crossing():
    """A state that never changes is never entered: the first defined bar is no crossing."""
    idx = pd.date_range("2024", periods=6, freq="D", tz="UTC")
    close = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], index=idx)
    bars = pd.DataFrame({"open": close, "high": close, "low": close, "close": close})
    assert SmaCross(fast=1, slow=3).target(bars).iloc[2:].tolist() == [1.0] * 4
    assert SmaCross(fast=1, slow=3, entry="cross").target(bars).iloc[2:].tolist() == [0.0] * 4


def test_entry_is_part_of_the_identity():
    """A run says which entry it traded (a sweep over entry shows it in every row)."""
    assert SmaCross(fast=5, slow=10).identity["params"]["entry"] == "state"
    cross = SmaCross(fast=5, slow=10, entry="cross")
    assert cross.identity["params"]["entry"] == "cross"
    assert "entry='cross'" in repr(cross)
    assert SmaCross(**cross.identity["params"]).params == cross.params


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"entry": "crossing"}, "entry"),
        ({"fast": 50, "slow": 20}, "fast must be < slow"),
        ({"fast": -1}, "fast"),
        ({"slow": 0}, "slow"),
        ({"fast": "ten"}, "fast"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_invalid_params_name_the_field(kwargs, field):
    with pytest.raises(InvalidParamsError, match=field):
        SmaCross(**kwargs)


def test_params_are_frozen():
    s = SmaCross(fast=5, slow=10)
    with pytest.raises(Exception, match="frozen"):
        s.params.fast = 7  # type: ignore[misc]
    assert s.identity == {
        "strategy": "sma_cross",
        "params": {"fast": 5, "slow": 10, "allow_short": True, "entry": "state"},
    }


class _Leveraged(Strategy[StrategyParams]):
    name = "test_leveraged"
    Params = StrategyParams

    @property
    def warmup(self) -> int:
        return 0

    def compute(self, bars):
        return pd.Series(2.0, index=bars.index)


def test_out_of_range_output_is_rejected(bars):
    with pytest.raises(StrategyOutputError, match=r"not a finite value in \[-1, 1\]"):
        _Leveraged().target(bars)


def test_unknown_strategy_lists_known_ones():
    with pytest.raises(plugins.UnknownStrategyError, match=r"known: .*sma_cross"):
        plugins.get("nope")


def test_register_user_strategy_from_file(tmp_path, bars):
    mod = tmp_path / "my_strats.py"
    mod.write_text(
        "import pandas as pd\n"
        "from strategies import Strategy, StrategyParams, register\n"
        "@register\n"
        "class AlwaysLong(Strategy[StrategyParams]):\n"
        "    '''Always long.'''\n"
        "    name = 'always_long_test'\n"
        "    Params = StrategyParams\n"
        "    warmup = 0\n"
        "    def compute(self, bars):\n"
        "        return pd.Series(1.0, index=bars.index)\n"
    )
    plugins.load_module(str(mod))
    assert (plugins.create("always_long_test").target(bars) == 1.0).all()
