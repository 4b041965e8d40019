"""Session calendars: when a market is open, so that a weekend is not mistaken for a data gap.

"fx":   open all week except the weekend, Friday 22:00 → Sunday 22:00 UTC (New York 17:00 in
        winter). In summer New York's close is 21:00 UTC, so the gap check also tolerates a
        missing Friday 21:00-22:00 hour (`dst_slack`); the generator uses the exact window.
        Closed on Christmas and New Year's Day (New York 17:00 the day before to 17:00, which
        is winter: 22:00 UTC); the gap check and annualisation skip those days.
"24x7": always open (crypto).
"none": no calendar; the gap check is switched off.
An exchange's MIC ("XNYS", "XLON", "XETR", ...): its sessions and holidays from the
exchange-calendars package (`ExchangeCalendar`), so a missing session is a gap and a holiday
or a weekend is not.

The FX week is one closed window per week, which a few lines of vectorized arithmetic express
exactly; exchanges have holidays and early closes, which only a schedule expresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from marketdata.errors import DataError

if TYPE_CHECKING:
    import exchange_calendars

__all__ = [
    "CALENDARS",
    "Calendar",
    "CalendarName",
    "ExchangeCalendar",
    "SessionCalendar",
    "get_calendar",
]

CalendarName = Literal["fx", "24x7", "none"]

_HOUR = 3_600_000_000_000
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY
_MONDAY = 4 * _DAY  # 1970-01-05, the first Monday after the epoch (a Thursday)
_DAYS_PER_YEAR = 365.25
_REFERENCE = ("2015-01-01", "2025-01-01")  # the years annualisation averages over


class Calendar(Protocol):
    """What the gap check and annualisation ask of a calendar."""

    @property
    def name(self) -> str: ...

    @property
    def checks_gaps(self) -> bool: ...

    def missing_bars(self, stamps: npt.NDArray[np.int64], bar_ns: int) -> npt.NDArray[np.int64]:
        """Expected bars missing between each pair of consecutive `stamps` (sorted, UTC ns)."""
        ...

    def bars_per_year(self, bar_ns: int) -> float:
        """Bars of length `bar_ns` the market is open for in an average year."""
        ...


@dataclass(frozen=True)
class SessionCalendar:
    """A weekly calendar with at most one closed window, offsets in ns from Monday 00:00 UTC."""

    name: str
    closed_start: int | None = None
    closed_end: int | None = None
    dst_slack: int = 0
    checks_gaps: bool = True
    holidays: tuple[tuple[int, int], ...] = ()  # (month, day), closed from 22:00 UTC the eve

    def is_open(self, stamps: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """True where a bar opening at `stamps` (UTC epoch ns) falls inside the session."""
        if self.closed_start is None or self.closed_end is None:
            return np.ones(len(stamps), dtype=bool)
        position = np.mod(stamps - _MONDAY, _WEEK)
        return (position < self.closed_start) | (position >= self.closed_end)

    def open_elapsed(self, stamps: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Open-market time elapsed since a fixed origin, so t1 - t0 counts session time only.

        The closed window is widened by `dst_slack` at its start (see the module docstring).
        """
        if self.closed_start is None or self.closed_end is None:
            return stamps
        start = self.closed_start - self.dst_slack
        closed = self.closed_end - start
        weeks = np.floor_divide(stamps - _MONDAY, _WEEK)
        position = np.mod(stamps - _MONDAY, _WEEK)
        in_week = np.where(
            position < start,
            position,
            np.where(position < self.closed_end, start, position - closed),
        )
        return weeks * (_WEEK - closed) + in_week

    def missing_bars(self, stamps: npt.NDArray[np.int64], bar_ns: int) -> npt.NDArray[np.int64]:
        elapsed = self.open_elapsed(stamps) - self._holiday_elapsed(stamps)
        return np.asarray(np.diff(elapsed) // bar_ns - 1, dtype=np.int64)

    def bars_per_year(self, bar_ns: int) -> float:
        """Open time of the years 2015-2024 (holidays and weekends out), in bars per year."""
        ends = np.array([pd.Timestamp(t, tz="UTC").value for t in _REFERENCE], dtype=np.int64)
        if self.closed_start is None or self.closed_end is None:
            open_ns = float(ends[1] - ends[0])
        else:
            closed = self.closed_end - self.closed_start  # the exact window, no DST slack
            open_ns = float(ends[1] - ends[0]) * (_WEEK - closed) / _WEEK
        open_ns -= float(np.diff(self._holiday_elapsed(ends))[0])
        years = float(ends[1] - ends[0]) / _DAY / _DAYS_PER_YEAR
        return open_ns / years / max(bar_ns, 1)

    def _holiday_elapsed(self, stamps: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Open-market time inside holiday closures since the origin, per stamp: subtracted
        from `open_elapsed`, a closure is no more expected bars than a weekend."""
        out = np.zeros(len(stamps), dtype=np.int64)
        if not self.holidays or len(stamps) == 0:
            return out
        years = range(
            pd.Timestamp(int(stamps.min())).year, pd.Timestamp(int(stamps.max())).year + 2
        )
        elapsed = self.open_elapsed(stamps)
        for year in years:
            for month, day in self.holidays:
                end = pd.Timestamp(year=year, month=month, day=day, hour=22, tz="UTC").value
                window = self.open_elapsed(np.array([end - _DAY, end], dtype=np.int64))
                inside = np.clip(elapsed - window[0], 0, window[1] - window[0])
                out += inside
        return out


@dataclass(frozen=True)
class ExchangeCalendar:
    """An exchange's sessions (exchange-calendars, by MIC): holidays and early closes included.

    Daily bars are matched to session dates; intraday bars to the bar opens of each session
    (open, open + bar, ... before the close).
    """

    name: str
    checks_gaps: bool = True
    _reference: tuple[str, str] = field(default=_REFERENCE, repr=False)

    def missing_bars(self, stamps: npt.NDArray[np.int64], bar_ns: int) -> npt.NDArray[np.int64]:
        if len(stamps) < 2:
            return np.empty(0, dtype=np.int64)
        if bar_ns < _DAY:
            # Session time, like the FX week: bars stamped off the session's grid (on the hour
            # when the session opens at :30) must not read as one missing bar each.
            elapsed = self._session_elapsed(stamps)
            return np.asarray(np.maximum(np.diff(elapsed) // bar_ns - 1, 0), dtype=np.int64)
        observed = stamps - stamps % _DAY
        expected = self._expected(int(stamps[0]), int(stamps[-1]), bar_ns)
        after_previous = np.searchsorted(expected, observed[:-1], side="right")
        before_next = np.searchsorted(expected, observed[1:], side="left")
        return np.asarray(np.maximum(before_next - after_previous, 0), dtype=np.int64)

    def bars_per_year(self, bar_ns: int) -> float:
        start, end = (pd.Timestamp(t, tz="UTC").value for t in self._reference)
        years = (end - start) / _DAY / _DAYS_PER_YEAR
        return len(self._expected(start, end, bar_ns)) / years

    def _session_elapsed(self, stamps: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """In-session time from the first session of the range to each stamp."""
        schedule = _schedule(self.name, int(stamps.min()) - 7 * _DAY, int(stamps.max()) + 7 * _DAY)
        opens = schedule["open"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        closes = schedule["close"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        lengths = closes - opens
        before = np.concatenate(([0], np.cumsum(lengths)))
        session = np.searchsorted(opens, stamps, side="right") - 1
        inside = np.clip(stamps - opens[np.maximum(session, 0)], 0, lengths[np.maximum(session, 0)])
        return np.where(session >= 0, before[np.maximum(session, 0)] + inside, 0)

    def _expected(self, start: int, end: int, bar_ns: int) -> npt.NDArray[np.int64]:
        """Session dates (UTC midnight) for daily bars, else every bar open in a session."""
        schedule = _schedule(self.name, start - 7 * _DAY, end + 7 * _DAY)
        if bar_ns >= _DAY:
            return np.asarray(pd.DatetimeIndex(schedule.index).asi8, dtype=np.int64)
        opens = schedule["open"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        closes = schedule["close"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        counts = -((opens - closes) // bar_ns)  # ceil: a last, shorter bar still opens
        starts = np.repeat(opens, counts)
        within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        return np.asarray(starts + within * bar_ns, dtype=np.int64)


def _schedule(name: str, start: int, end: int) -> pd.DataFrame:
    calendar = _exchange(name)
    first = max(pd.Timestamp(start).normalize(), calendar.first_session)
    last = min(pd.Timestamp(end).normalize(), calendar.last_session)
    sessions: pd.DataFrame = calendar.schedule.loc[first:last]
    return sessions


@lru_cache(maxsize=16)
def _exchange(name: str) -> exchange_calendars.ExchangeCalendar:
    """The exchange's calendar over its whole supported range (built once per name)."""
    import exchange_calendars  # about half a second to import: only for exchange calendars

    return exchange_calendars.get_calendar(name, start="1990-01-01")


CALENDARS: dict[str, SessionCalendar] = {
    "fx": SessionCalendar(
        "fx",
        closed_start=4 * _DAY + 22 * _HOUR,
        closed_end=6 * _DAY + 22 * _HOUR,
        dst_slack=_HOUR,
        holidays=((12, 25), (1, 1)),
    ),
    "24x7": SessionCalendar("24x7"),
    "none": SessionCalendar("none", checks_gaps=False),
}


def get_calendar(name: str | SessionCalendar | ExchangeCalendar) -> Calendar:
    if isinstance(name, SessionCalendar | ExchangeCalendar):
        return name
    if name in CALENDARS:
        return CALENDARS[name]
    if _is_exchange(name):
        return ExchangeCalendar(name.upper())
    raise DataError(
        f"unknown calendar {name!r}; choose one of {', '.join(CALENDARS)} or an exchange "
        "code such as XNYS (exchange-calendars)"
    )


def _is_exchange(name: str) -> bool:
    if not name.isalnum():
        return False
    import exchange_calendars

    return name.upper() in exchange_calendars.get_calendar_names(include_aliases=False)
