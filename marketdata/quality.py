"""Data-quality checks run on every load: each rule finds the rows that break it.

Errors (structural or value problems) reject a load unless the caller asks for repair;
warnings (gaps) never do.

Written by hand on numpy because schema validators (pandera and the like) check columns in
isolation: they know nothing of OHLC consistency across columns, gaps against a session
calendar, spikes judged by local volatility, or the file row numbers users need. Row numbers are 1-based positions in the frame as given, which for a
loaded file is the data row in file order (row 1 = first row after the header).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from marketdata import rules
from marketdata.calendars import get_calendar
from marketdata.errors import DataError
from marketdata.frames import BAR_FIELDS, missing_fields
from marketdata.timeframes import Timeframe, infer_timeframe, parse_timeframe

__all__ = [
    "RULES",
    "Issue",
    "QualityConfig",
    "QualityReport",
    "Rule",
    "check_gaps",
    "check_quality",
    "find_spikes",
]

Severity = Literal["error", "warning"]
Positions = npt.NDArray[np.intp]
Floats = npt.NDArray[np.float64]

# 1/Φ⁻¹(3/4): turns a median absolute deviation into a normal-equivalent standard deviation.
_MAD_TO_SIGMA = 1.482602218505602
_TYPICAL_SAMPLE = 100_000  # wicks the typical wick's median is taken over (evenly spaced)


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    severity: Severity


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("duplicate", "duplicate timestamp", "error"),
        Rule("non_monotonic", "timestamp earlier than the previous row", "error"),
        Rule("non_finite", "NaN or inf value", "error"),
        Rule("non_positive", "zero or negative price", "error"),
        Rule(
            "price_range",
            "price outside [{:g}, {:g}] (a scale error?)".format(*rules.PLAUSIBLE_PRICES),
            "error",
        ),
        Rule("negative_volume", "negative volume", "error"),
        Rule("high_below_low", "high < low", "error"),
        Rule("high_below_body", "high < max(open, close)", "error"),
        Rule("low_above_body", "low > min(open, close)", "error"),
        Rule("spike", "price spike that reverts on the next bar", "error"),
        Rule("wick_spike", "high or low spikes far beyond the bar's open and close", "error"),
        Rule("gap", "gap beyond the session calendar", "warning"),
    )
}
_RULE_ORDER = {rule_id: order for order, rule_id in enumerate(RULES)}


@dataclass(frozen=True)
class QualityConfig:
    """How strict the checks are.

    calendar: "fx", "24x7" or "none" (see marketdata.calendars).
    timeframe: the bar length for the gap check; inferred from the most common spacing if None.
    gap_bars: a gap is more than this many expected bars missing inside the session (the
        default 1 tolerates an isolated missing bar, common in quiet minutes of real feeds).
    spike_k: a spike is a close-to-close log return beyond spike_k robust sigmas that the next
        bar reverts by at least half; a wick spike is a high above max(open, close), or a low
        below min(open, close), by more than spike_k of the same local sigma (in log terms).
    spike_block: bars per block for the local robust sigma (median absolute return per block),
        so volatility regimes and clusters do not turn ordinary moves into "spikes".
    max_issues_per_rule: issues kept per rule in the report (counts are always exact).
    """

    calendar: str = "fx"
    timeframe: str | None = None
    gap_bars: int = 1
    spike_k: float = 10.0
    spike_block: int = 256
    max_issues_per_rule: int = 1000

    def __post_init__(self) -> None:
        # A threshold of 0 or less flags every bar (or none): a mistake, never a setting.
        if not self.spike_k > 0:  # also refuses NaN
            raise DataError(f"spike_k must be > 0, got {self.spike_k}")
        if self.gap_bars < 0:
            raise DataError(f"gap_bars must be >= 0, got {self.gap_bars}")
        if self.spike_block < 1 or self.max_issues_per_rule < 0:
            raise DataError("spike_block must be >= 1 and max_issues_per_rule >= 0")


@dataclass(frozen=True)
class Issue:
    rule: str
    row: int
    timestamp: pd.Timestamp
    detail: str

    @property
    def severity(self) -> Severity:
        return RULES[self.rule].severity

    @property
    def text(self) -> str:
        return RULES[self.rule].text

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "row": self.row,
            "timestamp": str(self.timestamp),
            "detail": self.detail,
        }


@dataclass
class QualityReport:
    """Every issue found (up to `max_issues_per_rule` each) and exact counts per rule."""

    source: str
    rows: int
    calendar: str
    timeframe: str | None
    counts: dict[str, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "warning"]

    @property
    def error_count(self) -> int:
        return sum(n for rule, n in self.counts.items() if RULES[rule].severity == "error")

    @property
    def warning_count(self) -> int:
        return sum(n for rule, n in self.counts.items() if RULES[rule].severity == "warning")

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return self.error_count == 0

    def error(self) -> DataError:
        """The DataError for the first erroneous row, counting the others in its message."""
        first = self.errors[0]
        more = self.error_count - 1
        tail = f" [+{more} more error{'s' if more != 1 else ''}]" if more else ""
        return DataError(
            f"{first.text} ({first.detail}){tail}",
            source=self.source,
            row=first.row,
            timestamp=first.timestamp,
            rule=first.rule,
            report=self,
        )

    def raise_for_errors(self) -> None:
        if not self.ok:
            raise self.error()

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "calendar": self.calendar,
            "timeframe": self.timeframe,
            "ok": self.ok,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "counts": dict(self.counts),
            "issues": [issue.to_dict() for issue in self.issues],
        }


def check_quality(
    bars: pd.DataFrame, *, source: str = "bars", config: QualityConfig | None = None
) -> QualityReport:
    """Run every rule on `bars` (index of timestamps, columns open/high/low/close[/volume])."""
    return _check(bars, source, config or QualityConfig(), _findings)


def check_gaps(
    bars: pd.DataFrame, *, source: str = "bars", config: QualityConfig | None = None
) -> QualityReport:
    """`check_quality` with the gap rule only: the one rule repaired bars can still break."""
    return _check(bars, source, config or QualityConfig(), lambda *args: [_gap_finding(*args)])


def _check(
    bars: pd.DataFrame,
    source: str,
    config: QualityConfig,
    findings: Callable[[_Frame, Positions, QualityConfig, Timeframe | None], list[Finding]],
) -> QualityReport:
    frame = _Frame.of(bars)
    view = _clean_view(frame)
    timeframe = _timeframe(frame.stamps[view], config)
    report = QualityReport(
        source=source,
        rows=len(bars),
        calendar=get_calendar(config.calendar).name,
        timeframe=timeframe.label if timeframe else None,
    )
    found: list[Issue] = []
    for rule, positions, describe in findings(frame, view, config, timeframe):
        report.counts[rule] = len(positions)
        for position in np.sort(positions)[: config.max_issues_per_rule]:
            found.append(
                Issue(rule, int(position) + 1, frame.timestamp(position), describe(int(position)))
            )
    report.issues = sorted(found, key=lambda issue: (issue.row, _RULE_ORDER[issue.rule]))
    return report


@dataclass(frozen=True)
class _Frame:
    """The arrays the rules work on, in the frame's own row order."""

    stamps: npt.NDArray[np.int64]
    tz: Any
    prices: dict[str, Floats]
    volume: Floats | None
    extra: dict[str, Floats]

    @classmethod
    def of(cls, bars: pd.DataFrame) -> _Frame:
        if not isinstance(bars.index, pd.DatetimeIndex):
            raise DataError("bars must be indexed by timestamps (a DatetimeIndex)")
        missing = missing_fields(bars.columns)
        if missing:
            raise DataError(f"bars are missing columns: {', '.join(missing)}")
        extra = {
            name: bars[name].to_numpy(np.float64)
            for name in bars.columns
            if name not in (*BAR_FIELDS, "volume") and pd.api.types.is_numeric_dtype(bars[name])
        }
        volume = bars["volume"].to_numpy(np.float64) if "volume" in bars.columns else None
        return cls(
            stamps=bars.index.asi8,
            tz=bars.index.tz,
            prices={name: bars[name].to_numpy(np.float64) for name in BAR_FIELDS},
            volume=volume,
            extra=extra,
        )

    def timestamp(self, position: int) -> pd.Timestamp:
        return pd.Timestamp(int(self.stamps[position]), tz=self.tz)

    def numeric(self) -> Iterator[tuple[str, Floats]]:
        yield from self.prices.items()
        if self.volume is not None:
            yield "volume", self.volume
        yield from self.extra.items()


