"""Per-bar marks: each closed bar's equity and positions, taken once the venue has applied
everything it does at that bar's close.

The venue applies bar-close fills and financing after the host's `on_bar` returns, so a
bar is held here and marked at the next event the host sees: the next opening quote, the
next bar, or the stop.
"""

from __future__ import annotations

from decimal import Decimal

from execution_engine.host.account import HostAccount
from execution_engine.host.reporter import HostReporter


class BarMarks:
    def __init__(self, reporter: HostReporter) -> None:
        self._reporter = reporter
        self._unmarked: tuple[int, list[Decimal]] | None = None  # bar open ns, closes

    def hold(self, open_ns: int, closes: list[Decimal]) -> None:
        self._unmarked = (open_ns, list(closes))

    def flush(self, account: HostAccount) -> None:
        """Mark the held bar, if any, at its closes."""
        if self._unmarked is None:
            return
        open_ns, closes = self._unmarked
        self._unmarked = None
        self._reporter.mark(open_ns, account.equity(closes), account.positions())
