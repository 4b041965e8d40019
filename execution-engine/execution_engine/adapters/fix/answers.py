"""Waiting for the venue's answers to our queries (OrderStatusRequest, OrderMassStatusRequest,
RequestForPositions), on the event loop.

Each query is keyed by what its answers carry back (ClOrdID, MassStatusReqID, PosReqID);
`offer` takes an incoming message and says whether a waiting query claimed it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from execution_engine.adapters.fix.clordid import order_cl_ord_id
from execution_engine.adapters.fix.codes import ExecType
from execution_engine.adapters.fix.reports import ExecutionReport, PositionReport, PositionsAck
from execution_engine.adapters.fix.sinks import Inbound


@dataclass
class _Collection:
    """Answers of one mass status or positions request, done when the last one is in."""

    done: asyncio.Event = field(default_factory=asyncio.Event)
    items: list[ExecutionReport | PositionReport] = field(default_factory=list)
    expected: int | None = None  # PositionReports the ack announced


class VenueAnswers:
    def __init__(self) -> None:
        self._status: dict[str, asyncio.Future[ExecutionReport]] = {}
        self._mass: dict[str, _Collection] = {}
        self._positions: dict[str, _Collection] = {}

    # --- waiting --------------------------------------------------------------------------
    async def order_status(self, cl_ord_id: str, timeout: float) -> ExecutionReport | None:
        """The ExecType=I answer for `cl_ord_id` (None if none within `timeout`);
        call `expect_status` before sending the request."""
        future = self._status[cl_ord_id]
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            self._status.pop(cl_ord_id, None)

    def expect_status(self, cl_ord_id: str) -> None:
        self._status[cl_ord_id] = asyncio.get_running_loop().create_future()

    def expect_collection(self, request_id: str, *, positions: bool) -> None:
        (self._positions if positions else self._mass)[request_id] = _Collection()

    async def collection(
        self, request_id: str, timeout: float, *, positions: bool
    ) -> tuple[list[ExecutionReport | PositionReport], bool]:
        """(answers, complete): complete is False when `timeout` ran out first."""
        table = self._positions if positions else self._mass
        collected = table[request_id]
        try:
            await asyncio.wait_for(collected.done.wait(), timeout)
            return collected.items, True
        except TimeoutError:
            return collected.items, False
        finally:
            table.pop(request_id, None)

    # --- answering ------------------------------------------------------------------------
    def offer(self, message: Inbound) -> bool:
        """True when `message` answers a waiting query (it is then theirs)."""
        if isinstance(message, ExecutionReport) and message.exec_type is ExecType.ORDER_STATUS:
            return self._offer_status(message)
        if isinstance(message, PositionsAck):
            return self._offer_ack(message)
        if isinstance(message, PositionReport) and message.pos_req_id in self._positions:
            collected = self._positions[message.pos_req_id]
            collected.items.append(message)
            if collected.expected is not None and len(collected.items) >= collected.expected:
                collected.done.set()
            return True
        return False

    def _offer_status(self, report: ExecutionReport) -> bool:
        if report.mass_status_req_id is not None:
            collected = self._mass.get(report.mass_status_req_id)
            if collected is None:
                return False
            collected.items.append(report)
            if report.last_report:
                collected.done.set()
            return True
        # keyed by the order's ClOrdID: after a replace the venue answers under the new one
        future = self._status.get(order_cl_ord_id(report.cl_ord_id))
        if future is None or future.done():
            return False
        future.set_result(report)
        return True

    def _offer_ack(self, ack: PositionsAck) -> bool:
        collected = self._positions.get(ack.pos_req_id)
        if collected is None:
            return False
        collected.expected = ack.total_reports
        if ack.result != 0 or len(collected.items) >= ack.total_reports:
            collected.done.set()  # no positions, or the venue refused: nothing more comes
        return True