Finding = tuple[str, Positions, Callable[[int], str]]


def _findings(
    frame: _Frame, view: Positions, config: QualityConfig, timeframe: Timeframe | None
) -> list[Finding]:
    findings = [*_timestamp_findings(frame), *_value_findings(frame), *_ohlc_findings(frame)]
    closes = frame.prices["close"][view]
    # One local sigma for both spike rules (the medians behind it are most of their cost).
    sigma = _local_sigma(np.diff(np.log(closes)), config.spike_block) if len(view) >= 5 else None
    spikes, sigmas = _spikes(closes, config.spike_k, config.spike_block, sigma)
    findings.append(
        (
            "spike",
            view[spikes],
            _spike_detail(dict(zip(view[spikes].tolist(), sigmas.tolist(), strict=True))),
        )
    )
    findings.append(_wick_finding(frame, view, config, sigma))
    findings.append(_gap_finding(frame, view, config, timeframe))
    return findings


def _wick_finding(
    frame: _Frame, view: Positions, config: QualityConfig, close_sigma: Floats | None
) -> Finding:
    o, h, low, c = (frame.prices[name][view] for name in BAR_FIELDS)
    flagged, up, down, sigma = _wick_spikes(
        o, h, low, c, config.spike_k, config.spike_block, close_sigma
    )
    sizes = {
        int(view[i]): (float(u), float(d))
        for i, u, d in zip(flagged, up / sigma, down / sigma, strict=True)
    }

    def describe(position: int) -> str:
        return "; ".join(
            f"{name}={frame.prices[name][position]:g} is {size:.1f} robust sigmas beyond the body"
            for name, size in zip(("high", "low"), sizes[position], strict=True)
            if size > config.spike_k
        )

    return ("wick_spike", view[flagged], describe)


