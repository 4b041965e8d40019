"""A venue's net position in one instrument as NautilusTrader's `PositionStatusReport`: the one
shape the FIX, MetaTrader and OANDA reconciliations give it (each venue computes the net)."""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.reports import PositionStatusReport
from nautilus_trader.model.enums import PositionSide
from nautilus_trader.model.identifiers import AccountId, InstrumentId, PositionId
from nautilus_trader.model.objects import Quantity


def net_position_report(
    account_id: AccountId,
    instrument_id: InstrumentId,
    net: Decimal,
    quantity: Quantity,
    *,
    ts_last: int,
    ts_init: int,
    avg_px_open: Decimal | None = None,
    venue_position_id: PositionId | None = None,
) -> PositionStatusReport:
    """`net` signed (long > 0), `quantity` its size in the instrument's units; a flat position
    has no opening price."""
    side = PositionSide.FLAT if net == 0 else PositionSide.LONG if net > 0 else PositionSide.SHORT
    return PositionStatusReport(
        account_id=account_id,
        instrument_id=instrument_id,
        position_side=side,
        quantity=quantity,
        report_id=UUID4(),
        ts_last=ts_last,
        ts_init=ts_init,
        venue_position_id=venue_position_id,
        avg_px_open=None if net == 0 else avg_px_open,
    )
