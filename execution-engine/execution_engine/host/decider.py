"""The decider: keeps the bar window, asks the hosted strategy for its targets at each bar
close and turns the newest into processed targets (ADR 0002 §1-3).

Per bar it uses, in this order: the strategy's incremental state (one O(1) `update` per
bar and instrument, strategies.incremental), else `target` on a trailing window (the
host's `window`, else the strategy's declared `lookback`), else `target` on the whole
history. All three give the newest value of `target` over the history so far.

It decides what to hold, never how much: it reports which processed targets changed
(when an order is due is the rebalancer's, host.rebalance; sizing and orders the
executor's). On a cash account a processed target is capped at 1, and a negative one after
warm-up is refused: reported, and traded as 0 (a backtest refuses it before the run).
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pandas as pd

from execution_engine.host.reporter import HostReporter
from execution_engine.host.window import BarWindow, Row
from execution_engine.targets import TargetRules, bad_target_reason
from strategies import StrategyOutputError
from strategies.base import Strategy as GauntletStrategy
from strategies.incremental import (
    IncrementalTarget,
    incremental_state,
    reads_closes_only,
    window_for,
)

_NO_CLOSES = np.empty(0)


class Decider:
    """`columns` are the names the strategy sees (panel columns, or the one instrument's
    symbol); `window` bounds the bars it is shown (None: all of them)."""

    def __init__(
        self,
        strategy: GauntletStrategy[Any],
        columns: list[str],
        panel: bool,
        window: int | None,
        rules: TargetRules,
        reporter: HostReporter,
        cash_account: bool = False,
    ) -> None:
        self.strategy = strategy
        self._warmup = strategy.warmup  # a property computed from the parameters: read once
        self._cash_account = cash_account
        self.rules = rules
        self._columns = columns
        self._panel = panel
        self._reporter = reporter
        keep = rules.vol_window + 2  # the closes the vol-scaled target rules read
        self._states = self._incremental_states(len(columns))
        # With states the window only feeds the target rules: bounded, never a frame.
        shown = keep if self._states is not None else window_for(strategy, window)
        self._window = BarWindow(columns, panel, shown, keep=keep)
        # With states and no vol scaling nothing reads the window: no bar is kept.
        self._keeps_bars = self._states is None or rules.vol_scaled
        # Every state reads only the close (and the window, if kept, only feeds the target
        # rules' closes): the host need not read the bars' other fields.
        self.closes_only = self._states is not None and all(
            reads_closes_only(state) for state in self._states
        )
        self._held = [0.0] * len(columns)  # the last processed target per column
        self._preloaded: dict[int, list[float]] | None = None  # bar open ns → raw targets
        # Load the compiled target kernel now, not on the first bar: a live node must not
        # spend its first decision (~0.2 s) in numba's cache.
        rules.process(0.0, np.zeros(1))

    def preload(self, bars: pd.DataFrame) -> None:
        """Compute the raw targets once over the whole history (see
        `GauntletStrategyHost.preload_targets`)."""
        table = self._target_table(bars)
        values = table.to_numpy(dtype=float).reshape(len(table), -1)
        self._preloaded = dict(zip(table.index.asi8.tolist(), values.tolist(), strict=True))

    def target_of(self, col: int) -> float:
        """The processed target column `col` holds (or is about to)."""
        return self._held[col]

    @property
    def targets(self) -> list[float]:
        """Every column's processed target (held, or about to be)."""
        return list(self._held)

    def flatten(self) -> None:
        """After a stop-out every column holds a processed target of 0 (ADR 0002 §12): the
        next due order re-enters."""
        self._held = [0.0] * len(self._held)

    def decide(self, bar_index: int, open_ns: int, rows: dict[int, Row]) -> dict[int, float]:
        """Append the closed bar; return column → new processed target for every column
        whose processed target changed (empty when the strategy failed)."""
        if self._keeps_bars:
            self._window.append(open_ns, rows)
        preloaded = self._preloaded
        if preloaded is not None:
            raw = preloaded.get(open_ns)
        elif self._states is not None:
            raw = self._updated(self._states, rows)
        else:
            raw = self._raw_targets()
        self._reporter.records.raw_targets.append(raw or [math.nan] * len(self._columns))
        if raw is None:
            return {}
        in_warmup = bar_index < self._warmup
        changed: dict[int, float] = {}
        for col, value in enumerate(raw):
            if not in_warmup and (reason := bad_target_reason(value)) is not None:
                self._reporter.problem(
                    "bad_target", col, f"{reason} at bar {bar_index}; holding position"
                )
                continue
            target = self.rules.process(value, self._closes(col))
            if self._cash_account:
                if target < 0.0 and not in_warmup:
                    # A live node cannot refuse the run up front as a backtest does: the
                    # short is refused and the position goes flat, not held long.
                    message = (
                        f"target {target:g} at bar {bar_index}: a cash account cannot short; "
                        "going flat"
                    )
                    self._reporter.problem("short_refused", col, message)
                target = min(max(target, 0.0), 1.0)  # no shorts, no leverage (§12)
            if target != self._held[col]:
                self._held[col] = target
                changed[col] = target
        return changed

    def _closes(self, col: int) -> np.ndarray:
        """The closes the target rules read (none when they read none)."""
        if not self._keeps_bars:
            return _NO_CLOSES
        return self._window.closes(col, self.rules.vol_window + 1)

    def _incremental_states(self, count: int) -> list[IncrementalTarget] | None:
        """One state per column, or None when the strategy declares none."""
        first = incremental_state(self.strategy)
        if first is None:
            return None
        return [first] + [
            cast(IncrementalTarget, incremental_state(self.strategy)) for _ in range(count - 1)
        ]

    def _updated(self, states: list[IncrementalTarget], rows: dict[int, Row]) -> list[float] | None:
        try:
            return [
                state.update(*rows[col]) if col in rows else math.nan
                for col, state in enumerate(states)
            ]
        except Exception as exc:  # a strategy bug must not take the node down
            self._reporter.problem("strategy_error", None, f"{type(exc).__name__}: {exc}")
            return None

    def _raw_targets(self) -> list[float] | None:
        try:
            out = self._target_table(self._window.frame())
        except Exception as exc:  # a strategy bug must not take the node down
            self._reporter.problem("strategy_error", None, f"{type(exc).__name__}: {exc}")
            return None
        last = out.iloc[-1]
        if self._panel:
            return [float(last[c]) for c in self._columns]
        return [float(last)]

    def _target_table(self, frame: pd.DataFrame) -> Any:
        try:
            return self.strategy.target(frame)
        except StrategyOutputError:
            # Validation covers the whole window; we trade only the newest value, and
            # `bad_target_reason` reports it if that one is bad.
            return self._unchecked_target(frame)

    def _unchecked_target(self, frame: pd.DataFrame) -> Any:
        if not self._panel:
            return self.strategy.compute(frame)
        # A panel column is the instrument's own bar frame (the MultiIndex's first level).
        return pd.DataFrame(
            {c: self.strategy.compute(cast(pd.DataFrame, frame[c])) for c in self._columns}
        )
