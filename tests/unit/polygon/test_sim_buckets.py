"""The simulator's pieces without a server: aggregation windows, ticker names, fault counters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from execution_engine.adapters.polygon.sim.buckets import aggregate
from execution_engine.adapters.polygon.sim.faults import FaultRequest, Faults
from execution_engine.adapters.polygon.sim.series import (
    Series,
    SeriesError,
    polygon_ticker,
    series_from_bars,
)

from marketdata.synthetic import generate_bars

HOURS = series_from_bars(generate_bars(24 * 120, timeframe="1h"), "C:EURUSD", 3_600_000)


def utc(ms: int) -> pd.Timestamp:
    return pd.Timestamp(ms, unit="ms", tz="UTC")


def test_four_hour_windows_start_on_the_epoch_grid() -> None:
    bars = aggregate(HOURS, 4, "hour")
    assert all(utc(t).hour % 4 == 0 for t in bars.t)
    first = np.flatnonzero((HOURS.t >= bars.t[1]) & (HOURS.t < bars.t[1] + 4 * 3_600_000))
    assert bars.o[1] == HOURS.o[first[0]]
    assert bars.c[1] == HOURS.c[first[-1]]
    assert bars.h[1] == HOURS.h[first].max()
    assert bars.v[1] == HOURS.v[first].sum()


def test_weeks_start_on_sunday_and_months_on_the_first() -> None:
    assert {utc(t).day_name() for t in aggregate(HOURS, 1, "week").t} == {"Sunday"}
    months = [utc(t) for t in aggregate(HOURS, 1, "month").t]
    assert all(m.day == 1 and m.hour == 0 for m in months)
    assert len(months) == len({(m.year, m.month) for m in map(utc, HOURS.t)})
    quarters = [utc(t).month for t in aggregate(HOURS, 1, "quarter").t]
    assert set(quarters) <= {1, 4, 7, 10}


def test_a_window_finer_than_the_data_is_empty_and_the_source_itself_is_served_as_is() -> None:
    assert len(aggregate(HOURS, 30, "minute")) == 0
    assert aggregate(HOURS, 1, "hour") is HOURS
    assert aggregate(HOURS, 1, "day") is aggregate(HOURS, 1, "day")  # cached


@pytest.mark.parametrize(
    ("instrument", "ticker"),
    [("EURUSD", "C:EURUSD"), ("EURUSD-SYNTHETIC", "C:EURUSD"), ("BTCUSD", "X:BTCUSD"),
     ("BTC-USD", "X:BTCUSD"), ("AAPL", "AAPL"), ("C:GBPUSD", "C:GBPUSD"), ("brk.b", "BRK.B")],
)  # fmt: skip
def test_instruments_become_polygon_tickers(instrument: str, ticker: str) -> None:
    assert polygon_ticker(instrument) == ticker


def test_feed_symbols_per_market() -> None:
    def named(ticker: str) -> Series:
        return series_from_bars(generate_bars(3, timeframe="1h"), ticker, 3_600_000)

    assert [named(t).symbol for t in ("C:EURUSD", "X:BTCUSD", "AAPL")] == [
        "EUR/USD",
        "BTC-USD",
        "AAPL",
    ]
    assert [named(t).market for t in ("C:EURUSD", "X:BTCUSD", "AAPL")] == [
        "forex",
        "crypto",
        "stocks",
    ]


def test_bars_the_simulator_cannot_serve() -> None:
    with pytest.raises(SeriesError, match="does not name a Polygon ticker"):
        polygon_ticker("???")
    with pytest.raises(SeriesError, match="no bars"):
        series_from_bars(generate_bars(3, timeframe="1h").iloc[:0], "AAPL", 3_600_000)
    bars = generate_bars(3, timeframe="1h")
    with pytest.raises(SeriesError, match="not in time order"):
        series_from_bars(bars.iloc[[0, 2, 1]], "AAPL", 3_600_000)


def test_fault_counters_are_consumed_exactly() -> None:
    faults = Faults()
    faults.apply(FaultRequest(rate_limit=2, page_loop=1))
    faults.rate_limit(1)
    assert [faults.take_rate_limit() for _ in range(4)] == [True, True, True, False]
    assert [faults.take_page_loop() for _ in range(2)] == [True, False]
    faults.fail_auth(5)
    faults.clear()
    assert not faults.take_auth_failure()
    with pytest.raises(ValueError, match="must not be negative"):
        faults.apply(FaultRequest(malformed_frames=-1))
