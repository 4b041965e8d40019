"""Backfill bars from Polygon into the Parquet catalog and, optionally, PostgreSQL.

`backfill` plans before it fetches. The range is cut into UTC days; a day is covered when
the catalog already holds bars on it or the fetch journal says it was fetched (a Saturday
of forex has no bars, and must not be fetched again each run). The missing days are
grouped into chunks of about one Polygon page (at most 50,000 bars, never across a year),
and each chunk is fetched with the aggregates iterator, merged into the catalog with
`Catalog.write` (idempotent, atomic per year file) and, with a DSN, ingested by
`live.marketdata.api.ingest_bars` (binary COPY, idempotent on instrument, timeframe, ts).
Only then is the chunk journaled. A run that stops (a kill, a 429 storm, PostgreSQL gone)
loses at most the chunk it was fetching; the next run starts from there. Days not over yet
(today, the future) are never counted as covered: their bars may still come.

PostgreSQL can miss days the catalog has (it was unreachable when the catalog was written):
each run with a DSN first compares the two day by day over the range and ingests, from the
catalog, the days PostgreSQL has fewer bars of.

The journal is `.polygon-fetched.json` in the instrument/timeframe folder of the catalog:
for each ticker, the fetched days as merged [first, last] ranges of ISO dates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
from execution_engine.adapters.polygon.models import Agg, TickerInfo
from execution_engine.adapters.polygon.providers import PolygonTickerError, polygon_ticker

from live.db.connection import DEFAULT_SCHEMA, connect
from live.marketdata.api import ingest_bars
from marketdata.catalog import Catalog
from marketdata.errors import DataError
from marketdata.timeframes import parse_timeframe

JOURNAL = ".polygon-fetched.json"
PAGE_BARS = 50_000  # Polygon's largest page: a chunk is about one request
# Bars fetched before they are written: each Catalog.write rewrites the year's file, so
# writing every 49,000-bar chunk cost more than fetching it; a stop loses at most this many.
WRITE_ROWS = 250_000
FETCH_AHEAD = 2  # chunks requested while one is decoded or stored
# Polygon's fixed-length timespans and the catalog's unit letter; month, quarter and year
# have no fixed length, and the catalog keeps fixed-length bars only.
TIMESPAN_UNITS = {"second": "s", "minute": "m", "hour": "h", "day": "d", "week": "w"}
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
# A day is final this long after it ends (Polygon's delayed feeds trail by 15 minutes).
SETTLE = timedelta(hours=1)
_MS = 1_000
_DAY = timedelta(days=1)


class BackfillError(ValueError):
    """Bad input to a backfill (ticker, dates, timespan); one line."""


class EmptyRangeError(BackfillError):
    """Polygon has no bars for the ticker in the range, and nothing was written."""


class UnknownTickerError(EmptyRangeError):
    """Polygon answered no bars and does not list the ticker either."""


class AggregatesSource(Protocol):
    """What a backfill needs of PolygonRest."""

    def aggregates(
        self,
        ticker: str,
        multiplier: int,
        timespan: str,
        start: str | int,
        end: str | int,
        *,
        limit: int = PAGE_BARS,
    ) -> AsyncIterator[list[Agg]]: ...

    def tickers(
        self, *, ticker: str | None = None, active: bool = True
    ) -> AsyncIterator[TickerInfo]: ...


@dataclass(frozen=True)
class Chunk:
    """Days [first, last] (inclusive, UTC) fetched in one aggregates request."""

    first: date
    last: date

    @property
    def start_ms(self) -> int:
        return _ms(self.first)

    @property
    def end_ms(self) -> int:
        """The last millisecond of `last`: Polygon's `to` is inclusive."""
        return _ms(self.last + _DAY) - 1

    def __str__(self) -> str:
        return f"{self.first}..{self.last}" if self.first != self.last else str(self.first)


