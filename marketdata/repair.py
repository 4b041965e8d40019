"""Repair of bad bars, only when the user asks, and a report of exactly what changed.

Order matters and follows what a careful analyst would do by hand: keep the last of duplicated
timestamps (a feed's later correction), sort, drop rows with NaN/inf or non-positive prices or
negative volume or a price outside the plausible range, widen high/low to contain open and
close, then drop spike bars (repeated until none is left, since removing one can expose a
neighbour), then cut wick spikes back to the bar's body (the bad print is the wick, not the
bar; closes are untouched, so the yardstick the wicks were judged by stays the same). Gaps are reported and left alone:
inventing bars would be worse than missing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from marketdata import rules
from marketdata.frames import BAR_FIELDS
from marketdata.quality import QualityConfig, check_gaps, find_spikes, wick_spikes

__all__ = ["RepairAction", "RepairReport", "repair_bars"]

_SHOWN_ROWS = 5
_MAX_SPIKE_PASSES = 20


@dataclass(frozen=True)
class RepairAction:
    """One kind of change: the rule, what was done, how many rows, and the first rows touched."""

    rule: str
    action: str
    count: int
    first_rows: tuple[tuple[int, str], ...]

    def describe(self) -> str:
        rows = ", ".join(f"row {row} ({stamp})" for row, stamp in self.first_rows)
        more = ", ..." if self.count > len(self.first_rows) else ""
        return f"{self.rule}: {self.action} on {self.count} row(s): {rows}{more}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "action": self.action,
            "count": self.count,
            "first_rows": [{"row": row, "timestamp": stamp} for row, stamp in self.first_rows],
        }


@dataclass
class RepairReport:
    source: str
    rows_in: int
    rows_out: int = 0
    actions: list[RepairAction] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(action.count for action in self.actions if action.rule != "gap")

    def lines(self) -> list[str]:
        head = f"{self.source}: repaired {self.rows_in} → {self.rows_out} rows"
        return [head, *(f"  {action.describe()}" for action in self.actions)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "actions": [action.to_dict() for action in self.actions],
        }


class _Work:
    """The frame being repaired plus each row's original 1-based row number."""

    def __init__(self, bars: pd.DataFrame, report: RepairReport) -> None:
        self.bars = bars
        self.rows = np.arange(1, len(bars) + 1)
        self.report = report

    def record(self, rule: str, action: str, positions: npt.NDArray[np.intp]) -> None:
        if len(positions) == 0:
            return
        stamps = self.bars.index[positions[:_SHOWN_ROWS]]
        first = tuple(
            (int(row), str(stamp))
            for row, stamp in zip(self.rows[positions[:_SHOWN_ROWS]], stamps, strict=True)
        )
        self.report.actions.append(RepairAction(rule, action, len(positions), first))

    def drop(self, rule: str, mask: npt.NDArray[np.bool_], action: str = "dropped") -> None:
        self.record(rule, action, np.flatnonzero(mask))
        self.keep(~mask)

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        self.bars = self.bars[mask]
        self.rows = self.rows[mask]


def repair_bars(
    bars: pd.DataFrame, *, source: str = "bars", config: QualityConfig | None = None
) -> tuple[pd.DataFrame, RepairReport]:
    """Return repaired bars (sorted, unique, clean) and the report of every change."""
    config = config or QualityConfig()
    work = _Work(bars, RepairReport(source=source, rows_in=len(bars)))
    work.drop(
        "duplicate",
        work.bars.index.duplicated(keep="last"),
        "dropped (kept the last row of each timestamp)",
    )
    _sort(work)
    _drop_bad_values(work)
    _widen_high_low(work)
    _drop_spikes(work, config)
    _cut_wick_spikes(work, config)
    _report_gaps(work, config)
    work.report.rows_out = len(work.bars)
    return work.bars, work.report


