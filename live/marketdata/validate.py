"""Ingest's use of the row rules (`marketdata.rules`): a batch is all-or-nothing, so every rule is
checked up front and the rejection names the first bad rows, one readable line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from live.marketdata.errors import IngestRejectedError
from live.marketdata.parsing import Parsed
from marketdata import rules

SHOWN_ISSUES = 5  # the message stays one readable line; the count says how many more
_IMPLAUSIBLE = "price outside [{:g}, {:g}] (a scale error?)".format(*rules.PLAUSIBLE_PRICES)


@dataclass(frozen=True)
class Checked:
    """Validated columns: timestamps as Unix microseconds, values as float64, source order kept."""

    unix_us: np.ndarray
    values: dict[str, np.ndarray]


def check_bar_rows(parsed: Parsed) -> Checked:
    v = parsed.values
    broken = [
        *_positive_finite(v, ("open", "high", "low", "close")),
        (_IMPLAUSIBLE, rules.implausible_price(*(v[c] for c in ("open", "high", "low", "close")))),
        ("volume is negative or not finite", rules.bad_volume(v["volume"])),
        ("high < max(open, close)", rules.high_below_body(v["open"], v["high"], v["close"])),
        ("low > min(open, close)", rules.low_above_body(v["open"], v["low"], v["close"])),
        (
            "timestamp not after the previous row (out of order or duplicate)",
            _both_parsed(parsed, rules.not_after_previous(_stored_us(parsed))),
        ),
    ]
    return _checked(parsed, broken)


def check_tick_rows(parsed: Parsed) -> Checked:
    v = parsed.values
    broken = [
        *_positive_finite(v, ("bid", "ask")),
        (_IMPLAUSIBLE, rules.implausible_price(v["bid"], v["ask"])),
        ("volume is negative or not finite", rules.bad_volume(v["volume"])),
        ("ask < bid", rules.ask_below_bid(v["bid"], v["ask"])),
        (
            "timestamp before the previous row (out of order)",
            _both_parsed(parsed, rules.earlier_than_previous(_stored_us(parsed))),
        ),
    ]
    return _checked(parsed, broken)


def _parse_rules(parsed: Parsed) -> Iterator[tuple[str, np.ndarray]]:
    yield "timestamp is missing or not a date", np.asarray(parsed.timestamps.isna())
    for column, mask in parsed.unparsable.items():
        if column != "timestamp":
            yield f"{column} is not a number", mask


def _positive_finite(
    values: dict[str, np.ndarray], columns: tuple[str, ...]
) -> Iterator[tuple[str, np.ndarray]]:
    for column in columns:
        yield f"{column} must be a finite price > 0", rules.bad_price(values[column])


def _stored_us(parsed: Parsed) -> np.ndarray:
    """Timestamps at the stored precision (microseconds), the precision order is judged at."""
    return parsed.timestamps.asi8 // 1000


def _both_parsed(parsed: Parsed, order_broken: np.ndarray) -> np.ndarray:
    """An order rule holds only between two parsed timestamps; a missing one is reported once,
    as a parse error."""
    valid = ~np.asarray(parsed.timestamps.isna())
    kept = order_broken.copy()
    kept[1:] &= valid[1:] & valid[:-1]
    return kept


def _checked(parsed: Parsed, value_rules: list[tuple[str, np.ndarray]]) -> Checked:
    # Parsing failures leave NaN behind; report them once, as parse errors, not again as "not > 0".
    unparsable_rows = np.zeros(len(parsed), dtype=bool)
    for mask in parsed.unparsable.values():
        unparsable_rows |= mask
    checks = [*_parse_rules(parsed), *((rule, m & ~unparsable_rows) for rule, m in value_rules)]
    issues = [(int(row), rule) for rule, mask in checks for row in np.flatnonzero(mask)]
    if issues:
        raise IngestRejectedError(_message(parsed, sorted(issues)))
    return Checked(_stored_us(parsed), parsed.values)


def _message(parsed: Parsed, issues: list[tuple[int, str]]) -> str:
    rows = {row for row, _ in issues}
    shown = []
    for row, rule in issues[:SHOWN_ISSUES]:
        stamp = parsed.timestamps[row]
        when = "" if pd.isna(stamp) else f" ({stamp.isoformat()})"
        shown.append(f"row {row + 1}{when}: {rule}")
    more = f"; and {len(issues) - SHOWN_ISSUES} more" if len(issues) > SHOWN_ISSUES else ""
    return f"{parsed.source}: {len(rows)} bad row(s), nothing ingested; {'; '.join(shown)}{more}"
