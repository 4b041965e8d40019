"""The verdict table's rows every SIGKILL soak prints the same way (soak.py on FIX,
mt5_soak.py on MetaTrader): the kills by mode, the position difference, the restart times'
p50/p99/max, the problems, the wall time and the verdict; and the restart times as JSON.
A venue's table puts its own rows between them, each with `row` (one column for all).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from execution_engine.live.soak_common import KILL_MODES


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def restart_line(times: list[float]) -> str:
    """The restart times' p50, p99 and max, one line."""
    return (
        f"p50 {statistics.median(times):.2f} s  p99 {percentile(times, 0.99):.2f} s  "
        f"max {max(times):.2f} s  ({len(times)} restarts)"
    )


def row(label: str, text: str) -> str:
    """One row of a verdict table: the label, then its text in the table's column."""
    return f"  {label:<22}{text}"


def kills_row(kills: Counter[str]) -> str:
    modes = ", ".join(f"{m} {kills[m]}" for m in KILL_MODES)
    return row("kills", f"{sum(kills.values())} ({modes})")


def position_row(venue: str, held: tuple[Decimal, Decimal] | None) -> str:
    """`held`: (the venue's, the node's) net position; None when there was no report."""
    if held is None:
        return row("position diff", "not compared: no report from the node")
    at_venue, at_node = held
    return row("position diff", f"{at_venue - at_node} ({venue} {at_venue}, node {at_node})")


def restart_rows(label: str, times: list[float]) -> Iterator[str]:
    if times:
        yield row(label, restart_line(times))


def closing_rows(problems: list[str], wall_s: float, ok: bool, *extra: str) -> Iterator[str]:
    """The problems, `extra` rows, the wall time and the verdict: a table's last rows."""
    for problem in problems:
        yield row("PROBLEM", problem)
    yield from extra
    yield row("wall", f"{wall_s:.0f} s")
    yield row("verdict", "PASS" if ok else "FAIL")


def restarts_json(times: list[float]) -> dict[str, Any]:
    """The restart times' count, p50, p99 and max (s, to the millisecond)."""
    restarts: dict[str, Any] = {"count": len(times)}
    if times:
        restarts |= {
            "p50_s": round(percentile(times, 0.5), 3),
            "p99_s": round(percentile(times, 0.99), 3),
            "max_s": round(max(times), 3),
        }
    return restarts
