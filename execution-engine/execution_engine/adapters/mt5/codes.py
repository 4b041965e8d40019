"""MetaTrader's vocabulary as the bridge protocol carries it (docs/mt5-bridge-protocol.md):
the trade server's return codes and the MQL5 enum names, one owner for the adapter, the
simulator and the tests. Values are MQL5's own constants, checked against its reference."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Retcode(IntEnum):
    """`TRADE_RETCODE_*`: the trade server's answer to an `OrderSend`."""

    REQUOTE = 10004
    REJECT = 10006
    CANCEL = 10007
    PLACED = 10008
    DONE = 10009
    DONE_PARTIAL = 10010
    ERROR = 10011
    TIMEOUT = 10012
    INVALID = 10013
    INVALID_VOLUME = 10014
    INVALID_PRICE = 10015
    INVALID_STOPS = 10016
    TRADE_DISABLED = 10017
    MARKET_CLOSED = 10018
    NO_MONEY = 10019
    PRICE_CHANGED = 10020
    PRICE_OFF = 10021
    INVALID_EXPIRATION = 10022
    ORDER_CHANGED = 10023
    TOO_MANY_REQUESTS = 10024
    NO_CHANGES = 10025
    SERVER_DISABLES_AT = 10026
    CLIENT_DISABLES_AT = 10027
    LOCKED = 10028
    FROZEN = 10029
    INVALID_FILL = 10030
    CONNECTION = 10031
    ONLY_REAL = 10032
    LIMIT_ORDERS = 10033
    LIMIT_VOLUME = 10034
    INVALID_ORDER = 10035
    POSITION_CLOSED = 10036
    INVALID_CLOSE_VOLUME = 10038
    CLOSE_ORDER_EXIST = 10039
    LIMIT_POSITIONS = 10040
    LONG_ONLY = 10042
    SHORT_ONLY = 10043
    CLOSE_ONLY = 10044

    @property
    def succeeded(self) -> bool:
        """Done, partly done, placed, or nothing to change: the request took effect."""
        return self in _SUCCESS

    @property
    def text(self) -> str:
        return _TEXT.get(self, self.name.replace("_", " ").lower())


_SUCCESS = frozenset({Retcode.PLACED, Retcode.DONE, Retcode.DONE_PARTIAL, Retcode.NO_CHANGES})
_TEXT = {
    Retcode.REQUOTE: "requote",
    Retcode.REJECT: "request rejected",
    Retcode.PLACED: "order placed",
    Retcode.DONE: "request completed",
    Retcode.DONE_PARTIAL: "only part of the request was completed",
    Retcode.INVALID: "invalid request",
    Retcode.INVALID_VOLUME: "invalid volume in the request",
    Retcode.INVALID_PRICE: "invalid price in the request",
    Retcode.INVALID_STOPS: "invalid stops in the request",
    Retcode.TRADE_DISABLED: "trade is disabled",
    Retcode.MARKET_CLOSED: "market is closed",
    Retcode.NO_MONEY: "there is not enough money to complete the request",
    Retcode.PRICE_OFF: "there are no quotes to process the request",
    Retcode.INVALID_EXPIRATION: "invalid order expiration date in the request",
    Retcode.CLIENT_DISABLES_AT: (
        "AutoTrading is disabled in the terminal: switch on 'Algo Trading' in the toolbar "
        "and 'Allow algorithmic trading' in the EA's properties"
    ),
    Retcode.SERVER_DISABLES_AT: "AutoTrading is disabled by the broker's server",
    Retcode.INVALID_FILL: "invalid order filling type",
    Retcode.CONNECTION: "no connection with the trade server",
    Retcode.POSITION_CLOSED: "position with the specified identifier has already been closed",
}

