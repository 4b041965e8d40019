"""Read-only PostgreSQL source of bars, for research next to the Parquet catalog.

Research may not import `live`, so this module speaks SQL to the market-data tables that
live/db/migrations define (bars: instrument, timeframe, ts, open, high, low, close, volume).
Sessions are read-only (default_transaction_read_only), so research can never write there.

Rows come back through binary COPY decoded by numpy: with no NULLs every row has the same byte
layout, which is several times faster than building one asyncpg Record per row.
Ranges are half-open: start <= ts < end, in UTC.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

import asyncpg
import numpy as np
import pandas as pd
import polars as pl

from marketdata.catalog import CatalogEntry
from marketdata.errors import DataError

FIELDS = ("open", "high", "low", "close", "volume")
_HEADER_BYTES = 19  # "PGCOPY\n\377\r\n\0" + flags (4) + header-extension length (4, always 0 here)
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z in Unix microseconds
_ROW = np.dtype(
    [("n_fields", ">i2"), ("ts_len", ">i4"), ("ts", ">i8")]
    + [item for name in FIELDS for item in ((f"{name}_len", ">i4"), (name, ">f8"))]
)
_QUERY = (
    "SELECT ts, open, high, low, close, volume FROM bars "
    "WHERE instrument = $1 AND timeframe = $2 AND ts >= $3 AND ts < $4 ORDER BY ts"
)
_FAR_PAST = pd.Timestamp("1900-01-01", tz="UTC")
_FAR_FUTURE = pd.Timestamp("2200-01-01", tz="UTC")

T = TypeVar("T")
TimeLike = str | datetime | pd.Timestamp | None


class PgSourceError(DataError):
    """A request the database cannot answer: unknown instrument/timeframe, bad range."""


@dataclass(frozen=True)
class PgBarSource:
    """Bars from PostgreSQL, a drop-in for `marketdata.Catalog` where research reads bars
    (`read` and `list` answer like the Parquet catalog's); `dsn` is any URL asyncpg accepts."""

    dsn: str
    schema: str = "gauntlet"

    def read(
        self, instrument: str, timeframe: str, start: TimeLike = None, end: TimeLike = None,
        *, as_: Literal["pandas", "polars"] = "pandas",
    ) -> pd.DataFrame | pl.DataFrame:  # fmt: skip
        return _run_sync(
            fetch_bars(self.dsn, instrument, timeframe, start, end, schema=self.schema, as_=as_)
        )

    def list(self) -> list[CatalogEntry]:
        """Every instrument/timeframe stored, with its bar count and time range (files=0: no files)."""
        return _run_sync(_list(self.dsn, self.schema))


async def fetch_bars(
    dsn: str, instrument: str, timeframe: str, start: TimeLike = None, end: TimeLike = None,
    *, schema: str = "gauntlet", as_: Literal["pandas", "polars"] = "pandas",
) -> pd.DataFrame | pl.DataFrame:  # fmt: skip
    """Bars of `instrument`/`timeframe` with start <= ts < end (either bound may be None)."""
    if as_ not in ("pandas", "polars"):
        raise PgSourceError(f"as_ must be 'pandas' or 'polars', got {as_!r}")
    lower, upper = _utc(start, _FAR_PAST), _utc(end, _FAR_FUTURE)
    if lower >= upper:
        raise PgSourceError(
            f"bars {instrument} {timeframe}: start {lower} is not before end {upper}"
        )
    conn = await _connect(dsn, schema)
    try:
        known = await conn.fetchval(
            "SELECT EXISTS (SELECT FROM bars WHERE instrument = $1 AND timeframe = $2)",
            instrument,
            timeframe,
        )
        if not known:
            raise PgSourceError(
                f"no bars for instrument {instrument!r} timeframe {timeframe!r} in schema {schema}"
            )
        buffer = io.BytesIO()
        args = (instrument, timeframe, lower.to_pydatetime(), upper.to_pydatetime())
        await conn.copy_from_query(_QUERY, *args, output=buffer, format="binary")
    finally:
        await conn.close()
    bars = _frame(_decode(buffer.getvalue()), as_)
    if isinstance(
        bars, pd.DataFrame
    ):  # provenance, as the Parquet catalog records it (no DSN: it may hold secrets)
        bars.attrs = {
            "source": f"postgresql:{schema}.bars",
            "instrument": instrument,
            "timeframe": timeframe,
        }
    return bars


async def _list(dsn: str, schema: str) -> list[CatalogEntry]:
    conn = await _connect(dsn, schema)
    try:
        rows = await conn.fetch(
            "SELECT instrument, timeframe, count(*) AS rows, min(ts) AS start, max(ts) AS end "
            "FROM bars GROUP BY instrument, timeframe ORDER BY instrument, timeframe"
        )
    finally:
        await conn.close()
    return [
        CatalogEntry(
            r["instrument"],
            r["timeframe"],
            r["rows"],
            pd.Timestamp(r["start"]),
            pd.Timestamp(r["end"]),
            0,
        )
        for r in rows
    ]


async def _connect(dsn: str, schema: str) -> asyncpg.Connection:
    settings = {"search_path": schema, "timezone": "UTC", "default_transaction_read_only": "on"}
    return await asyncpg.connect(dsn, server_settings=settings, timeout=10)


def _decode(payload: bytes) -> np.ndarray:
    return np.frombuffer(
        payload[_HEADER_BYTES:-2], dtype=_ROW
    )  # the last two bytes: the -1 trailer


def _frame(rows: np.ndarray, as_: Literal["pandas", "polars"]) -> pd.DataFrame | pl.DataFrame:
    unix_us = rows["ts"].astype(np.int64) + _PG_EPOCH_US
    columns = {name: rows[name].astype(np.float64) for name in FIELDS}
    if as_ == "polars":
        stamps = pl.Series("timestamp", unix_us).cast(pl.Datetime("us", "UTC"))
        return pl.DataFrame(
            [stamps, *(pl.Series(name, values) for name, values in columns.items())]
        )
    index = pd.DatetimeIndex(pd.to_datetime(unix_us, unit="us", utc=True), name="timestamp")
    return pd.DataFrame(columns, index=index)


def _utc(value: TimeLike, default: pd.Timestamp) -> pd.Timestamp:
    if value is None:
        return default
    try:
        stamp = pd.Timestamp(value)
    except ValueError as exc:
        raise PgSourceError(f"not a timestamp: {value!r}") from exc
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, also from inside a running loop (Jupyter): then on a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