@dataclass
class BackfillReport:
    """What a backfill did. `rows_written` were new to the catalog; `rows_already_present`
    were fetched but the catalog had them already (same timestamp, same values)."""

    ticker: str
    instrument: str
    timeframe: str
    first: date
    last: date
    pages: int = 0
    rows_fetched: int = 0
    rows_written: int = 0
    rows_replaced: int = 0
    rows_already_present: int = 0
    fetched: list[Chunk] = field(default_factory=list)
    skipped: list[Chunk] = field(default_factory=list)
    to_fetch: list[Chunk] = field(default_factory=list)
    db_rows_inserted: int | None = None
    db_rows_already_present: int | None = None
    db_days_synced: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "ticker": self.ticker,
            "instrument": self.instrument,
            "timeframe": self.timeframe,
            "from": str(self.first),
            "to": str(self.last),
            "pages": self.pages,
            "rows_fetched": self.rows_fetched,
            "rows_written": self.rows_written,
            "rows_replaced": self.rows_replaced,
            "rows_already_present": self.rows_already_present,
            "ranges_fetched": [str(c) for c in self.fetched],
            "ranges_skipped": [str(c) for c in self.skipped],
            "db_rows_inserted": self.db_rows_inserted,
            "db_rows_already_present": self.db_rows_already_present,
            "db_days_synced": self.db_days_synced,
        }


Progress = Callable[[BackfillReport, "Chunk | None"], None]
"""Called once when the plan is made (chunk None), then after each chunk is stored."""


def timeframe_of(timespan: str, multiplier: int) -> str:
    """The catalog's label of Polygon's `multiplier` × `timespan` ("minute", 5 → "5m")."""
    unit = TIMESPAN_UNITS.get(timespan.strip().lower())
    if unit is None:
        raise BackfillError(
            f"timespan {timespan!r}: use one of {', '.join(TIMESPAN_UNITS)} (the catalog keeps "
            "bars of a fixed length; month, quarter and year have none)"
        )
    if multiplier < 1:
        raise BackfillError(f"multiplier {multiplier}: must be 1 or more")
    return parse_timeframe(f"{multiplier}{unit}").label