# MQL4 `GetLastError()` codes the MT4 EA maps onto retcodes (its `mt4_error` keeps the original).
MT4_ERRORS: dict[int, Retcode] = {
    6: Retcode.CONNECTION,
    129: Retcode.INVALID_PRICE,
    130: Retcode.INVALID_STOPS,
    131: Retcode.INVALID_VOLUME,
    132: Retcode.MARKET_CLOSED,
    133: Retcode.TRADE_DISABLED,
    134: Retcode.NO_MONEY,
    136: Retcode.PRICE_OFF,
    138: Retcode.REQUOTE,
    140: Retcode.LONG_ONLY,  # ERR_LONG_POSITIONS_ONLY_ALLOWED
    4109: Retcode.CLIENT_DISABLES_AT,  # ERR_TRADE_NOT_ALLOWED: the EA may not trade
    4110: Retcode.SHORT_ONLY,  # ERR_LONGS_NOT_ALLOWED
    4111: Retcode.LONG_ONLY,  # ERR_SHORTS_NOT_ALLOWED
}


class Action(StrEnum):
    DEAL = "TRADE_ACTION_DEAL"
    PENDING = "TRADE_ACTION_PENDING"
    SLTP = "TRADE_ACTION_SLTP"
    MODIFY = "TRADE_ACTION_MODIFY"
    REMOVE = "TRADE_ACTION_REMOVE"
    CLOSE_BY = "TRADE_ACTION_CLOSE_BY"


class OrderType(StrEnum):
    BUY = "ORDER_TYPE_BUY"
    SELL = "ORDER_TYPE_SELL"
    BUY_LIMIT = "ORDER_TYPE_BUY_LIMIT"
    SELL_LIMIT = "ORDER_TYPE_SELL_LIMIT"
    BUY_STOP = "ORDER_TYPE_BUY_STOP"
    SELL_STOP = "ORDER_TYPE_SELL_STOP"
    BUY_STOP_LIMIT = "ORDER_TYPE_BUY_STOP_LIMIT"
    SELL_STOP_LIMIT = "ORDER_TYPE_SELL_STOP_LIMIT"
    CLOSE_BY = "ORDER_TYPE_CLOSE_BY"

    @property
    def is_buy(self) -> bool:
        return self.value.startswith("ORDER_TYPE_BUY")

    @property
    def is_pending(self) -> bool:
        return self not in (OrderType.BUY, OrderType.SELL, OrderType.CLOSE_BY)


class Filling(StrEnum):
    FOK = "ORDER_FILLING_FOK"
    IOC = "ORDER_FILLING_IOC"
    RETURN = "ORDER_FILLING_RETURN"


FILLING_FLAGS = {Filling.FOK: 1, Filling.IOC: 2}  # SYMBOL_FILLING_MODE bits


class OrderTime(StrEnum):
    GTC = "ORDER_TIME_GTC"
    DAY = "ORDER_TIME_DAY"
    SPECIFIED = "ORDER_TIME_SPECIFIED"
    SPECIFIED_DAY = "ORDER_TIME_SPECIFIED_DAY"


EXPIRATION_FLAGS = {
    OrderTime.GTC: 1,
    OrderTime.DAY: 2,
    OrderTime.SPECIFIED: 4,
    OrderTime.SPECIFIED_DAY: 8,
}  # SYMBOL_EXPIRATION_MODE bits


class OrderState(StrEnum):
    STARTED = "ORDER_STATE_STARTED"
    PLACED = "ORDER_STATE_PLACED"
    CANCELED = "ORDER_STATE_CANCELED"
    PARTIAL = "ORDER_STATE_PARTIAL"
    FILLED = "ORDER_STATE_FILLED"
    REJECTED = "ORDER_STATE_REJECTED"
    EXPIRED = "ORDER_STATE_EXPIRED"


class PositionType(StrEnum):
    BUY = "POSITION_TYPE_BUY"
    SELL = "POSITION_TYPE_SELL"


class DealType(StrEnum):
    BUY = "DEAL_TYPE_BUY"
    SELL = "DEAL_TYPE_SELL"
    BALANCE = "DEAL_TYPE_BALANCE"
    SWAP = "DEAL_TYPE_CHARGE"  # MT5 books swaps on positions; a rollover charge is CHARGE


