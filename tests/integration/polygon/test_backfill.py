"""Backfill from the Polygon simulator over loopback into a real Parquet catalog: reruns fetch
nothing, an interrupted run resumes to the exact row count, and every bad input is one error
with nothing duplicated or lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from execution_engine.adapters.polygon.errors import (
    PageLoopError,
    RateLimited,
    ServerError,
    Unauthorized,
)
from execution_engine.adapters.polygon.models import Agg, TickerInfo
from execution_engine.adapters.polygon.rest import PolygonRest
from execution_engine.adapters.polygon.sim import sources
from execution_engine.adapters.polygon.sim.server import PolygonSimConfig, PolygonSimulator
from pydantic import SecretStr

from live.marketdata.backfill import (
    JOURNAL,
    BackfillError,
    BackfillReport,
    Chunk,
    EmptyRangeError,
    UnknownTickerError,
    backfill,
)
from marketdata import Catalog

KEY = "sim-key"
BARS = 120_000  # minute bars of the fx week from 2020-01-01 to 2020-04-27
FIRST, LAST = date(2020, 1, 1), date(2020, 4, 30)  # 121 days: chunks of 34, 34, 34, 19


@pytest.fixture(scope="module")
def sim() -> Iterator[PolygonSimulator]:
    simulator = PolygonSimulator(
        PolygonSimConfig(api_key=KEY, series=sources.synthetic_minutes(BARS))
    )
    simulator.start()
    yield simulator
    simulator.stop()


def run(
    sim: PolygonSimulator, catalog: Catalog, ticker: str = "C:EURUSD", *, key: str = KEY,
    first: date = FIRST, last: date = LAST, retries: int = 5, **kwargs: object,
) -> BackfillReport:  # fmt: skip
    async def go() -> BackfillReport:
        rest = PolygonRest(SecretStr(key), base_url=sim.base_url, max_retries=retries,
                           backoff=0.01)  # fmt: skip
        async with rest:
            return await backfill(rest, ticker, first, last, catalog=catalog, **kwargs)  # type: ignore[arg-type]  # the tests pass backfill's own keywords

    return asyncio.run(go())


def test_a_rerun_fetches_nothing(sim: PolygonSimulator, tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    first = run(sim, catalog)
    assert (first.rows_fetched, first.rows_written, first.pages) == (BARS, BARS, 4)
    again = run(sim, catalog)
    assert (again.pages, again.rows_fetched, again.rows_written) == (0, 0, 0)
    assert [str(c) for c in again.skipped] == ["2020-01-01..2020-04-30"]
    bars = catalog.read("EURUSD", "1m")
    assert len(bars) == BARS
    assert bars.index.is_unique


def test_a_wider_range_fetches_only_the_new_days(sim: PolygonSimulator, tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    run(sim, catalog, last=date(2020, 1, 31))
    wider = run(sim, catalog)
    assert [str(c) for c in wider.to_fetch] == [
        "2020-02-01..2020-03-05",
        "2020-03-06..2020-04-08",
        "2020-04-09..2020-04-30",
    ]
    assert wider.rows_already_present == 0
    assert len(catalog.read("EURUSD", "1m")) == BARS


def test_an_interrupted_run_resumes_with_the_exact_rows(
    sim: PolygonSimulator, tmp_path: Path
) -> None:
    catalog = Catalog(tmp_path)

    done: list[int] = []

    def storm_after_first(report: BackfillReport, chunk: Chunk | None) -> None:
        if chunk is None:
            return
        done.append(len(report.fetched))
        if len(report.fetched) == 1:
            sim.faults.rate_limit(2)  # both tries of the next request: a 429 storm

    with pytest.raises(RateLimited, match="rate limited after 2 tries"):
        # write_rows=1: each chunk is written (and reported) as soon as it is fetched
        run(sim, catalog, retries=1, on_progress=storm_after_first, write_rows=1)
    kept = len(catalog.read("EURUSD", "1m"))
    assert 0 < kept < BARS
    resumed = run(sim, catalog)
    assert len(resumed.fetched) == 4 - done[-1]  # the chunks stored are not fetched again
    assert resumed.rows_written == BARS - kept
    bars = catalog.read("EURUSD", "1m")
    assert len(bars) == BARS
    assert bars.index.is_unique


def test_a_page_loop_is_an_error_and_writes_nothing(sim: PolygonSimulator, tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    sim.faults.page_loop(1)
    with pytest.raises(PageLoopError, match="pagination loops"):
        run(sim, catalog, page_limit=10_000)  # five pages a chunk: the first points to itself
    assert catalog.list() == []
    assert not (tmp_path / "EURUSD" / "1m" / JOURNAL).exists()
    paged = run(sim, catalog, page_limit=10_000)  # the loop is gone: every bar, once
    assert paged.pages > 2 * len(paged.to_fetch)
    assert len(catalog.read("EURUSD", "1m")) == BARS


def test_an_empty_range_is_an_error_unless_allowed(sim: PolygonSimulator, tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    with pytest.raises(EmptyRangeError, match="no 1m bars for C:EURUSD from 2019-01-01"):
        run(sim, catalog, first=date(2019, 1, 1), last=date(2019, 1, 31))
    assert catalog.list() == []
    allowed = run(sim, catalog, first=date(2019, 1, 1), last=date(2019, 1, 31), allow_empty=True)
    assert (allowed.pages, allowed.rows_written) == (0, 0)
    again = run(sim, catalog, first=date(2019, 1, 1), last=date(2019, 1, 31), allow_empty=True)
    assert again.to_fetch == []  # an accepted empty range is not asked for again


def test_a_wrong_key_is_one_line_without_the_key(sim: PolygonSimulator, tmp_path: Path) -> None:
    with pytest.raises(Unauthorized) as caught:
        run(sim, Catalog(tmp_path), key="not-the-key")
    assert "\n" not in str(caught.value)
    assert "not-the-key" not in str(caught.value)
    assert "Unknown API Key" in str(caught.value)
    assert Catalog(tmp_path).list() == []


def test_unknown_tickers(sim: PolygonSimulator, tmp_path: Path) -> None:
    with pytest.raises(UnknownTickerError, match="does not list ticker C:GBPUSD"):
        run(sim, Catalog(tmp_path), "C:GBPUSD")
    with pytest.raises(BackfillError, match="no currency 'FOO'"):
        run(sim, Catalog(tmp_path), "C:FOOBAR")
    with pytest.raises(BackfillError, match=r"ends .* before it starts"):
        run(sim, Catalog(tmp_path), first=LAST, last=FIRST)
    with pytest.raises(BackfillError, match="timespan 'month'"):
        run(sim, Catalog(tmp_path), timespan="month")
    assert Catalog(tmp_path).list() == []


class FailsOnThirdChunk:
    """PolygonRest against the simulator, but the third aggregates request dies: a fault
    between two chunks that are not written yet."""

    def __init__(self, rest: PolygonRest) -> None:
        self.rest = rest
        self.calls = 0

    def aggregates(self, *args: Any, **kwargs: Any) -> AsyncIterator[list[Agg]]:
        self.calls += 1
        if self.calls == 3:
            raise ServerError(503, "the third chunk's request failed")
        return self.rest.aggregates(*args, **kwargs)

    def tickers(self, **kwargs: Any) -> AsyncIterator[TickerInfo]:
        return self.rest.tickers(**kwargs)


def test_bars_fetched_before_a_failure_are_written(sim: PolygonSimulator, tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)

    async def go() -> None:
        async with PolygonRest(SecretStr(KEY), base_url=sim.base_url) as rest:
            await backfill(FailsOnThirdChunk(rest), "C:EURUSD", FIRST, LAST, catalog=catalog)

    with pytest.raises(ServerError, match="third chunk"):
        asyncio.run(go())  # the first two chunks were waiting to be written: they are
    kept = catalog.read("EURUSD", "1m")
    assert kept.index[-1] < pd.Timestamp("2020-03-09", tz="UTC")  # two chunks: 68 days
    assert len(kept) > BARS // 2
    resumed = run(sim, catalog)
    assert len(resumed.fetched) == 2
    assert len(catalog.read("EURUSD", "1m")) == BARS
