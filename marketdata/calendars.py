"""Session calendars: when a market is open, so that a weekend is not mistaken for a data gap.

"fx":   open all week except the weekend, Friday 22:00 → Sunday 22:00 UTC (New York 17:00 in
        winter). In summer New York's close is 21:00 UTC, so the gap check also tolerates a
        missing Friday 21:00-22:00 hour (`dst_slack`); the generator uses the exact window.
"24x7": always open (crypto).
"none": no calendar; the gap check is switched off.

Exchange-calendar libraries model exchange sessions and holidays; the FX week is one closed
window per week, which a few lines of vectorized arithmetic express exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from marketdata.errors import DataError

__all__ = ["CALENDARS", "CalendarName", "SessionCalendar", "get_calendar"]

CalendarName = Literal["fx", "24x7", "none"]

_HOUR = 3_600_000_000_000
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY
_MONDAY = 4 * _DAY  # 1970-01-05, the first Monday after the epoch (a Thursday)


@dataclass(frozen=True)
class SessionCalendar:
    """A weekly calendar with at most one closed window, offsets in ns from Monday 00:00 UTC."""

    name: str
    closed_start: int | None = None
    closed_end: int | None = None
    dst_slack: int = 0
    checks_gaps: bool = True

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


CALENDARS: dict[str, SessionCalendar] = {
    "fx": SessionCalendar(
        "fx", closed_start=4 * _DAY + 22 * _HOUR, closed_end=6 * _DAY + 22 * _HOUR, dst_slack=_HOUR
    ),
    "24x7": SessionCalendar("24x7"),
    "none": SessionCalendar("none", checks_gaps=False),
}


def get_calendar(name: str | SessionCalendar) -> SessionCalendar:
    if isinstance(name, SessionCalendar):
        return name
    try:
        return CALENDARS[name]
    except KeyError:
        raise DataError(
            f"unknown calendar {name!r}; choose one of {', '.join(CALENDARS)}"
        ) from None
