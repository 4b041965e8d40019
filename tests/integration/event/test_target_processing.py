"""One definition of the target rules: the vectorized engine, the sweep kernel and the event
host process the same raw targets into identical processed targets (every built-in)."""

import math

import numpy as np
import pandas as pd
import pytest
from execution_engine.host.decider import Decider
from execution_engine.host.records import HostRecords
from execution_engine.host.reporter import HostReporter
from execution_engine.targets import TargetRules, process_target, realized_vol

from research.engine.common import target_matrix
from research.engine.config import BacktestConfig, Direction, FillAt, SizeMode
from research.engine.targets import process_targets, target_rules
from research.sweep import kernel
from research.sweep.data import prepare
from strategies import plugins
from tests.integration.event.conftest import PARAMS, fx_bars

PPY = 6048.0
CONFIGS = {
    "both": BacktestConfig(periods_per_year=PPY),
    "long_only": BacktestConfig(periods_per_year=PPY, direction=Direction.LONG_ONLY),
    "vol_target": BacktestConfig(
        periods_per_year=PPY, size_mode=SizeMode.VOL_TARGET, vol_window=10, max_leverage=2.0
    ),
}


def _vectorized(bars: pd.DataFrame, name: str, config: BacktestConfig) -> np.ndarray:
    raw = target_matrix(plugins.create(name, **PARAMS[name]).target(bars), ["asset"])
    return process_targets(raw, bars[["close"]].to_numpy(), config, PPY)[:, 0]


def _host(bars: pd.DataFrame, name: str, config: BacktestConfig) -> np.ndarray:
    """The host's decision path: the window grows bar by bar, `target` is called on it and
    the newest value processed (what GauntletStrategyHost does at every bar close)."""
    reporter = HostReporter(HostRecords(), ["EUR/USD.SIM"], now=lambda: 0, warn=lambda _: None)
    decider = Decider(
        plugins.create(name, **PARAMS[name]), ["EUR/USD"], False, None,
        target_rules(config, PPY), reporter,
    )  # fmt: skip
    held = []
    columns = ["open", "high", "low", "close", "volume"]
    for t, (stamp, row) in enumerate(zip(bars.index, bars[columns].to_numpy(), strict=True)):
        decider.decide(t, pd.Timestamp(stamp).value, {0: tuple(float(v) for v in row)})
        held.append(decider.target_of(0))
    assert reporter.records.of_kind("bad_target") == []
    return np.asarray(held)


def _sweep(bars: pd.DataFrame, name: str, config: BacktestConfig) -> np.ndarray:
    """The sweep's σ_t and its kernel's rule; without vol targeting also the kernel itself:
    in UNITS mode with close fills its position is the processed target × units."""
    raw = target_matrix(plugins.create(name, **PARAMS[name]).target(bars), ["asset"])
    data = prepare(bars, config)
    rules = target_rules(config, PPY)
    processed = np.array(
        [
            process_target(
                raw[t, 0], data.sigma[t, 0], rules.long_only, rules.vol_scaled,
                rules.vol_target, rules.max_leverage,
            )
            for t in range(len(bars))
        ]
    )  # fmt: skip
    if not rules.vol_scaled:
        units = config.model_copy(update={"size_mode": SizeMode.UNITS, "fill": FillAt.CLOSE})
        unnamed = bars.copy()
        unnamed.attrs = {}  # the undefined asset trades fractions: no size step (ADR 0002 §14)
        cfg = prepare(unnamed, units).cfg
        acc = np.zeros(kernel.N_ACC)
        positions = np.zeros((len(bars), 1))
        kernel.accumulate_metrics(
            data.open_, data.close, data.sigma, raw, np.zeros((1, 1)), -1, -1, 0.0, cfg, acc,
            np.zeros(len(bars)), positions, True,
        )  # fmt: skip
        np.testing.assert_array_equal(positions[:, 0] / units.units, processed)
    return processed


@pytest.mark.parametrize("config_name", sorted(CONFIGS))
@pytest.mark.parametrize("name", sorted(PARAMS))
def test_vectorized_sweep_and_host_process_targets_identically(name: str, config_name: str) -> None:
    bars = fx_bars("EUR/USD", n=160)
    config = CONFIGS[config_name]

    vectorized = _vectorized(bars, name, config)

    assert np.isfinite(vectorized).all()
    assert (vectorized != 0).any()  # the strategy trades on these bars
    np.testing.assert_array_equal(_sweep(bars, name, config), vectorized)
    np.testing.assert_array_equal(_host(bars, name, config), vectorized)


def test_the_hosts_sigma_from_its_short_history_is_the_engines() -> None:
    close = fx_bars("EUR/USD", n=120)["close"].to_numpy()
    rules = TargetRules(vol_scaled=True, vol_window=10, periods_per_year=PPY)

    series = realized_vol(close, 10, PPY)

    assert math.isnan(series[9])
    assert not math.isnan(series[10])
    for t in range(len(close)):
        expected = process_target(1.0, series[t], False, True, 0.1, 1.0)
        assert rules.process(1.0, close[: t + 1]) == expected
