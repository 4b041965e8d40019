"""Market-data ingestion into PostgreSQL (COPY, idempotent, retried) and reading it back."""

from live.ingest.api import ingest_bars, ingest_ticks, read_bars
from live.ingest.errors import IngestFailedError, IngestRejectedError
from live.ingest.writer import IngestReport, RetryPolicy

__all__ = [
    "IngestFailedError",
    "IngestRejectedError",
    "IngestReport",
    "RetryPolicy",
    "ingest_bars",
    "ingest_ticks",
    "read_bars",
]
