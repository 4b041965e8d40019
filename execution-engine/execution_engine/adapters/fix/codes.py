"""FIX 4.4 code values we send and read, as enums whose values are the wire codes."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    BUY = "1"
    SELL = "2"


class OrdType(StrEnum):
    MARKET = "1"
    LIMIT = "2"
    STOP = "3"
    STOP_LIMIT = "4"


class TimeInForce(StrEnum):
    DAY = "0"
    GTC = "1"
    IOC = "3"
    FOK = "4"
    GTD = "6"


class ExecType(StrEnum):
    NEW = "0"
    DONE_FOR_DAY = "3"
    CANCELED = "4"
    REPLACED = "5"
    PENDING_CANCEL = "6"
    REJECTED = "8"
    PENDING_NEW = "A"
    EXPIRED = "C"
    PENDING_REPLACE = "E"
    TRADE = "F"
    ORDER_STATUS = "I"


class OrdStatus(StrEnum):
    NEW = "0"
    PARTIALLY_FILLED = "1"
    FILLED = "2"
    DONE_FOR_DAY = "3"
    CANCELED = "4"
    PENDING_CANCEL = "6"
    REJECTED = "8"
    PENDING_NEW = "A"
    EXPIRED = "C"
    PENDING_REPLACE = "E"


class MsgType(StrEnum):
    HEARTBEAT = "0"
    TEST_REQUEST = "1"
    RESEND_REQUEST = "2"
    REJECT = "3"
    SEQUENCE_RESET = "4"
    LOGOUT = "5"
    EXECUTION_REPORT = "8"
    ORDER_CANCEL_REJECT = "9"
    LOGON = "A"
    NEW_ORDER_SINGLE = "D"
    ORDER_CANCEL_REQUEST = "F"
    ORDER_CANCEL_REPLACE_REQUEST = "G"
    ORDER_STATUS_REQUEST = "H"
    BUSINESS_MESSAGE_REJECT = "j"
    ORDER_MASS_STATUS_REQUEST = "AF"
    REQUEST_FOR_POSITIONS = "AN"
    REQUEST_FOR_POSITIONS_ACK = "AO"
    POSITION_REPORT = "AP"
    MARKET_DATA_REQUEST = "V"
    MARKET_DATA_SNAPSHOT = "W"
    MARKET_DATA_INCREMENTAL = "X"
    MARKET_DATA_REQUEST_REJECT = "Y"


class MdEntryType(StrEnum):
    BID = "0"
    OFFER = "1"


# Terminal order states: nothing more will happen to the order.
TERMINAL_STATUSES: frozenset[OrdStatus] = frozenset(
    {OrdStatus.FILLED, OrdStatus.CANCELED, OrdStatus.REJECTED, OrdStatus.EXPIRED}
)
