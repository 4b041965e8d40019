"""Matching a file's column names to bar fields: case-insensitive, with common aliases."""

from __future__ import annotations

import re
from dataclasses import dataclass

from marketdata.errors import DataError

__all__ = ["BAR_ALIASES", "TICK_ALIASES", "ColumnMap", "match_columns", "normalize_name"]

# Alias lists are in priority order: the first alias present wins.
_TIMESTAMP = (
    "timestamp", "datetime", "date time", "date and time", "gmt time", "time (utc)",
    "utc time", "local time", "ts", "dt",
)  # fmt: skip
_UNNAMED = ("", "unnamed: 0", "__index level 0__", "index")
BAR_ALIASES: dict[str, tuple[str, ...]] = {
    "open": ("open", "o", "open price", "first"),
    "high": ("high", "h", "high price", "max"),
    "low": ("low", "l", "low price", "min"),
    "close": ("close", "c", "close price", "last"),
    # MetaTrader exports both <TICKVOL> and <VOL>; VOL is real volume, 0 for most FX symbols.
    "volume": ("volume", "tick volume", "tickvol", "tick vol", "vol", "v", "real volume"),
    "spread": ("spread",),
}
TICK_ALIASES: dict[str, tuple[str, ...]] = {
    "bid": ("bid", "bid price"),
    "ask": ("ask", "ask price", "offer"),
    "price": ("price", "last", "trade price", "mid"),
    "volume": ("volume", "vol", "size", "quantity", "bid volume"),
}
_REQUIRED_BARS = ("open", "high", "low", "close")
# polars renames a repeated header name `x` to `x_duplicated_0`, `x_duplicated_1`, ...
_DUPLICATED = re.compile(r"_duplicated_\d+$")
_SHOWN_NAMES = 10
_SHOWN_CHARS = 200


def normalize_name(name: str) -> str:
    """'<TICKVOL>' → 'tickvol', 'Tick_Volume ' → 'tick volume', 'Gmt time' → 'gmt time'."""
    cleaned = name.strip().strip("\ufeff").strip().strip("<>").lower()
    return re.sub(r"[\s_]+", " ", cleaned).strip()


@dataclass(frozen=True)
class ColumnMap:
    """Where each field comes from in the source (original column names)."""

    timestamp: tuple[str, ...]  # one column, or a date column and a time column
    fields: dict[str, str]


def match_columns(
    columns: list[str], aliases: dict[str, tuple[str, ...]], source: str, *, ticks: bool = False
) -> ColumnMap:
    _refuse_duplicates(columns, aliases, source)
    by_name: dict[str, str] = {}
    for column in columns:
        by_name.setdefault(normalize_name(column), column)
    fields = {field: _first_present(names, by_name) for field, names in aliases.items()}
    present = {field: column for field, column in fields.items() if column is not None}
    _require(present, columns, source, ticks=ticks)
    return ColumnMap(timestamp=_timestamp_columns(by_name, columns, source), fields=present)


def _refuse_duplicates(
    columns: list[str], aliases: dict[str, tuple[str, ...]], source: str
) -> None:
    """Two columns that read as the same field (`Close` and `close`, or `Close` twice) would
    make the choice between them silent: refuse, naming both."""
    read = {name for names in aliases.values() for name in names} | {*_TIMESTAMP, "date", "time"}
    seen: dict[str, str] = {}
    for column in columns:
        original = _DUPLICATED.sub("", column)
        key = normalize_name(original)
        if key not in read:
            continue
        if key not in seen:
            seen[key] = original
            continue
        first = seen[key]
        both = (
            f"column {first!r} appears twice"
            if first == original
            else f"columns {first!r} and {original!r} both read as {key!r}"
        )
        raise DataError(f"{both}: keep one of them", source=source)


def _first_present(names: tuple[str, ...], by_name: dict[str, str]) -> str | None:
    return next((by_name[name] for name in names if name in by_name), None)


def _timestamp_columns(by_name: dict[str, str], columns: list[str], source: str) -> tuple[str, ...]:
    single = _first_present(_TIMESTAMP, by_name)
    if single is not None:
        return (single,)
    if "date" in by_name and "time" in by_name:
        return (by_name["date"], by_name["time"])
    for name in ("date", "time"):
        if name in by_name:
            return (by_name[name],)
    # pandas writes its index as a first column with an empty (or "Unnamed: 0") header.
    if columns and normalize_name(columns[0]) in _UNNAMED:
        return (columns[0],)
    raise DataError(
        "no timestamp column: expected one named Date, Time, Datetime, Timestamp or "
        f"Gmt time, or an unnamed first column (found: {_listing(columns)})",
        source=source,
    )


def _require(present: dict[str, str], columns: list[str], source: str, *, ticks: bool) -> None:
    if ticks:
        if not ({"bid", "ask"} <= present.keys() or "price" in present):
            raise DataError(
                f"tick data needs bid and ask columns, or a price column (found: {_listing(columns)})",
                source=source,
            )
        return
    missing = [field for field in _REQUIRED_BARS if field not in present]
    if missing:
        expected = "; ".join(f"{f}: {'/'.join(BAR_ALIASES[f][:3])}" for f in missing)
        raise DataError(
            f"missing column(s) {', '.join(missing)} (found: {_listing(columns)}; "
            f"accepted names, any case: {expected})",
            source=source,
        )


def _listing(columns: list[str]) -> str:
    """The first few names, short enough for one readable line whatever the header holds."""
    if not columns:
        return "no columns"
    shown = ", ".join(repr(c[:40]) for c in columns[:_SHOWN_NAMES])
    if len(shown) > _SHOWN_CHARS:
        shown = shown[:_SHOWN_CHARS] + "…"
    return shown + (f", ... ({len(columns)} columns)" if len(columns) > _SHOWN_NAMES else "")
