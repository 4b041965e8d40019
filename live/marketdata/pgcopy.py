"""PostgreSQL binary COPY encoding of fixed-width numpy columns.

Written by hand because the library path, asyncpg's `copy_records_to_table`, needs one Python
tuple (with a `datetime`) per row; building those dominates the cost of ingesting millions of
rows. With fixed-width columns every row has the same byte layout, so a numpy structured array
*is* the COPY stream (big-endian field lengths and values, per the PostgreSQL COPY docs).
"""

from __future__ import annotations

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z in microseconds since the Unix epoch

# Wire type per PostgreSQL column type we send.
WIRE_TYPES = {"timestamptz": ">i8", "float8": ">f8", "int4": ">i4"}  # text: fixed-width bytes


def unix_us_to_pg(unix_us: np.ndarray) -> np.ndarray:
    """timestamptz travels as microseconds since 2000-01-01 UTC."""
    return unix_us.astype(np.int64) - PG_EPOCH_US


def encode(n_rows: int, columns: list[tuple[str, np.ndarray | str]]) -> bytes:
    """One binary COPY payload, no NULLs. Each column is (pg type, n_rows values), or
    ("text", s) for a text value repeated on every row (an instrument name, a timeframe)."""
    fields: list[tuple[str, str]] = [("n_fields", ">i2")]
    for i, (pg_type, values) in enumerate(columns):
        wire = f"S{len(values.encode())}" if isinstance(values, str) else WIRE_TYPES[pg_type]
        fields += [(f"len{i}", ">i4"), (f"val{i}", wire)]
    rows = np.empty(n_rows, dtype=np.dtype(fields))
    rows["n_fields"] = len(columns)
    for i, (_, values) in enumerate(columns):
        rows[f"len{i}"] = rows.dtype[f"val{i}"].itemsize
        rows[f"val{i}"] = values.encode() if isinstance(values, str) else values
    return HEADER + rows.tobytes() + TRAILER
