"""Row rules for bars and ticks. A batch is all-or-nothing, so every rule is checked up front."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from live.marketdata.errors import IngestRejectedError
from live.marketdata.frames import Parsed

SHOWN_ISSUES = 5  # the message stays one readable line; the count says how many more


@dataclass(frozen=True)
class Checked:
    """Validated columns: timestamps as Unix microseconds, values as float64, source order kept."""

    unix_us: np.ndarray
    values: dict[str, np.ndarray]


def check_bars(parsed: Parsed) -> Checked:
    v = parsed.values
    rules = [
        *_positive_finite(v, ("open", "high", "low", "close")),
        ("volume is negative or not finite", ~(np.isfinite(v["volume"]) & (v["volume"] >= 0))),
        ("high < max(open, close)", v["high"] < np.maximum(v["open"], v["close"])),
        ("low > min(open, close)", v["low"] > np.minimum(v["open"], v["close"])),
        (
            "timestamp not after the previous row (out of order or duplicate)",
            _not_increasing(parsed, strict=True),
        ),
    ]
    return _checked(parsed, rules)


def check_ticks(parsed: Parsed) -> Checked:
    v = parsed.values
    rules = [
        *_positive_finite(v, ("bid", "ask")),
        ("volume is negative or not finite", ~(np.isfinite(v["volume"]) & (v["volume"] >= 0))),
        ("ask < bid", v["ask"] < v["bid"]),
        ("timestamp before the previous row (out of order)", _not_increasing(parsed, strict=False)),
    ]
    return _checked(parsed, rules)


def _parse_rules(parsed: Parsed) -> Iterator[tuple[str, np.ndarray]]:
    yield "timestamp is missing or not a date", np.asarray(parsed.timestamps.isna())
    for column, mask in parsed.unparsable.items():
        if column != "timestamp":
            yield f"{column} is not a number", mask


def _positive_finite(
    values: dict[str, np.ndarray], columns: tuple[str, ...]
) -> Iterator[tuple[str, np.ndarray]]:
    for column in columns:
        with np.errstate(invalid="ignore"):
            yield (
                f"{column} must be a finite price > 0",
                ~(np.isfinite(values[column]) & (values[column] > 0)),
            )


def _not_increasing(parsed: Parsed, *, strict: bool) -> np.ndarray:
    ts = parsed.timestamps.asi8 // 1000  # compared at the stored precision (microseconds)
    bad = np.zeros(len(ts), dtype=bool)
    if len(ts) > 1:
        valid = ~np.asarray(parsed.timestamps.isna())
        step = ts[1:] <= ts[:-1] if strict else ts[1:] < ts[:-1]
        bad[1:] = step & valid[1:] & valid[:-1]
    return bad


def _checked(parsed: Parsed, value_rules: list[tuple[str, np.ndarray]]) -> Checked:
    # Parsing failures leave NaN behind; report them once, as parse errors, not again as "not > 0".
    unparsable_rows = np.zeros(len(parsed), dtype=bool)
    for mask in parsed.unparsable.values():
        unparsable_rows |= mask
    rules = [*_parse_rules(parsed), *((rule, m & ~unparsable_rows) for rule, m in value_rules)]
    issues = [(int(row), rule) for rule, mask in rules for row in np.flatnonzero(mask)]
    if issues:
        raise IngestRejectedError(_message(parsed, sorted(issues)))
    return Checked(parsed.timestamps.asi8 // 1000, parsed.values)


def _message(parsed: Parsed, issues: list[tuple[int, str]]) -> str:
    rows = {row for row, _ in issues}
    shown = []
    for row, rule in issues[:SHOWN_ISSUES]:
        stamp = parsed.timestamps[row]
        when = "" if pd.isna(stamp) else f" ({stamp.isoformat()})"
        shown.append(f"row {row + 1}{when}: {rule}")
    more = f"; and {len(issues) - SHOWN_ISSUES} more" if len(issues) > SHOWN_ISSUES else ""
    return f"{parsed.source}: {len(rows)} bad row(s), nothing ingested; {'; '.join(shown)}{more}"
