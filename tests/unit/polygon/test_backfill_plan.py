"""The backfill's plan: timespans the catalog can keep, chunks of about one page that never
cross a year, the fetch journal, and days not over yet fetched again on every run."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from execution_engine.adapters.polygon.models import Agg, TickerInfo

from live.marketdata.backfill import (
    JOURNAL,
    BackfillError,
    Chunk,
    Journal,
    _chunk_days,
    _chunks,
    backfill,
    parse_day,
    timeframe_of,
)
from marketdata import Catalog


def test_timespans() -> None:
    assert timeframe_of("minute", 1) == "1m"
    assert timeframe_of("minute", 60) == "1h"
    assert timeframe_of("Day", 1) == "1d"
    for bad, says in (("month", "no fixed length|none"), ("tick", "use one of")):
        with pytest.raises(BackfillError, match=says):
            timeframe_of(bad, 1)
    with pytest.raises(BackfillError, match="is not a date"):
        parse_day("2024-02-30", "--from")


def test_chunks_fill_a_page_and_stop_at_the_year() -> None:
    assert _chunk_days("1m") == 34  # 34 x 1,440 = 48,960 bars: one page of 50,000
    assert _chunk_days("1d") == 366
    assert _chunk_days("1s") == 1
    days = [date(2023, 12, 20), *(date(2024, 1, d) for d in range(1, 11))]
    assert [str(c) for c in _chunks(days, 34)] == ["2023-12-20", "2024-01-01..2024-01-10"]
    long = [date(2024, 1, 1).fromordinal(date(2024, 1, 1).toordinal() + i) for i in range(70)]
    assert [str(c) for c in _chunks(long, 34)] == [
        "2024-01-01..2024-02-03",
        "2024-02-04..2024-03-08",
        "2024-03-09..2024-03-10",
    ]


def test_the_journal_merges_ranges(tmp_path: Path) -> None:
    journal = Journal(tmp_path / JOURNAL)
    journal.add("C:EURUSD", Chunk(date(2024, 1, 1), date(2024, 1, 3)))
    journal.add("C:EURUSD", Chunk(date(2024, 1, 4), date(2024, 1, 5)))
    journal.add("X:BTCUSD", Chunk(date(2024, 1, 9), date(2024, 1, 9)))
    saved = json.loads((tmp_path / JOURNAL).read_text(encoding="utf-8"))
    assert saved["tickers"]["C:EURUSD"] == [["2024-01-01", "2024-01-05"]]
    assert journal.days("X:BTCUSD") == {date(2024, 1, 9)}


class MinuteSource:
    """Every minute of every day, as Polygon would answer: the vendor, not the code under test."""

    def __init__(self) -> None:
        self.requests: list[tuple[int, int]] = []

    async def aggregates(
        self, ticker: str, multiplier: int, timespan: str, start: str | int, end: str | int,
        *, limit: int = 50_000,
    ) -> AsyncIterator[list[Agg]]:  # fmt: skip
        assert isinstance(start, int)
        assert isinstance(end, int)
        self.requests.append((start, end))
        one = Decimal("1.10000")
        yield [Agg(o=one, h=one, l=one, c=one, v=Decimal(1), t=t)
               for t in range(start, end + 1, 60_000)]  # fmt: skip

    async def tickers(self, *, ticker: str | None = None, active: bool = True) -> AsyncIterator[TickerInfo]:  # fmt: skip
        yield TickerInfo(ticker=ticker or "")


def test_a_day_not_over_is_fetched_again(tmp_path: Path) -> None:
    source, catalog = MinuteSource(), Catalog(tmp_path)
    now = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)

    def run() -> None:
        asyncio.run(backfill(source, "C:EURUSD", date(2024, 1, 8), date(2024, 1, 12),
                             catalog=catalog, now=now))  # fmt: skip

    run()
    assert Journal(tmp_path / "EURUSD" / "1m" / JOURNAL).days("C:EURUSD") == {
        date(2024, 1, 8),
        date(2024, 1, 9),
    }
    run()  # the 10th (today) and what is after it are asked for again, the 8th and 9th not
    first_ms = int(datetime(2024, 1, 10, tzinfo=UTC).timestamp()) * 1_000
    assert source.requests[-1][0] == first_ms
    assert len(catalog.read("EURUSD", "1m")) == 5 * 1_440
