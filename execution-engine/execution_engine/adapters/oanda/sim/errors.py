"""The answers OANDA gives when a request cannot be served, as exceptions the routes turn
into bodies: `ApiError` (status + errorCode/errorMessage) and `OrderRejectError` (a
TransactionRejectReason that becomes a `<TYPE>_REJECT` transaction in a 400 or 404).
"""

from __future__ import annotations

from typing import Any

UNAUTHORIZED = "Insufficient authorization to perform request."
RATE_LIMITED = "Requests per second exceeded."

# The order reject reasons the simulator produces; every one is a TransactionRejectReason
# from OANDA's reference (the `errorMessage` texts are the simulator's own words).
REJECT_MESSAGES: dict[str, str] = {
    "INSUFFICIENT_MARGIN": "Insufficient margin to place the order",
    "INSTRUMENT_MISSING": "The instrument is missing",
    "INSTRUMENT_UNKNOWN": "The instrument specified is unknown",
    "UNITS_MISSING": "The units are missing",
    "UNITS_INVALID": "The units specified are invalid",
    "UNITS_PRECISION_EXCEEDED": "The units specified contain more precision than is allowed",
    "UNITS_LIMIT_EXCEEDED": "The units specified exceed the maximum allowed",
    "UNITS_MIMIMUM_NOT_MET": "The units specified are below the instrument's minimum trade size",
    "PRICE_MISSING": "The price is missing",
    "PRICE_INVALID": "The price specified is invalid",
    "PRICE_PRECISION_EXCEEDED": "The price specified contains more precision than is allowed",
    "PRICE_DISTANCE_MISSING": "The price distance is missing",
    "PRICE_DISTANCE_INVALID": "The price distance specified is invalid",
    "PRICE_BOUND_INVALID": "The price bound specified is invalid",
    "PRICE_BOUND_PRECISION_EXCEEDED": "The price bound contains more precision than is allowed",
    "TIME_IN_FORCE_INVALID": "The time-in-force specified is invalid for this order type",
    "TIME_IN_FORCE_GTD_TIMESTAMP_MISSING": "A GTD order needs a gtdTime",
    "TIME_IN_FORCE_GTD_TIMESTAMP_IN_PAST": "The gtdTime specified is in the past",
    "CLIENT_ORDER_ID_ALREADY_EXISTS": "The client Order ID specified is already assigned",
    "CLIENT_ORDER_ID_INVALID": "The client Order ID specified is invalid",
    "TAKE_PROFIT_ON_FILL_LOSS": "The take profit on fill would close the trade at a loss",
    "STOP_LOSS_ON_FILL_LOSS": "The stop loss on fill would close the trade at a gain",
    "MARKET_HALTED": "The market is halted",
    "FIFO_VIOLATION": "The request violates the FIFO rule for this account",
    "TRADE_DOESNT_EXIST": "The Trade specified does not exist",
    "ORDER_DOESNT_EXIST": "The Order specified does not exist",
    "ORDER_FILL_POSITION_ACTION_INVALID": "The position fill option specified is invalid",
    "TAKE_PROFIT_ON_FILL_PRICE_PRECISION_EXCEEDED": "The take profit price has too many digits",
    "STOP_LOSS_ON_FILL_PRICE_PRECISION_EXCEEDED": "The stop loss price has too many digits",
    "TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_INVALID": "The trailing stop distance is invalid",
    "CLOSEOUT_POSITION_DOESNT_EXIST": "The Position requested to be closed out does not exist",
    "CLOSE_TRADE_UNITS_EXCEED_TRADE_SIZE": "The units specified exceed the trade's open units",
    "TRADE_ID_UNSPECIFIED": "The Trade ID is missing",
    "INVALID_REQUEST": "The request body is not a valid order request",
}


class ApiError(Exception):
    """An HTTP error answer: `{"errorCode"?, "errorMessage"}` plus any extra fields."""

    def __init__(self, status: int, message: str, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = dict(self.extra)
        if self.code is not None:
            body["errorCode"] = self.code
        body["errorMessage"] = self.message
        return body


class OrderRejectError(Exception):
    """An order request refused with a TransactionRejectReason (400 unless `status` says)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(REJECT_MESSAGES.get(reason, reason.replace("_", " ").capitalize()))
        self.reason = reason
        self.status = status

    @property
    def message(self) -> str:
        return str(self)