def parse_day(text: str, what: str) -> date:
    """A YYYY-MM-DD date; BackfillError naming `what` otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BackfillError(f"{what} {text!r} is not a date (YYYY-MM-DD)") from None


async def backfill(
    rest: AggregatesSource,
    ticker: str,
    start: date,
    end: date,
    timespan: str = "minute",
    multiplier: int = 1,
    catalog: Catalog | None = None,
    dsn: str | None = None,
    *,
    schema: str = DEFAULT_SCHEMA,
    allow_empty: bool = False,
    page_limit: int = PAGE_BARS,
    write_rows: int = WRITE_ROWS,
    now: datetime | None = None,
    on_progress: Progress | None = None,
) -> BackfillReport:
    """Fetch what the catalog lacks of `ticker`'s bars on days [start, end] (UTC, inclusive)
    and write it to the catalog (and PostgreSQL at `dsn`). EmptyRangeError when Polygon has
    no bars in the whole range and `allow_empty` is not set. `page_limit` is the bars per
    page asked for (Polygon's `limit`; a chunk is planned as one page of the largest);
    fetched chunks are written once `write_rows` bars are waiting (and at the end, and
    before an error is raised)."""
    timeframe = timeframe_of(timespan, multiplier)
    if end < start:
        raise BackfillError(f"the range ends ({end}) before it starts ({start})")
    try:
        found = polygon_ticker(ticker)
    except PolygonTickerError as exc:
        raise BackfillError(str(exc)) from None
    store = catalog or Catalog()
    report = BackfillReport(found.ticker, found.catalog_name, timeframe, start, end)
    journal = Journal(store.path(report.instrument, timeframe) / JOURNAL)
    held = _held(store, report.instrument, timeframe, start, end)
    final = _final_days(now or datetime.now(UTC))
    covered = {d for d in _held_days(held) if d < final} | journal.days(found.ticker)
    report.to_fetch = _chunks(_missing(start, end, covered), _chunk_days(timeframe))
    report.skipped = _runs(d for d in _days(start, end) if d in covered)
    if on_progress is not None:
        on_progress(report, None)
    if dsn is not None:
        await _sync_db(dsn, schema, report, held)
    writer = _Writer(store, dsn, schema, report, journal, final, on_progress, write_rows)
    query = (multiplier, timespan, page_limit)
    try:
        async for chunk, bars in _fetched_ahead(rest, found.ticker, query, report):
            await writer.take(chunk, bars, range_has_bars=not held.empty)
    except Exception:
        with contextlib.suppress(Exception):  # the first error is the one to report
            await writer.flush()  # what was fetched before it is kept
        raise
    await writer.flush()
    if report.rows_fetched == 0 and held.empty and not allow_empty:
        if not await _listed(rest, found.ticker):
            raise UnknownTickerError(
                f"Polygon does not list ticker {found.ticker} (active or not) and has no bars "
                f"of it from {start} to {end}; nothing was written"
            )
        raise EmptyRangeError(
            f"Polygon has no {timeframe} bars for {found.ticker} from {start} to {end}; "
            "nothing was written (pass --allow-empty to accept an empty range)"
        )
    writer.journal_empty()
    return report


# ---- planning ---------------------------------------------------------------------------


def _held(store: Catalog, instrument: str, timeframe: str, start: date, end: date) -> pd.DataFrame:
    """The catalog's bars on days [start, end]; empty when it has none of the instrument
    (a damaged year file is the catalog's DataError, not an empty catalog)."""
    if not any(store.path(instrument, timeframe).glob("[0-9][0-9][0-9][0-9].parquet")):
        return pd.DataFrame()
    return store.read(instrument, timeframe, _stamp(start), _stamp(end + _DAY))


def _held_days(bars: pd.DataFrame) -> set[date]:
    if bars.empty:
        return set()
    return set(pd.DatetimeIndex(bars.index).normalize().date)


def _final_days(now: datetime) -> date:
    """Days before this one are over (and settled): their bars will not change."""
    return (now - SETTLE).astimezone(UTC).date()


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += _DAY


def _missing(start: date, end: date, covered: set[date]) -> list[date]:
    return [day for day in _days(start, end) if day not in covered]


def _runs(days: Iterable[date]) -> list[Chunk]:
    """Consecutive days as [first, last] ranges."""
    runs: list[Chunk] = []
    for day in days:
        if runs and runs[-1].last + _DAY == day:
            runs[-1] = Chunk(runs[-1].first, day)
        else:
            runs.append(Chunk(day, day))
    return runs


def _chunk_days(timeframe: str) -> int:
    """Days per request: as many as fill about one page of bars (1m: 34 days)."""
    seconds = parse_timeframe(timeframe).nanos // 1_000_000_000
    per_day = max(1, 86_400 // max(1, seconds))
    return max(1, min(366, PAGE_BARS // per_day))


def _chunks(days: list[date], most: int) -> list[Chunk]:
    """Missing days in runs of at most `most` days, none across a new year (the catalog
    writes one file per year: a chunk within one year is written atomically)."""
    out: list[Chunk] = []
    for run in _runs(days):
        first = run.first
        while first <= run.last:
            year_end = date(first.year, 12, 31)
            last = min(run.last, first + timedelta(days=most - 1), year_end)
            out.append(Chunk(first, last))
            first = last + _DAY
    return out


def _complete(chunk: Chunk, final: date) -> Chunk | None:
    """The part of `chunk` that is over: the days worth journaling."""
    if chunk.first >= final:
        return None
    return Chunk(chunk.first, min(chunk.last, final - _DAY))


# ---- fetching and writing ---------------------------------------------------------------


async def _listed(rest: AggregatesSource, ticker: str) -> bool:
    """Whether Polygon's reference data knows `ticker`, listed now or delisted."""
    for active in (True, False):
        async for _ in rest.tickers(ticker=ticker, active=active):
            return True
    return False


async def _fetched_ahead(
    rest: AggregatesSource, ticker: str, query: tuple[int, str, int], report: BackfillReport
) -> AsyncIterator[tuple[Chunk, pd.DataFrame]]:
    """The planned chunks and their bars, in order, the next FETCH_AHEAD chunks fetched
    while the caller stores this one (Polygon encodes the next page while we decode one,
    and the network and the disk overlap). A fetch that fails raises only once every chunk
    before it was handed over; those in flight when the caller stops are cancelled."""
    pending = deque(report.to_fetch)
    ahead: deque[tuple[Chunk, asyncio.Task[pd.DataFrame]]] = deque()
    try:
        while pending or ahead:
            while pending and len(ahead) <= FETCH_AHEAD:
                later = pending.popleft()
                ahead.append(
                    (later, asyncio.create_task(_fetch(rest, ticker, query, later, report)))
                )
            chunk, fetching = ahead.popleft()
            yield chunk, await fetching
    finally:
        for _, left in ahead:
            left.cancel()
        with contextlib.suppress(BaseException):  # their errors are no longer anyone's to report
            await asyncio.gather(*(left for _, left in ahead), return_exceptions=True)


async def _fetch(
    rest: AggregatesSource,
    ticker: str,
    query: tuple[int, str, int],
    chunk: Chunk,
    report: BackfillReport,
) -> pd.DataFrame:
    """The chunk's bars as a bar frame; nothing is kept from a chunk that fails mid-way.
    `query` is (multiplier, timespan, page limit)."""
    multiplier, timespan, limit = query
    pages: list[list[Agg]] = []
    async for page in rest.aggregates(
        ticker, multiplier, timespan, chunk.start_ms, chunk.end_ms, limit=limit
    ):
        pages.append(page)
    report.pages += len(pages)
    bars = _frame([agg for page in pages for agg in page], chunk)
    report.rows_fetched += len(bars)
    return bars


def _frame(aggs: list[Agg], chunk: Chunk) -> pd.DataFrame:
    """Polygon's aggregates as a bar frame: `t` (the bar's start, ms UTC) is the index;
    bars outside the chunk's days are dropped (they belong to another chunk)."""
    count = len(aggs)
    stamps = np.fromiter((a.t for a in aggs), dtype=np.int64, count=count)
    keep = (stamps >= chunk.start_ms) & (stamps <= chunk.end_ms)
    columns = {
        name: np.fromiter((float(getattr(a, key)) for a in aggs), dtype=np.float64, count=count)
        for name, key in (("open", "o"), ("high", "h"), ("low", "l"), ("close", "c"))
    }
    columns["volume"] = np.fromiter((float(a.v) for a in aggs), dtype=np.float64, count=count)
    index = pd.DatetimeIndex(pd.to_datetime(stamps[keep], unit="ms", utc=True), name="timestamp")
    frame = pd.DataFrame({k: v[keep] for k, v in columns.items()}, index=index)
    # The catalog merges by timestamp; a repeated one from a confused page keeps its last.
    return frame[~frame.index.duplicated(keep="last")].sort_index()


class _Writer:
    """Fetched chunks → the catalog (and PostgreSQL), in batches of about `write_rows` bars;
    each chunk is journaled and reported done once its bars are written."""

    def __init__(
        self, store: Catalog, dsn: str | None, schema: str, report: BackfillReport,
        journal: Journal, final: date, on_progress: Progress | None, write_rows: int,
    ) -> None:  # fmt: skip
        self.store, self.dsn, self.schema, self.report = store, dsn, schema, report
        self.journal, self.final, self.on_progress = journal, final, on_progress
        self.write_rows = write_rows
        self.waiting: list[tuple[Chunk, pd.DataFrame]] = []
        self.empty: list[Chunk] = []  # journaled at the end, unless the whole range is empty

    async def take(self, chunk: Chunk, bars: pd.DataFrame, *, range_has_bars: bool) -> None:
        if bars.empty and not (range_has_bars or self.report.rows_fetched):
            self.empty.append(chunk)
            self._done(chunk)
        elif bars.empty:
            self._journal(chunk)  # a holiday in a range with bars: fetched once
            self._done(chunk)
        else:
            self.waiting.append((chunk, bars))
            if sum(len(b) for _, b in self.waiting) >= self.write_rows:
                await self.flush()

    async def flush(self) -> None:
        if not self.waiting:
            return
        waiting, self.waiting = self.waiting, []
        bars = pd.concat([b for _, b in waiting]) if len(waiting) > 1 else waiting[0][1]
        await _store(self.store, self.dsn, self.schema, self.report, bars)
        for chunk, _ in waiting:
            self._journal(chunk)
            self._done(chunk)

    def journal_empty(self) -> None:
        for chunk in self.empty:
            self._journal(chunk)

    def _journal(self, chunk: Chunk) -> None:
        self.journal.add(self.report.ticker, _complete(chunk, self.final))

    def _done(self, chunk: Chunk) -> None:
        self.report.fetched.append(chunk)
        if self.on_progress is not None:
            self.on_progress(self.report, chunk)


async def _store(
    store: Catalog, dsn: str | None, schema: str, report: BackfillReport, bars: pd.DataFrame
) -> None:
    written = await asyncio.to_thread(store.write, report.instrument, report.timeframe, bars)
    report.rows_written += written.rows_added
    report.rows_replaced += written.rows_replaced
    report.rows_already_present += len(bars) - written.rows_added - written.rows_replaced
    if dsn is not None:
        await _ingest(dsn, schema, report, bars)


async def _ingest(dsn: str, schema: str, report: BackfillReport, bars: pd.DataFrame) -> None:
    ingested = await ingest_bars(
        dsn,
        bars,
        instrument=report.instrument,
        timeframe=report.timeframe,
        schema=schema,
        source=f"polygon {report.ticker}",
    )
    report.db_rows_inserted = (report.db_rows_inserted or 0) + ingested.rows_inserted
    report.db_rows_already_present = (
        report.db_rows_already_present or 0
    ) + ingested.rows_already_present


async def _sync_db(dsn: str, schema: str, report: BackfillReport, held: pd.DataFrame) -> None:
    """Ingest the catalog's days PostgreSQL has fewer bars of (it was down when they were
    written); also the check that PostgreSQL answers before anything is fetched."""
    first, last = _stamp(report.first), _stamp(report.last + _DAY)
    stored = await _db_day_counts(dsn, schema, report.instrument, report.timeframe, first, last)
    report.db_rows_inserted = report.db_rows_inserted or 0
    report.db_rows_already_present = report.db_rows_already_present or 0
    if held.empty:
        return
    days = pd.DatetimeIndex(held.index).normalize()
    counts = pd.Series(1, index=days).groupby(level=0).sum()
    short = [
        day
        for day, n in zip(counts.index, counts.to_numpy(), strict=True)
        if stored.get(day.date(), 0) < n
    ]
    if short:
        report.db_days_synced = len(short)
        await _ingest(dsn, schema, report, held[days.isin(short)])


async def _db_day_counts(
    dsn: str, schema: str, instrument: str, timeframe: str, first: pd.Timestamp, last: pd.Timestamp
) -> dict[date, int]:
    conn = await connect(dsn, schema=schema)
    try:
        rows = await conn.fetch(
            "SELECT (ts AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM bars "
            "WHERE instrument = $1 AND timeframe = $2 AND ts >= $3 AND ts < $4 GROUP BY 1",
            instrument,
            timeframe,
            first.to_pydatetime(),
            last.to_pydatetime(),
        )
    finally:
        await conn.close()
    return {row["day"]: int(row["n"]) for row in rows}


# ---- the journal ------------------------------------------------------------------------


class Journal:
    """The days fetched from Polygon per ticker, in one small JSON file replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, list[list[str]]]:
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise DataError(
                f"fetch journal {self.path} cannot be read ({type(exc).__name__}): delete it "
                "to fetch the range again (the catalog's bars stay)"
            ) from None
        tickers = loaded.get("tickers") if isinstance(loaded, dict) else None
        return tickers if isinstance(tickers, dict) else {}

    def days(self, ticker: str) -> set[date]:
        out: set[date] = set()
        for first, last in self._read().get(ticker, []):
            out.update(_days(date.fromisoformat(first), date.fromisoformat(last)))
        return out

    def add(self, ticker: str, chunk: Chunk | None) -> None:
        if chunk is None:
            return
        tickers = self._read()
        merged = _runs(sorted(self.days(ticker) | set(_days(chunk.first, chunk.last))))
        tickers[ticker] = [[str(c.first), str(c.last)] for c in merged]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps({"tickers": tickers}, indent=1), encoding="utf-8")
        os.replace(partial, self.path)


def _stamp(day: date) -> pd.Timestamp:
    return pd.Timestamp(day.isoformat(), tz="UTC")


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * _MS
