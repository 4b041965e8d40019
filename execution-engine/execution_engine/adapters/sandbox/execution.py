"""The SIM venue's execution client: NautilusTrader's sandbox execution client (a `SimulatedExchange` behind a
live execution client), fed with our replayed bars.

The stock sandbox listens on `data.*.<venue>.*`, which matches quote and trade topics but
not bar topics (`data.bars.EUR/USD.SIM-1-HOUR-...`), so bars would never move its market.
We also subscribe it to bar topics, at a higher priority than strategies, so the venue has
the bar's prices before the strategy reacts to the bar: a market order sent at a bar's
close fills at that close, as it would against a live market.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from nautilus_trader.adapters.sandbox.execution import SandboxExecutionClient

VENUE_BEFORE_STRATEGIES = 10  # message-bus priority: higher runs first


@dataclass
class SubmitProbe:
    """Arrival times (perf_counter_ns) of submit commands at the execution client."""

    submitted: list[tuple[str, int]] = field(default_factory=list)


class SimExecutionClient(SandboxExecutionClient):
    """`quoted`: the feed sends a cost-carrying quote before each bar (a spread or
    slippage, adapters.sandbox.data); the venue's market is then those quotes alone, since
    a bar would reset the book to its mid close."""

    def __init__(self, *args: Any, probe: SubmitProbe, quoted: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.probe = probe
        self.quoted = quoted

    def connect(self) -> None:
        super().connect()
        if self.quoted:
            return
        self._msgbus.subscribe(
            f"data.bars.*.{self.venue}-*", handler=self.on_data, priority=VENUE_BEFORE_STRATEGIES
        )

    def submit_order(self, command: Any) -> None:
        self.probe.submitted.append((command.order.client_order_id.value, time.perf_counter_ns()))
        super().submit_order(command)  # type: ignore[no-untyped-call]  # sandbox is untyped
