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
    False keeps the snapshots but writes no marks (benchmarks)."""

    def __init__(
        self, reporter: HostReporter, monitor: MarginMonitor | None, record: bool = True
    ) -> None:
        self._reporter = reporter
        self._monitor = monitor
        self._record = record
        # bar, open ns, closes, margin level already checked (bar-close execution)
        self._unmarked: tuple[int, int, list[Decimal], Decimal | None] | None = None

    def hold(
        self, bar: int, open_ns: int, closes: list[Decimal], level: Decimal | None = None
    ) -> None:
        self._unmarked = (bar, open_ns, list(closes), level)

    @property
    def pending(self) -> bool:
        """A bar is held, waiting for its mark."""
        return self._unmarked is not None

    def flush(self, holdings: Holdings) -> Snapshot | None:
        """Mark the held bar, if any, at its closes with the account as `holdings` has it;
        its snapshot (None: nothing held)."""
        if self._unmarked is None:
            return None
        bar, open_ns, closes, level = self._unmarked
        self._unmarked = None
        snapshot = take_snapshot(holdings, bar, closes)
        if self._monitor is not None and snapshot.equity is not None:
            level = self._monitor.check(bar, snapshot.equity, snapshot.positions, closes)
        if self._record:
            positions = [float(units) for units in holdings.net]
            self._reporter.mark(open_ns, snapshot.equity, positions, level)
        return snapshot


def take_snapshot(holdings: Holdings, bar: int, closes: list[Decimal]) -> Snapshot:
    return Snapshot(bar, holdings.equity(closes), list(holdings.net), list(closes))
