"""Ingest bars and ticks (files or frames) into PostgreSQL; read bars back as pandas or polars."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import polars as pl

from live.db.connection import DEFAULT_SCHEMA
from live.marketdata import parsing, validate
from live.marketdata.reader import TimeLike, fetch_bars
from live.marketdata.writer import (
    DEFAULT_RETRY,
    IngestReport,
    RetryPolicy,
    Target,
    make_batches,
    write_batches,
)

BATCH_ROWS = 250_000
BAR_COLUMNS = (
    ("ts", "timestamptz"),
    *((name, "float8") for name in ("open", "high", "low", "close", "volume")),
)
TICK_COLUMNS = (
    ("ts", "timestamptz"),
    ("seq", "int4"),
    ("bid", "float8"),
    ("ask", "float8"),
    ("volume", "float8"),
)

Frame = pd.DataFrame | pl.DataFrame


async def ingest_bars(
    dsn: str, bars: Frame | Path, *, instrument: str, timeframe: str, schema: str = DEFAULT_SCHEMA,
    source: str | None = None, batch_rows: int = BATCH_ROWS, retry: RetryPolicy = DEFAULT_RETRY,
) -> IngestReport:  # fmt: skip
    """Bars (bar-convention pandas, polars with a timestamp column, or a CSV/Parquet path)."""
    parsed = _parse(bars, ("open", "high", "low", "close", "volume"), source)
    checked = validate.check_bar_rows(parsed)
    target = Target("bars", {"instrument": instrument, "timeframe": timeframe}, BAR_COLUMNS)
    batches = make_batches(target, checked.unix_us, checked.values, batch_rows)
    return await write_batches(
        dsn, target, batches, source=parsed.source, rows=len(parsed), schema=schema, retry=retry
    )


async def ingest_ticks(
    dsn: str, ticks: Frame | Path, *, instrument: str, schema: str = DEFAULT_SCHEMA,
    source: str | None = None, batch_rows: int = BATCH_ROWS, retry: RetryPolicy = DEFAULT_RETRY,
) -> IngestReport:  # fmt: skip
    """Ticks (timestamp, bid, ask[, volume]); equal timestamps keep their source order as `seq`."""
    parsed = _parse(ticks, ("bid", "ask", "volume"), source)
    checked = validate.check_tick_rows(parsed)
    values = {**checked.values, "seq": _sequence_within_timestamp(checked.unix_us)}
    target = Target("ticks", {"instrument": instrument}, TICK_COLUMNS)
    batches = make_batches(target, checked.unix_us, values, batch_rows)
    return await write_batches(
        dsn, target, batches, source=parsed.source, rows=len(parsed), schema=schema, retry=retry
    )


async def read_bars(
    dsn: str, instrument: str, timeframe: str, start: TimeLike = None, end: TimeLike = None,
    *, as_: Literal["pandas", "polars"] = "pandas", schema: str = DEFAULT_SCHEMA,
) -> Frame:  # fmt: skip
    """Bars with start <= ts < end: pandas in the bar convention, or polars with a timestamp column."""
    return await fetch_bars(dsn, instrument, timeframe, start, end, schema=schema, as_=as_)


def _parse(data: Frame | Path, columns: tuple[str, ...], source: str | None) -> parsing.Parsed:
    if isinstance(data, str | Path):
        path = Path(data)
        return parsing.parse(parsing.read_table(path), columns, source or str(path))
    return parsing.parse(data, columns, source or "<frame>")


def _sequence_within_timestamp(unix_us: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... for ticks sharing a timestamp (input is sorted), so their key is deterministic."""
    index = np.arange(len(unix_us))
    run_start = np.ones(len(unix_us), dtype=bool)
    run_start[1:] = unix_us[1:] != unix_us[:-1]
    return (index - np.maximum.accumulate(np.where(run_start, index, 0))).astype(np.int32)
