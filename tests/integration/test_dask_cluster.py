"""Sweeps on a real Dask distributed cluster give the same results as local runs."""

import socket

import pandas as pd
import pytest
from distributed import LocalCluster

from research.sweep import SchedulerUnreachableError, sweep
from research.sweep.metrics import METRIC_COLUMNS
from tests.fixtures.bars import make_bars


@pytest.fixture(scope="module")
def cluster():
    # Two single-threaded worker processes: real serialization of the chunks and the bars.
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        memory_limit="1GiB", host="127.0.0.1",
    ) as c:  # fmt: skip
        yield c


@pytest.mark.slow
def test_dask_results_are_identical_to_local(cluster):
    bars = make_bars(2000, seed=21)
    space = {"fast": [3, 5, 8], "slow": [21, 34]}
    local = sweep("sma_cross", bars, space, workers=1)
    remote = sweep("sma_cross", bars, space, scheduler=cluster.scheduler_address, chunk_size=2)
    key = ["fast", "slow"]
    cols = list(METRIC_COLUMNS)
    pd.testing.assert_frame_equal(
        local.table.sort_values(key).reset_index(drop=True)[[*key, *cols]],
        remote.table.sort_values(key).reset_index(drop=True)[[*key, *cols]],
        check_exact=True,
    )
    generic = {"window": [7, 14]}
    a = sweep("rsi_reversion", bars, generic, workers=1)
    b = sweep("rsi_reversion", bars, generic, scheduler=cluster.scheduler_address, chunk_size=1)
    pd.testing.assert_frame_equal(
        a.table.sort_values("window").reset_index(drop=True)[cols],
        b.table.sort_values("window").reset_index(drop=True)[cols],
        check_exact=True,
    )


@pytest.mark.slow
def test_scheduler_from_the_environment(cluster, monkeypatch):
    monkeypatch.setenv("GAUNTLET_DASK_SCHEDULER", cluster.scheduler_address)
    result = sweep("ema_cross", make_bars(600), {"fast": [5], "slow": [20, 30]})
    assert result.completed == 2


def test_unreachable_scheduler_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        with pytest.raises(SchedulerUnreachableError, match=f"127.0.0.1:{port}"):
            sweep("sma_cross", make_bars(300), {"fast": [5], "slow": [20]},
                  scheduler=f"tcp://127.0.0.1:{port}")  # fmt: skip
