"""When an order is due (ADR 0002 §13), from the decider's processed targets and the account
at the bar's close.

- "off": only where the processed target changed (§3);
- "every_bar": every column, every bar (the executor sizes it; a zero-size order is none);
- "drift": where the target changed, or the weight w = position · close / equity at the
  close is more than `threshold` from the target f.
An order due without a change of the target is reported with reason "rebalance", as the
vectorized engine's (research.engine.kernel.due_reason).

The account a decision sees (`Snapshot`) is the one just before the decision's execution
point, valued at the bar's closes: after the bar's fills and financing for next-open
execution, before the bar's own fills for bar-close execution. The margin check reads the
same snapshot, so a stop-out and a rebalance see one account.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

REBALANCE_MODES = ("off", "every_bar", "drift")


@dataclass(frozen=True)
class Snapshot:
    """The account at a bar's close: equity (None before the venue has an account), units
    held and the closes, per column."""

    bar: int
    equity: Decimal | None
    positions: list[Decimal]
    closes: list[Decimal]

    def weight(self, col: int) -> Decimal | None:
        """Column `col`'s weight in the equity, or None while the equity is not positive."""
        if self.equity is None or self.equity <= 0:
            return None
        return self.positions[col] * self.closes[col] / self.equity


class Rebalancer:
    def __init__(self, mode: str, threshold: float) -> None:
        self.mode = mode
        self._threshold = Decimal(repr(threshold))

    def due(
        self, changed: dict[int, float], targets: list[float], snapshot: Snapshot | None
    ) -> dict[int, Due]:
        """Column → the order due there: its processed target and why ("target": it
        changed, "rebalance": every_bar or a drift)."""
        due = {col: Due(target, "target") for col, target in changed.items()}
        if self.mode == "off":
            return due
        for col, target in enumerate(targets):
            if col not in due and self._rebalances(col, target, snapshot):
                due[col] = Due(target, "rebalance")
        return due

    def _rebalances(self, col: int, target: float, snapshot: Snapshot | None) -> bool:
        if self.mode == "every_bar":
            return True
        weight = None if snapshot is None else snapshot.weight(col)
        return weight is not None and abs(weight - Decimal(repr(target))) > self._threshold


@dataclass(frozen=True)
class Due:
    target: float
    reason: str  # "target" | "rebalance"
