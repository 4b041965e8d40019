"""The tick path: bars match a pandas resample of the same ticks, bad rows are reported,
replays publish nothing twice."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bus import Bar, InMemoryBus
from live.marketdata import TickPath
from marketdata.ticks.normalize import TickInputError, normalize
from marketdata.ticks.validate import OUT_OF_ORDER

T0 = 1_704_067_200_000_000_000  # 2024-01-01T00:00:00Z in ns


def random_ticks(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "instrument": np.array(["eurusd ", "GBPUSD"])[rng.integers(0, 2, n)],
        "ts": T0 + np.sort(rng.integers(0, 3_600_000_000_000, n)),  # one hour, random spacing
        "price": 1.1 + rng.normal(0, 0.001, n).cumsum(),
        "size": rng.integers(1, 100, n).astype(float),
    }


def expected_bars(ticks: dict[str, np.ndarray]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "instrument": np.char.upper(np.char.strip(ticks["instrument"])),
            "price": ticks["price"],
            "size": ticks["size"],
        },
        index=pd.to_datetime(ticks["ts"], utc=True),
    )
    grouped = frame.groupby("instrument").resample("1min")
    bars = grouped["price"].ohlc()
    bars["volume"] = grouped["size"].sum()
    bars["ticks"] = grouped["price"].count()
    return bars[bars["ticks"] > 0]


async def run_path(ticks: dict[str, np.ndarray], batch: int) -> tuple[list[Bar], InMemoryBus]:
    bus = InMemoryBus("tp")
    path = TickPath(bus, timeframe="1m")
    n = len(ticks["ts"])
    for i in range(0, n, batch):
        await path.process({k: v[i : i + batch] for k, v in ticks.items()})
    await path.flush()
    sub = await bus.subscribe(bus.subjects.topic("md.bars"), "check")
    deliveries = await sub.fetch(10_000, timeout=0.1)
    return [d.envelope.payload for d in deliveries if isinstance(d.envelope.payload, Bar)], bus


@pytest.mark.parametrize("batch", [1, 997, 100_000])
def test_bars_equal_a_pandas_resample_whatever_the_batching(batch: int) -> None:
    ticks = random_ticks(5_000)
    bars, _ = asyncio.run(run_path(ticks, batch))
    got = (
        pd.DataFrame(
            [
                (b.instrument, b.start, b.open, b.high, b.low, b.close, b.volume, b.ticks)
                for b in bars
            ],
            columns=["instrument", "timestamp", "open", "high", "low", "close", "volume", "ticks"],
        )
        .set_index(["instrument", "timestamp"])
        .sort_index()
    )
    want = expected_bars(ticks)
    assert len(got) == len(want) == 120  # 2 instruments x 60 minutes
    np.testing.assert_allclose(
        got[["open", "high", "low", "close", "volume"]].to_numpy(),
        want[["open", "high", "low", "close", "volume"]].to_numpy(),
    )
    assert got["ticks"].tolist() == want["ticks"].tolist()
    assert (
        got.index.get_level_values("timestamp").tolist() == want.index.get_level_values(1).tolist()
    )


def test_bad_rows_are_reported_by_row_and_rule_and_none_lost() -> None:
    raw: dict[str, list[Any]] = {
        "instrument": ["EURUSD", "EURUSD", "", "EURUSD", "EURUSD", "GBPUSD", "EURUSD"],
        "ts": [T0 + 10, T0 + 20, T0 + 30, T0 + 5, T0 + 40, T0 + 5, T0 + 50],
        "price": [1.1, float("nan"), 1.1, 1.1, 1.1, 1.3, -1.0],
        "size": [1.0, 1.0, 1.0, 1.0, -2.0, 1.0, 1.0],
    }

    async def scenario() -> None:
        path = TickPath(InMemoryBus("tp"))
        report = await path.process(raw)
        rules = [(r.row, r.rule) for r in report.rejections]
        assert rules == [
            (1, "price must be finite and > 0"),
            (2, "instrument must not be empty"),
            (3, OUT_OF_ORDER),
            (4, "size must be finite and >= 0"),
            (6, "price must be finite and > 0"),
        ]
        assert report.accepted + len(report.rejections) == 7
        later = await path.process(
            {"instrument": ["EURUSD"], "ts": [T0 + 9], "price": [1.0], "size": [1.0]}
        )
        assert [(r.row, r.rule) for r in later.rejections] == [
            (0, OUT_OF_ORDER)
        ]  # across batches too

    asyncio.run(scenario())


def test_replaying_the_same_ticks_publishes_no_bar_twice() -> None:
    ticks = random_ticks(2_000, seed=3)

    async def scenario() -> None:
        bus = InMemoryBus("tp")
        first, replay = TickPath(bus), TickPath(bus)  # e.g. a feed handler restarted from the start
        published = (await first.process(ticks)).bars_published
        again = await replay.process(ticks)
        assert published > 0
        assert (again.bars_published, again.bars_duplicate) == (0, published)
        assert bus.stream_length() == published

    asyncio.run(scenario())


def test_malformed_batches_are_named() -> None:
    with pytest.raises(TickInputError, match="missing columns: size"):
        normalize({"instrument": ["X"], "ts": [T0], "price": [1.0]})
    with pytest.raises(TickInputError, match="need a UTC offset"):
        normalize({"instrument": ["X"], "ts": ["2024-01-01 10:00"], "price": [1.0], "size": [1.0]})
    with pytest.raises(TickInputError, match="column price: not numbers"):
        normalize({"instrument": ["X"], "ts": [T0], "price": ["abc"], "size": [1.0]})
    stamped = normalize(
        {"instrument": ["X"], "ts": ["2024-01-01T01:00:00+01:00"], "price": [1], "size": [1]}
    )
    assert stamped.ts.tolist() == [T0]
    with pytest.raises(ValueError, match="invalid timeframe '5x'"):
        TickPath(InMemoryBus("tp"), timeframe="5x")
