"""Per-bar marks: each closed bar's equity, positions and margin level, taken once the venue
has applied everything it does at that bar's close.

The venue applies bar-close fills and financing after the host's `on_bar` returns, so a
bar is held here and marked at the next event the host sees: the next opening quote, the
next bar, or the stop. With next-open execution that mark is also the account the bar's
decision sees (`Snapshot`): the margin check runs on it (`MarginMonitor.check`), and a
bar-close host checks before its orders instead and hands the level in (`hold`). The caller
reads the account (`Holdings`) only when a bar is held (`pending`).
"""

from __future__ import annotations

from decimal import Decimal

from execution_engine.host.account import Holdings
from execution_engine.host.margin import MarginMonitor
from execution_engine.host.rebalance import Snapshot
from execution_engine.host.reporter import HostReporter


class BarMarks:
    """`monitor` (a margin account with next-open execution) checks each mark; `record`
    False keeps the snapshots but writes no marks (benchmarks); `snapshots` False (bar-close
    execution: the decision saw the account at its close already) builds none."""

    def __init__(
        self,
        reporter: HostReporter,
        monitor: MarginMonitor | None,
        record: bool = True,
        snapshots: bool = True,
    ) -> None:
        self._reporter = reporter
        self._monitor = monitor
        self._record = record
        self._snapshots = snapshots
        # bar, open ns, closes, margin level already checked (bar-close execution), and the
        # account read the close's check valued with its equity (None: none was)
        self._unmarked: _Held | None = None

    def hold(
        self,
        bar: int,
        open_ns: int,
        closes: list[Decimal],
        level: Decimal | None = None,
        checked: tuple[Holdings, Decimal | None] | None = None,
    ) -> None:
        self._unmarked = (bar, open_ns, closes, level, checked)

    @property
    def pending(self) -> bool:
        """A bar is held, waiting for its mark."""
        return self._unmarked is not None

    def flush(self, holdings: Holdings) -> Snapshot | None:
        """Mark the held bar, if any, at its closes with the account as `holdings` has it;
        its snapshot (None: nothing held, or no snapshots built)."""
        if self._unmarked is None:
            return None
        bar, open_ns, closes, level, checked = self._unmarked
        self._unmarked = None
        if checked is not None and checked[0] is holdings:
            # Nothing changed the account since the close's check: the same read at the
            # same closes is the same equity (the common bar, spared the Decimal sum).
            equity = checked[1]
        else:
            equity = holdings.equity(closes)
        snapshot = None
        if self._snapshots:
            snapshot = Snapshot(bar, equity, list(holdings.net), list(closes))
        if self._monitor is not None and equity is not None:
            level = self._monitor.check(bar, equity, holdings.net, closes)
        if self._record:
            # One list per account read, shared by the marks it serves (they only read it).
            self._reporter.mark(open_ns, equity, holdings.net_floats, level)
        return snapshot


_Held = tuple[int, int, list[Decimal], Decimal | None, tuple[Holdings, Decimal | None] | None]
