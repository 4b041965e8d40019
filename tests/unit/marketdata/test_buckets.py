"""One bucket rule and one OHLCV fold: the batch resampler and the incremental tick aggregator
agree bar for bar, however the ticks are batched, and the fold skips NaN as pandas does."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from marketdata import resample_bars, ticks_to_bars
from marketdata.aggregate import BarAggregator
from marketdata.ticks.normalize import normalize

T0 = 1_704_067_200_000_000_000  # 2024-01-01T00:00:00Z in ns
SECOND = 1_000_000_000
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

prices = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
sizes = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def tick_stream(draw: st.DrawFn) -> tuple[dict[str, np.ndarray], list[int]]:
    """Ticks of two instruments in time order (equal timestamps allowed), and batch cut points."""
    n = draw(st.integers(1, 120))
    steps = draw(arrays(np.int64, n, elements=st.integers(0, 90 * SECOND)))
    ticks = {
        "instrument": np.array(
            draw(st.lists(st.sampled_from(["EURUSD", "GBPUSD"]), min_size=n, max_size=n))
        ),
        "ts": T0 + np.cumsum(steps),
        "price": draw(arrays(np.float64, n, elements=prices)),
        "size": draw(arrays(np.float64, n, elements=sizes)),
    }
    cuts = sorted(set(draw(st.lists(st.integers(1, max(n - 1, 1)), max_size=6))))
    return ticks, cuts


def aggregated(ticks: dict[str, np.ndarray], cuts: list[int], timeframe: str) -> pd.DataFrame:
    aggregator = BarAggregator(timeframe)
    closed = []
    bounds = [0, *cuts, len(ticks["ts"])]
    for start, end in itertools.pairwise(bounds):
        closed += aggregator.update(normalize({k: v[start:end] for k, v in ticks.items()}))
    closed += aggregator.flush()
    rows = [(name, at, b.open, b.high, b.low, b.close, b.volume) for name, at, b in closed]
    frame = pd.DataFrame(
        rows, columns=["instrument", "ts", "open", "high", "low", "close", "volume"]
    )
    return frame.sort_values(["instrument", "ts"], kind="stable").reset_index(drop=True)


def resampled(ticks: dict[str, np.ndarray], timeframe: str) -> pd.DataFrame:
    parts = []
    for name in sorted(set(ticks["instrument"])):
        mine = ticks["instrument"] == name
        frame = pd.DataFrame(
            {
                "bid": ticks["price"][mine],
                "ask": ticks["price"][mine],
                "volume": ticks["size"][mine],
            },
            index=pd.DatetimeIndex(ticks["ts"][mine], tz="UTC"),
        )
        bars = ticks_to_bars(frame, timeframe, price="bid", spread=False)
        parts.append(bars.assign(instrument=name, ts=bars.index.asi8).reset_index(drop=True))
    return pd.concat(parts, ignore_index=True)[
        ["instrument", "ts", "open", "high", "low", "close", "volume"]
    ]


@SETTINGS
@given(stream=tick_stream(), timeframe=st.sampled_from(["1s", "1m", "5m", "1h"]))
def test_batch_resampler_and_incremental_aggregator_agree_bar_for_bar(
    stream: tuple[dict[str, np.ndarray], list[int]], timeframe: str
) -> None:
    ticks, cuts = stream
    live, batch = aggregated(ticks, cuts, timeframe), resampled(ticks, timeframe)
    assert live["instrument"].tolist() == batch["instrument"].tolist()
    assert live["ts"].tolist() == batch["ts"].tolist()
    prices_columns = ["open", "high", "low", "close"]
    assert live[prices_columns].to_numpy().tolist() == batch[prices_columns].to_numpy().tolist()
    # Volumes are sums whose order depends on the batching, so they agree to rounding.
    np.testing.assert_allclose(live["volume"], batch["volume"], rtol=1e-12)


nan_or_price = st.one_of(prices, st.just(float("nan")))


@SETTINGS
@given(
    values=arrays(np.float64, st.tuples(st.integers(1, 80), st.just(5)), elements=nan_or_price),
    minutes=st.lists(st.integers(0, 600), min_size=80, max_size=80),
    timeframe=st.sampled_from(["5m", "1h", "1d"]),
)
def test_the_fold_skips_nan_as_pandas_resample_does(
    values: np.ndarray, minutes: list[int], timeframe: str
) -> None:
    index = pd.DatetimeIndex(T0 + np.array(minutes[: len(values)]) * 60 * SECOND, tz="UTC")
    bars = pd.DataFrame(values, index=index, columns=["open", "high", "low", "close", "volume"])
    got = resample_bars(bars, timeframe, source="1m")
    grouped = bars.resample(
        pd.Timedelta(timeframe.replace("m", "min")), label="left", closed="left"
    )
    want = grouped.agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )[grouped["close"].count() > 0]
    assert got.index.tolist() == want.index.tolist()
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12, equal_nan=True)
