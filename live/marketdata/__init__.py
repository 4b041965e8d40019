"""Market data in the running system: COPY ingestion into PostgreSQL (idempotent, retried),
reading it back, and the in-process tick path that aggregates ticks into bars on the bus."""

from live.marketdata.api import ingest_bars, ingest_ticks, read_bars
from live.marketdata.errors import IngestFailedError, IngestRejectedError
from live.marketdata.tick_path import TickPath, TickPathReport
from live.marketdata.writer import IngestReport, RetryPolicy

__all__ = [
    "IngestFailedError",
    "IngestRejectedError",
    "IngestReport",
    "RetryPolicy",
    "TickPath",
    "TickPathReport",
    "ingest_bars",
    "ingest_ticks",
    "read_bars",
]