def _sort(work: _Work) -> None:
    stamps = pd.DatetimeIndex(work.bars.index).asi8
    backwards = np.flatnonzero(np.diff(stamps) < 0) + 1
    if len(backwards) == 0:
        return
    work.record("non_monotonic", "sorted by timestamp", backwards)
    order = np.argsort(stamps, kind="stable")
    work.bars = work.bars.iloc[order]
    work.rows = work.rows[order]


def _drop_bad_values(work: _Work) -> None:
    numeric = [c for c in work.bars.columns if pd.api.types.is_numeric_dtype(work.bars[c])]
    work.drop("non_finite", rules.non_finite(*_columns(work, numeric)))
    work.drop("non_positive", rules.non_positive(*_columns(work, BAR_FIELDS)))
    work.drop("price_range", rules.implausible_price(*_columns(work, BAR_FIELDS)))
    if "volume" in work.bars.columns:
        work.drop("negative_volume", rules.negative(work.bars["volume"].to_numpy(np.float64)))


def _columns(work: _Work, names: Sequence[str]) -> list[npt.NDArray[np.float64]]:
    return [work.bars[name].to_numpy(np.float64) for name in names]


def _widen_high_low(work: _Work) -> None:
    o, h, low, c = _columns(work, BAR_FIELDS)
    work.record(
        "high_below_low",
        "widened high and low to span all four prices",
        np.flatnonzero(rules.high_below_low(h, low)),
    )
    work.record("high_below_body", "raised high", np.flatnonzero(rules.high_below_body(o, h, c)))
    work.record("low_above_body", "lowered low", np.flatnonzero(rules.low_above_body(o, low, c)))
    # Widening to the span of all four prices fixes all three rules at once.
    span = np.stack([o, h, low, c])
    work.bars = work.bars.assign(high=span.max(axis=0), low=span.min(axis=0))


def _drop_spikes(work: _Work, config: QualityConfig) -> None:
    dropped: list[tuple[int, str]] = []
    count = 0
    for _ in range(_MAX_SPIKE_PASSES):
        closes = work.bars["close"].to_numpy(np.float64)
        spikes = find_spikes(closes, k=config.spike_k, block=config.spike_block)
        if len(spikes) == 0:
            break
        count += len(spikes)
        dropped += [(int(work.rows[p]), str(work.bars.index[p])) for p in spikes]
        mask = np.ones(len(closes), dtype=bool)
        mask[spikes] = False
        work.keep(mask)
    if count:
        first = tuple(sorted(dropped)[:_SHOWN_ROWS])
        work.report.actions.append(RepairAction("spike", "dropped", count, first))


def _cut_wick_spikes(work: _Work, config: QualityConfig) -> None:
    cut: dict[str, list[int]] = {"high": [], "low": []}
    # Cutting a wick takes it out of the typical wick: repeat until a pass cuts nothing.
    for _ in range(_MAX_SPIKE_PASSES):
        o, h, low, c = _columns(work, BAR_FIELDS)
        highs, lows = wick_spikes(o, h, low, c, k=config.spike_k, block=config.spike_block)
        if len(highs) == 0 and len(lows) == 0:
            break
        h, low = h.copy(), low.copy()  # to_numpy may be a view of the frame
        cut["high"] += highs.tolist()
        cut["low"] += lows.tolist()
        h[highs] = np.maximum(o, c)[highs]
        low[lows] = np.minimum(o, c)[lows]
        work.bars = work.bars.assign(high=h, low=low)
    for name, side in (("high", "max"), ("low", "min")):
        positions = np.unique(np.asarray(cut[name], dtype=np.intp))
        work.record("wick_spike", f"cut the {name} back to {side}(open, close)", positions)


def _report_gaps(work: _Work, config: QualityConfig) -> None:
    report = check_gaps(work.bars, source=work.report.source, config=config)
    count = report.counts.get("gap", 0)
    if count == 0:
        return
    gaps = [issue for issue in report.issues if issue.rule == "gap"][:_SHOWN_ROWS]
    first = tuple((int(work.rows[issue.row - 1]), str(issue.timestamp)) for issue in gaps)
    work.report.actions.append(RepairAction("gap", "left as is (reported only)", count, first))