def wick_spikes(
    open_: Floats, high: Floats, low: Floats, close: Floats, *, k: float, block: int = 256
) -> tuple[Positions, Positions]:
    """Positions of bars whose high (first) and whose low (second) reach more than k local
    robust sigmas of close-to-close returns beyond the bar's body. Needs at least 5 bars."""
    positions, up, down, sigma = _wick_spikes(open_, high, low, close, k, block)
    return positions[up > k * sigma], positions[down > k * sigma]


def _wick_spikes(
    open_: Floats,
    high: Floats,
    low: Floats,
    close: Floats,
    k: float,
    block: int,
    sigma: Floats | None = None,
) -> tuple[Positions, Floats, Floats, Floats]:
    """Flagged positions, each one's upper and lower wick (log) and its sigma. `sigma` is the
    closes' local sigma when the caller has it already."""
    empty = np.empty(0)
    if len(close) < 5 or not np.isfinite(k):
        return np.empty(0, dtype=np.intp), empty, empty, empty
    if sigma is None:
        sigma = _local_sigma(np.diff(np.log(close)), block)
    bar_sigma = np.concatenate([sigma[:1], sigma])  # bar i by the move into it, bar 0 by the first
    with np.errstate(divide="ignore", invalid="ignore"):  # rows other rules reject
        up = np.log(high / np.maximum(open_, close))
        down = np.log(np.minimum(open_, close) / low)
    # The typical wick is a second yardstick: closes that never move (a flat quote with
    # ordinary wicks) still judge a wick 100x the others, and wide-ranging bars are not flagged
    # for wicks like everyone else's.
    wicks = np.abs(np.concatenate([up, down]))
    wicks = wicks[np.isfinite(wicks) & (wicks > 0)]
    wicks = wicks[:: max(1, len(wicks) // _TYPICAL_SAMPLE)]  # a median needs no million values
    typical = _MAD_TO_SIGMA * float(np.median(wicks)) if len(wicks) else 0.0
    scale = np.maximum(bar_sigma, typical)
    scale = np.where(scale > 0, scale, np.inf)  # nothing ever moves: nothing is judged
    flagged = np.flatnonzero((up > k * scale) | (down > k * scale))
    return flagged, up[flagged], down[flagged], scale[flagged]


def _timestamp_findings(frame: _Frame) -> list[Finding]:
    stamps = frame.stamps
    if not rules.not_after_previous(stamps).any():
        empty = np.empty(0, dtype=np.intp)
        return [("duplicate", empty, str), ("non_monotonic", empty, str)]
    unique, first_at = np.unique(stamps, return_index=True)
    is_first = np.zeros(len(stamps), dtype=bool)
    is_first[first_at] = True
    duplicates = np.flatnonzero(~is_first)

    def same_as(position: int) -> str:
        first = first_at[np.searchsorted(unique, stamps[position])]
        return f"same timestamp as row {first + 1}"

    backwards = np.flatnonzero(rules.earlier_than_previous(stamps))

    def earlier_than(position: int) -> str:
        return f"after row {position} at {frame.timestamp(position - 1)}"

    return [("duplicate", duplicates, same_as), ("non_monotonic", backwards, earlier_than)]


def _value_findings(frame: _Frame) -> list[Finding]:
    columns = dict(frame.numeric())
    non_finite = rules.non_finite(*columns.values())
    non_positive = ~non_finite & rules.non_positive(*frame.prices.values())
    implausible = rules.implausible_price(*frame.prices.values())
    volume = frame.volume if frame.volume is not None else np.zeros(len(frame.stamps))
    return [
        ("non_finite", np.flatnonzero(non_finite), _values(columns, lambda v: not np.isfinite(v))),
        ("non_positive", np.flatnonzero(non_positive), _values(frame.prices, lambda v: v <= 0)),
        ("price_range", np.flatnonzero(implausible), _values(frame.prices, _implausible)),
        (
            "negative_volume",
            np.flatnonzero(rules.negative(volume)),
            _values({"volume": volume}, lambda v: True),
        ),
    ]


def _ohlc_findings(frame: _Frame) -> list[Finding]:
    o, h, low, c = (frame.prices[name] for name in BAR_FIELDS)
    describe = _values(frame.prices, lambda v: True)
    return [
        ("high_below_low", np.flatnonzero(rules.high_below_low(h, low)), describe),
        ("high_below_body", np.flatnonzero(rules.high_below_body(o, h, c)), describe),
        ("low_above_body", np.flatnonzero(rules.low_above_body(o, low, c)), describe),
    ]


def _implausible(value: float) -> bool:
    return bool(rules.implausible_price(np.array([value]))[0])


def _values(columns: dict[str, Floats], pick: Callable[[float], bool]) -> Callable[[int], str]:
    def describe(position: int) -> str:
        return ", ".join(
            f"{name}={values[position]:g}"
            for name, values in columns.items()
            if pick(float(values[position]))
        )

    return describe


def _clean_view(frame: _Frame) -> Positions:
    """Row positions of the frame as repair would leave them before spike removal: finite,
    positive prices, sorted by time, one row per timestamp (the last)."""
    prices = frame.prices.values()
    usable = np.flatnonzero(~(rules.bad_price(*prices) | rules.implausible_price(*prices)))
    ordered = usable[np.argsort(frame.stamps[usable], kind="stable")]
    stamps = frame.stamps[ordered]
    is_last = np.ones(len(ordered), dtype=bool)
    is_last[:-1] = stamps[1:] != stamps[:-1]
    return ordered[is_last]


def find_spikes(closes: Floats, *, k: float, block: int = 256) -> Positions:
    """Positions of bars whose close jumps > k local robust sigmas and reverts next bar.

    Needs at least 5 bars. Reverting means the next return has the opposite sign and brings
    the price back by at least half the jump.
    """
    return _spikes(closes, k, block)[0]


def _spikes(
    closes: Floats, k: float, block: int, sigma: Floats | None = None
) -> tuple[Positions, Floats]:
    """`find_spikes`' positions, and each spike's move in local robust sigmas."""
    if len(closes) < 5:
        return np.empty(0, dtype=np.intp), np.empty(0)
    returns = np.diff(np.log(closes))
    if sigma is None:
        sigma = _local_sigma(returns, block)
    jump, after = returns[:-1], returns[1:]
    reverts = (jump * after < 0) & (np.abs(jump + after) <= 0.5 * np.abs(jump))
    # A zero sigma means nothing ever moves: no move can be judged an outlier.
    outlier = np.abs(jump) > k * np.where(sigma > 0, sigma, np.inf)[:-1]
    # returns[j] moves bar j → j+1, so a spike at return j is the bar j+1.
    spikes = np.flatnonzero(outlier & reverts) + 1
    return spikes, returns[spikes - 1] / sigma[spikes - 1]


def _local_sigma(returns: Floats, block: int) -> Floats:
    """MAD-based sigma per block of `block` returns: the largest of the block's own and its two
    neighbours', so a bar near the start of a volatile stretch is judged by that stretch.

    Falls back to the global median of non-zero moves where a block never moves (prices on a
    coarse tick grid), and to 0 (no spike can be found) when nothing ever moves.
    """
    size = len(returns)
    blocks = max(1, size // block)
    magnitudes = np.abs(returns)
    # Equal blocks in one vectorized median; the last block also takes the remainder.
    split = (blocks - 1) * block
    per_block = np.append(
        np.median(magnitudes[:split].reshape(blocks - 1, block), axis=1),
        np.median(magnitudes[split:]),
    )
    padded = np.concatenate([per_block[:1], per_block, per_block[-1:]])
    widest = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    lengths = np.full(blocks, block)
    lengths[-1] = size - split
    sigma = _MAD_TO_SIGMA * np.repeat(widest, lengths)
    moving = magnitudes[magnitudes > 0]
    fallback = _MAD_TO_SIGMA * float(np.median(moving)) if len(moving) else 0.0
    sigma[sigma == 0] = fallback
    return sigma


def _spike_detail(scores: dict[int, float]) -> Callable[[int], str]:
    def describe(position: int) -> str:
        return f"close moves {scores[position]:+.1f} robust sigmas, then reverts"

    return describe


def _timeframe(sorted_stamps: npt.NDArray[np.int64], config: QualityConfig) -> Timeframe | None:
    if config.timeframe is not None:
        return parse_timeframe(config.timeframe)
    return infer_timeframe(pd.DatetimeIndex(sorted_stamps))


def _gap_finding(
    frame: _Frame, view: Positions, config: QualityConfig, timeframe: Timeframe | None
) -> Finding:
    calendar = get_calendar(config.calendar)
    if not calendar.checks_gaps or timeframe is None or len(view) < 2:
        return ("gap", np.empty(0, dtype=np.intp), str)
    stamps = frame.stamps[view]
    missing = calendar.missing_bars(stamps, timeframe.nanos)
    after = np.flatnonzero(missing > config.gap_bars) + 1
    step_of_row = {int(view[i]): int(i) for i in after}

    def describe(position: int) -> str:
        i = step_of_row[position]
        previous = frame.timestamp(int(view[i - 1]))
        return f"{int(missing[i - 1])} {timeframe.label} bars missing after {previous}"

    return ("gap", view[after], describe)
