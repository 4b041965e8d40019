"""The hosted strategy on live bars that NautilusTrader aggregates by tick count.

`GauntletStrategyHost.on_start` takes the bar interval from the bar spec's `timedelta`, which
NautilusTrader only defines for time bars: a 4-TICK-MID bar (the simulator's four quotes per
bar) raises ValueError there, after the account, sizing and executor are built and before
the bar subscription. A tick bar has no fixed length, so the live host uses an interval of
0: a bar's open time is its close time, and a bar-close order fills at the venue's market
(the closing-quote window is empty), which is what a live bar-close order does anyway.

This belongs in the host itself (execution_engine.host.strategy, not owned here): once the
host accepts tick bars, this class is the host and can go.
"""

from __future__ import annotations

from execution_engine.host import GauntletStrategyHost


class LiveStrategyHost(GauntletStrategyHost):
    def on_start(self) -> None:
        bar_types = self._bar_types
        if bar_types[0].spec.is_time_aggregated():
            super().on_start()
            return
        try:
            super().on_start()
        except ValueError:
            if self._executor is None:  # failed before the interval: not the tick-bar case
                raise
            self._interval_ns = 0
            for bar_type in bar_types:
                self.subscribe_bars(bar_type)
