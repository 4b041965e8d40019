"""The simulator's reading of client requests: NewOrderSingle and cancel-replace terms."""

from __future__ import annotations

from execution_engine.adapters.fix.codes import OrdType, Side, TimeInForce
from execution_engine.adapters.fix.messages import OrderRequest
from execution_engine.adapters.fix.wire import Fields, FixMessageError, parse_utc


def order_terms(fields: Fields) -> OrderRequest:
    """The order in a NewOrderSingle or OrderCancelReplaceRequest (FixMessageError if bad)."""
    expire = fields.opt(126)
    try:
        side, ord_type = Side(fields.text(54)), OrdType(fields.text(40))
        tif = TimeInForce(fields.opt(59) or TimeInForce.DAY.value)
    except ValueError as exc:
        raise FixMessageError(f"MsgType {fields.msg_type}: unsupported code: {exc}") from None
    return OrderRequest(
        cl_ord_id=fields.text(11),
        symbol=fields.text(55),
        side=side,
        quantity=fields.decimal(38),
        ord_type=ord_type,
        time_in_force=tif,
        price=fields.opt_decimal(44),
        stop_px=fields.opt_decimal(99),
        expire_time=parse_utc(expire) if expire else None,
        account=fields.opt(1),
    )