class DealEntry(StrEnum):
    IN = "DEAL_ENTRY_IN"
    OUT = "DEAL_ENTRY_OUT"
    INOUT = "DEAL_ENTRY_INOUT"
    OUT_BY = "DEAL_ENTRY_OUT_BY"


class DealReason(StrEnum):
    EXPERT = "DEAL_REASON_EXPERT"
    SL = "DEAL_REASON_SL"
    TP = "DEAL_REASON_TP"
    SO = "DEAL_REASON_SO"
    CLIENT = "DEAL_REASON_CLIENT"


class MarginMode(StrEnum):
    NETTING = "ACCOUNT_MARGIN_MODE_RETAIL_NETTING"
    HEDGING = "ACCOUNT_MARGIN_MODE_RETAIL_HEDGING"
    EXCHANGE = "ACCOUNT_MARGIN_MODE_EXCHANGE"


class ExecutionMode(StrEnum):
    INSTANT = "SYMBOL_TRADE_EXECUTION_INSTANT"
    REQUEST = "SYMBOL_TRADE_EXECUTION_REQUEST"
    MARKET = "SYMBOL_TRADE_EXECUTION_MARKET"
    EXCHANGE = "SYMBOL_TRADE_EXECUTION_EXCHANGE"


class TradeMode(StrEnum):
    FULL = "SYMBOL_TRADE_MODE_FULL"
    DISABLED = "SYMBOL_TRADE_MODE_DISABLED"
    LONG_ONLY = "SYMBOL_TRADE_MODE_LONGONLY"
    SHORT_ONLY = "SYMBOL_TRADE_MODE_SHORTONLY"
    CLOSE_ONLY = "SYMBOL_TRADE_MODE_CLOSEONLY"


ORDER_MODE_FLAGS = {"market": 1, "limit": 2, "stop": 4, "stop_limit": 8, "sl": 16, "tp": 32}


class Transaction(StrEnum):
    ORDER_ADD = "TRADE_TRANSACTION_ORDER_ADD"
    ORDER_UPDATE = "TRADE_TRANSACTION_ORDER_UPDATE"
    ORDER_DELETE = "TRADE_TRANSACTION_ORDER_DELETE"
    DEAL_ADD = "TRADE_TRANSACTION_DEAL_ADD"
    HISTORY_ADD = "TRADE_TRANSACTION_HISTORY_ADD"
    POSITION = "TRADE_TRANSACTION_POSITION"
    REQUEST = "TRADE_TRANSACTION_REQUEST"


class Op(StrEnum):
    """The only operations an EA executes (`req.op`); anything else is UNKNOWN_OP."""

    ACCOUNT_INFO = "account_info"
    SYMBOLS = "symbols"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    TICK = "tick"
    RATES = "rates"
    ORDER_SEND = "order_send"
    POSITIONS = "positions"
    ORDERS = "orders"
    HISTORY_ORDERS = "history_orders"
    HISTORY_DEALS = "history_deals"


class Event(StrEnum):
    TICKS = "ticks"
    BAR = "bar"
    TRANSACTION = "transaction"
    ACCOUNT = "account"
    TERMINAL = "terminal"
    STOP_OUT = "stop_out"


class ErrorCode(StrEnum):
    """`res.error.code` / `error.code` / `denied.reason` values."""

    MALFORMED = "MALFORMED"
    TOO_LARGE = "TOO_LARGE"
    UNKNOWN_OP = "UNKNOWN_OP"
    BAD_ARGS = "BAD_ARGS"
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    BAD_TOKEN = "BAD_TOKEN"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    VERSION_MISMATCH = "VERSION_MISMATCH"
    UNKNOWN_TERMINAL = "UNKNOWN_TERMINAL"
    BUSY = "BUSY"
    INTERNAL = "INTERNAL"  # the EA failed executing an operation (its log says why)


class OpError(Exception):
    """An operation the EA refuses (`res ok=false`): raised by whatever executes `req.op`
    (the EA, the simulator's engine) and carried back as `error {code, message}`."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
