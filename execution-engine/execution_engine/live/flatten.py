"""`gauntlet kill --flatten` inside the node: close every position through the risk engine.

The kill switch (execution_engine.risk.KillSwitch) moves the risk engine to REDUCING and
calls `Flattener.begin`: one reduce-only market order per instrument with a net position,
sent by the hosted strategy, so the orders pass the same pre-trade checks as the strategy's
own. The switch polls `Flattener.poll` on every heartbeat and bar close. REDUCING also lets
the strategy's own reducing orders through, and one of them can flip the position while the
closing order fills: what is still open once no closing order works (that, or a closing
order the venue rejected) gets another round, up to MAX_ROUNDS. Once flat the node moves to
HALTED, rewrites the control file as a plain HALTED (KillSwitch.settle: a restart stays
halted rather than flattening again) and acknowledges the request with what it closed.
Still open after the rounds or after `timeout` seconds: HALTED with the position left open,
and the acknowledgement says so. A kill never hangs in REDUCING.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.orders import Order
from nautilus_trader.trading.strategy import Strategy

from execution_engine.risk import KillSwitch

FLATTEN_TAG = "flatten"  # the closing orders' tag (the audit log attributes them to the kill)
FLATTEN_TIMEOUT = 10.0  # seconds for the closing orders to fill before the node gives up
MAX_ROUNDS = 3  # rounds of closing orders (a rejected one, a position flipped meanwhile)


@dataclass
class FlattenReport:
    """What one flatten request did; `closed` rows are (instrument, side, quantity)."""

    token: str
    closed: list[dict[str, str]] = field(default_factory=list)
    left_open: list[dict[str, str]] = field(default_factory=list)
    problem: str | None = None
    done: bool = False

    def message(self) -> str:
        """One line for the console: what was closed, and what was not."""
        rows = ", ".join(f"{r['side']} {r['quantity']} {r['instrument']}" for r in self.closed)
        text = f"closed {rows}" if rows else "nothing to close"
        if self.problem:
            text += f"; {self.problem}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "closed": self.closed,
            "left_open": self.left_open,
            "problem": self.problem,
            "done": self.done,
        }


class Flattener:
    """Sends the closing orders from `strategy` and halts `switch` once flat."""

    def __init__(
        self,
        strategy: Strategy,
        switch: KillSwitch,
        on_report: Callable[[FlattenReport], None] | None = None,
        timeout: float = FLATTEN_TIMEOUT,
    ) -> None:
        self._strategy = strategy
        self._switch = switch
        self._on_report = on_report
        self._timeout = timeout
        self._orders: list[Order] = []
        self._rounds = 0
        self._deadline = 0.0
        self.report: FlattenReport | None = None

    def begin(self, token: str) -> None:
        """One reduce-only market order per instrument holding a net position."""
        self.report = FlattenReport(token)
        self._orders = []
        self._rounds = 0
        self._deadline = time.monotonic() + self._timeout
        self._send_round(self.report)
        self.poll()  # nothing to close: halted at once

    def _send_round(self, report: FlattenReport) -> None:
        self._rounds += 1
        for instrument_id, net in net_positions(self._strategy.cache).items():
            side = OrderSide.SELL if net > 0 else OrderSide.BUY
            order = self._strategy.order_factory.market(
                instrument_id,
                side,
                self._strategy.cache.instrument(instrument_id).make_qty(abs(net)),
                time_in_force=TimeInForce.GTC,
                reduce_only=True,
                tags=[FLATTEN_TAG],
            )
            self._orders.append(order)
            report.closed.append(_row(instrument_id, side, abs(net)))
            self._strategy.submit_order(order)

    def poll(self) -> None:
        """Halt once flat. REDUCING lets the hosted strategy's own reducing orders through
        too, and one of them can flip the position while the closing order fills: what is
        still open when no closing order works gets another round, up to `MAX_ROUNDS`."""
        report = self.report
        if report is None or report.done:
            return
        cache = self._strategy.cache
        working = [o for o in self._orders if not (cache.order(o.client_order_id) or o).is_closed]
        if not working and not net_positions(cache):
            self._finish(report, None)
        elif time.monotonic() > self._deadline:
            self._finish(report, f"closing orders not filled within {self._timeout:g} s")
        elif not working and self._rounds >= MAX_ROUNDS:
            self._finish(report, f"still not flat after {MAX_ROUNDS} rounds of closing orders")
        elif not working:
            self._send_round(report)

    def _finish(self, report: FlattenReport, problem: str | None) -> None:
        report.done, report.problem = True, problem
        report.left_open = [
            _row(iid, OrderSide.SELL if net > 0 else OrderSide.BUY, abs(net))
            for iid, net in net_positions(self._strategy.cache).items()
        ]
        if self._on_report is not None:
            self._on_report(report)
        self._switch.settle("HALTED", report.token)


def net_positions(cache: Any) -> dict[InstrumentId, Decimal]:
    """Signed net units per instrument over every open position (every strategy's: a
    flatten closes what the account holds, reconciled or external positions too)."""
    net: dict[InstrumentId, Decimal] = {}
    for position in cache.positions_open():
        iid = position.instrument_id
        net[iid] = net.get(iid, Decimal(0)) + position.signed_decimal_qty()
    return {iid: units for iid, units in net.items() if units != 0}


def _row(instrument_id: InstrumentId, side: OrderSide, units: Decimal) -> dict[str, str]:
    return {"instrument": instrument_id.value, "side": side.name, "quantity": str(units)}
