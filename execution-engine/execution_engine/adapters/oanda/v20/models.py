"""Typed v20 bodies, written from OANDA's public v20 reference (developer.oanda.com/rest-live-v20).

Conventions of the wire, and how they land here:
- Decimal numbers (prices, units, money) travel as JSON strings; they decode to `Decimal` and
  encode back to strings (msgspec's default for Decimal). Never floats.
- Times are RFC 3339 strings with up to nine fractional digits (we ask for them with
  `Accept-Datetime-Format: RFC3339`); they stay `str`, `times.rfc3339_ns` converts.
- Ids (`id`, `orderID`, `lastTransactionID`) are strings of digits; they stay `str`.
- Unknown fields are ignored, so a newer OANDA still decodes; fields the adapter does not read
  are optional (`None` when absent) and omitted when we encode.

Transactions and orders are each one flat Struct with a `type` string rather than a tagged union
per type: OANDA adds transaction types over time, and an unknown tag would make the whole
response undecodable, where a flat Struct only leaves the new fields unread. Order *requests*
are a tagged union (we write them; the tag must always be encoded).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import msgspec

from execution_engine.adapters.oanda.v20.names import v20_name


class V20Struct(msgspec.Struct, rename=v20_name, kw_only=True, omit_defaults=True):
    """Base of every v20 body: OANDA's field names, absent fields omitted when encoded."""


# --- common -------------------------------------------------------------------------------------


class ErrorBody(V20Struct):
    """The body of every non-2xx answer: `{"errorMessage": ..., "errorCode": ...}`."""

    error_message: str = ""
    error_code: str | None = None


class ClientExtensions(V20Struct):
    """Client-supplied id, tag and comment kept on an order or trade; `id` carries Gauntlet's
    client order id."""

    id: str | None = None
    tag: str | None = None
    comment: str | None = None


class TakeProfitDetails(V20Struct):
    """The take-profit to create when an order fills."""

    price: Decimal
    time_in_force: str = "GTC"
    gtd_time: str | None = None
    client_extensions: ClientExtensions | None = None


class StopLossDetails(V20Struct):
    """The stop-loss to create when an order fills: a price or a distance, not both."""

    price: Decimal | None = None
    distance: Decimal | None = None
    time_in_force: str = "GTC"
    gtd_time: str | None = None
    client_extensions: ClientExtensions | None = None
    guaranteed: bool | None = None


class TrailingStopLossDetails(V20Struct):
    """The trailing stop-loss to create when an order fills."""

    distance: Decimal
    time_in_force: str = "GTC"
    gtd_time: str | None = None
    client_extensions: ClientExtensions | None = None


# --- pricing ------------------------------------------------------------------------------------


class PriceBucket(V20Struct):
    """One level of the book: a price and the liquidity (units) available at it. OANDA writes
    liquidity as a JSON integer on the stream and as a string inside fills; both decode."""

    price: Decimal
    liquidity: Decimal


class ClientPrice(V20Struct, tag_field="type", tag="PRICE"):
    """A `PRICE` line of the pricing stream (and an entry of GET /pricing)."""

    instrument: str
    time: str
    bids: list[PriceBucket] = []
    asks: list[PriceBucket] = []
    closeout_bid: Decimal | None = None
    closeout_ask: Decimal | None = None
    tradeable: bool = True
    status: str | None = None  # deprecated by OANDA, still sent


class FillPrice(V20Struct):
    """The price an ORDER_FILL was made at (`fullPrice`): a ClientPrice stamped `timestamp`."""

    bids: list[PriceBucket] = []
    asks: list[PriceBucket] = []
    closeout_bid: Decimal | None = None
    closeout_ask: Decimal | None = None
    timestamp: str | None = None
    time: str | None = None


class PricingHeartbeat(V20Struct, tag_field="type", tag="HEARTBEAT"):
    """A `HEARTBEAT` line of the pricing stream, every 5 s."""

    time: str


# --- accounts -----------------------------------------------------------------------------------


class AccountProperties(V20Struct):
    """An entry of GET /v3/accounts."""

    id: str
    mt4_account_id: int | None = None
    tags: list[str] = []


class AccountSummary(V20Struct):
    """An account without its orders, trades and positions."""

    id: str
    currency: str
    balance: Decimal
    alias: str | None = None
    created_time: str | None = None
    hedging_enabled: bool = False
    margin_rate: Decimal | None = None
    pl: Decimal | None = None
    resettable_pl: Decimal | None = None
    financing: Decimal | None = None
    commission: Decimal | None = None
    unrealized_pl: Decimal | None = None
    nav: Decimal | None = None
    margin_used: Decimal | None = None
    margin_available: Decimal | None = None
    position_value: Decimal | None = None
    margin_closeout_unrealized_pl: Decimal | None = None
    margin_closeout_nav: Decimal | None = None
    margin_closeout_margin_used: Decimal | None = None
    margin_closeout_percent: Decimal | None = None
    margin_closeout_position_value: Decimal | None = None
    withdrawal_limit: Decimal | None = None
    margin_call_margin_used: Decimal | None = None
    margin_call_percent: Decimal | None = None
    open_trade_count: int | None = None
    open_position_count: int | None = None
    pending_order_count: int | None = None
    last_transaction_id: str | None = None


class AccountSummaryResponse(V20Struct):
    """GET /v3/accounts/{id}/summary."""

    account: AccountSummary
    last_transaction_id: str


class AccountsResponse(V20Struct):
    """GET /v3/accounts."""

    accounts: list[AccountProperties]


class InstrumentFinancing(V20Struct):
    """Financing rates of an instrument."""

    long_rate: Decimal | None = None
    short_rate: Decimal | None = None


class Instrument(V20Struct):
    """An instrument the account may trade; precisions say how prices and units are written."""

    name: str
    type: str
    display_name: str
    pip_location: int
    display_precision: int
    trade_units_precision: int
    minimum_trade_size: Decimal
    maximum_trailing_stop_distance: Decimal | None = None
    minimum_trailing_stop_distance: Decimal | None = None
    maximum_position_size: Decimal | None = None
    maximum_order_units: Decimal | None = None
    margin_rate: Decimal | None = None
    guaranteed_stop_loss_order_mode: str | None = None
    financing: InstrumentFinancing | None = None


class AccountInstrumentsResponse(V20Struct):
    """GET /v3/accounts/{id}/instruments."""

    instruments: list[Instrument]
    last_transaction_id: str | None = None


# --- instruments --------------------------------------------------------------------------------


class CandlestickData(V20Struct):
    """Open, high, low, close of one price component."""

    o: Decimal
    h: Decimal
    l: Decimal  # noqa: E741 - OANDA's field name
    c: Decimal


class Candlestick(V20Struct):
    """One candle; `mid`, `bid`, `ask` present as the `price` components asked (M, B, A)."""

    time: str
    volume: int
    complete: bool
    mid: CandlestickData | None = None
    bid: CandlestickData | None = None
    ask: CandlestickData | None = None


class CandlesResponse(V20Struct):
    """GET /v3/instruments/{instrument}/candles."""

    instrument: str
    granularity: str
    candles: list[Candlestick]


# --- orders -------------------------------------------------------------------------------------


class _OrderRequestBase(V20Struct, tag_field="type"):
    instrument: str
    units: Decimal  # positive buys, negative sells
    position_fill: str = "DEFAULT"
    client_extensions: ClientExtensions | None = None
    take_profit_on_fill: TakeProfitDetails | None = None
    stop_loss_on_fill: StopLossDetails | None = None
    trailing_stop_loss_on_fill: TrailingStopLossDetails | None = None
    trade_client_extensions: ClientExtensions | None = None


class MarketOrderRequest(_OrderRequestBase, tag="MARKET", kw_only=True):
    """A market order: filled now at the current price, or cancelled (FOK/IOC)."""

    time_in_force: str = "FOK"
    price_bound: Decimal | None = None


class LimitOrderRequest(_OrderRequestBase, tag="LIMIT", kw_only=True):
    """A limit order: fills at `price` or better."""

    price: Decimal
    time_in_force: str = "GTC"
    gtd_time: str | None = None
    trigger_condition: str = "DEFAULT"


class StopOrderRequest(_OrderRequestBase, tag="STOP", kw_only=True):
    """A stop order: becomes a market order when the price reaches `price` (bounded)."""

    price: Decimal
    price_bound: Decimal | None = None
    time_in_force: str = "GTC"
    gtd_time: str | None = None
    trigger_condition: str = "DEFAULT"


class MarketIfTouchedOrderRequest(_OrderRequestBase, tag="MARKET_IF_TOUCHED", kw_only=True):
    """A market-if-touched order: a market order once the price touches `price`."""

    price: Decimal
    price_bound: Decimal | None = None
    time_in_force: str = "GTC"
    gtd_time: str | None = None
    trigger_condition: str = "DEFAULT"


OrderRequest = (
    MarketOrderRequest | LimitOrderRequest | StopOrderRequest | MarketIfTouchedOrderRequest
)


class Order(V20Struct):
    """An order as OANDA holds it (GET /orders), any type; fields absent for a type are None."""

    id: str
    type: str
    state: str
    create_time: str | None = None
    client_extensions: ClientExtensions | None = None
    instrument: str | None = None
    units: Decimal | None = None
    price: Decimal | None = None
    price_bound: Decimal | None = None
    distance: Decimal | None = None
    time_in_force: str | None = None
    gtd_time: str | None = None
    position_fill: str | None = None
    trigger_condition: str | None = None
    trade_id: str | None = None  # dependent orders (take-profit, stop-loss) name their trade
    client_trade_id: str | None = None
    take_profit_on_fill: TakeProfitDetails | None = None
    stop_loss_on_fill: StopLossDetails | None = None
    trailing_stop_loss_on_fill: TrailingStopLossDetails | None = None
    trade_client_extensions: ClientExtensions | None = None
    filling_transaction_id: str | None = None
    filled_time: str | None = None
    trade_opened_id: str | None = None
    trade_reduced_id: str | None = None
    trade_closed_ids: list[str] = []
    cancelling_transaction_id: str | None = None
    cancelled_time: str | None = None
    replaces_order_id: str | None = None
    replaced_by_order_id: str | None = None


class OrderResponse(V20Struct):
    """GET /v3/accounts/{id}/orders/{specifier}."""

    order: Order
    last_transaction_id: str | None = None


class OrdersResponse(V20Struct):
    """GET /v3/accounts/{id}/orders."""

    orders: list[Order]
    last_transaction_id: str | None = None


# --- transactions -------------------------------------------------------------------------------


class TradeOpen(V20Struct):
    """The trade an ORDER_FILL opened."""

    trade_id: str
    units: Decimal
    price: Decimal | None = None
    client_extensions: ClientExtensions | None = None
    half_spread_cost: Decimal | None = None
    initial_margin_required: Decimal | None = None


class TradeReduce(V20Struct):
    """A trade an ORDER_FILL reduced or closed."""

    trade_id: str
    units: Decimal
    price: Decimal | None = None
    realized_pl: Decimal | None = None
    financing: Decimal | None = None
    half_spread_cost: Decimal | None = None


class Transaction(V20Struct):
    """Any transaction (ORDER_FILL, MARKET_ORDER, *_REJECT, ORDER_CANCEL, ...), flat.

    `type` says which; the fields that type does not carry are None. `reject_reason` is a
    `TransactionRejectReason` value on *_REJECT types (kept `str` so a reason newer than this
    module still decodes).
    """

    id: str
    time: str
    type: str
    account_id: str | None = None
    user_id: int | None = None
    batch_id: str | None = None
    request_id: str | None = None
    # orders (*_ORDER, *_ORDER_REJECT) and fills
    order_id: str | None = None
    client_order_id: str | None = None
    instrument: str | None = None
    units: Decimal | None = None
    price: Decimal | None = None
    price_bound: Decimal | None = None
    distance: Decimal | None = None
    time_in_force: str | None = None
    gtd_time: str | None = None
    position_fill: str | None = None
    trigger_condition: str | None = None
    reason: str | None = None
    client_extensions: ClientExtensions | None = None
    trade_client_extensions: ClientExtensions | None = None
    take_profit_on_fill: TakeProfitDetails | None = None
    stop_loss_on_fill: StopLossDetails | None = None
    trailing_stop_loss_on_fill: TrailingStopLossDetails | None = None
    trade_id: str | None = None
    client_trade_id: str | None = None
    replaces_order_id: str | None = None
    replaced_by_order_id: str | None = None
    intended_replaces_order_id: str | None = None
    reject_reason: str | None = None
    # ORDER_FILL
    full_vwap: Decimal | None = None
    full_price: FillPrice | None = None
    pl: Decimal | None = None
    quote_pl: Decimal | None = None
    financing: Decimal | None = None
    commission: Decimal | None = None
    guaranteed_execution_fee: Decimal | None = None
    account_balance: Decimal | None = None
    half_spread_cost: Decimal | None = None
    gain_quote_home_conversion_factor: Decimal | None = None
    loss_quote_home_conversion_factor: Decimal | None = None
    trade_opened: TradeOpen | None = None
    trades_closed: list[TradeReduce] = []
    trade_reduced: TradeReduce | None = None
    # CREATE / TRANSFER_FUNDS / DAILY_FINANCING
    amount: Decimal | None = None
    currency: str | None = None
    home_currency: str | None = None


class TransactionHeartbeat(V20Struct, tag_field="type", tag="TRANSACTION_HEARTBEAT"):
    """A `TRANSACTION_HEARTBEAT` line of the transaction stream, every 5 s."""

    time: str
    last_transaction_id: str


class TransactionsResponse(V20Struct):
    """GET /transactions/sinceid and /transactions/idrange."""

    transactions: list[Transaction]
    last_transaction_id: str


class OrderCreateResponse(V20Struct):
    """201 of POST /orders: the create, then a fill or a cancel (a FOK market order that could
    not fill), and the transaction ids it made."""

    order_create_transaction: Transaction
    order_fill_transaction: Transaction | None = None
    order_cancel_transaction: Transaction | None = None
    order_reissue_transaction: Transaction | None = None
    order_reissue_reject_transaction: Transaction | None = None
    related_transaction_ids: list[str] = []
    last_transaction_id: str | None = None


class OrderReplaceResponse(V20Struct):
    """201 of PUT /orders/{specifier}: the old order cancelled, the new one created."""

    order_cancel_transaction: Transaction
    order_create_transaction: Transaction
    order_fill_transaction: Transaction | None = None
    order_reissue_transaction: Transaction | None = None
    order_reissue_reject_transaction: Transaction | None = None
    replacing_order_cancel_transaction: Transaction | None = None
    related_transaction_ids: list[str] = []
    last_transaction_id: str | None = None


class OrderCancelResponse(V20Struct):
    """200 of PUT /orders/{specifier}/cancel."""

    order_cancel_transaction: Transaction
    related_transaction_ids: list[str] = []
    last_transaction_id: str | None = None


class RejectBody(V20Struct):
    """A 400/404 body of an order, trade or position endpoint: the error, and the reject
    transaction when OANDA recorded one (under one of these names, by endpoint)."""

    error_message: str = ""
    error_code: str | None = None
    order_reject_transaction: Transaction | None = None
    order_cancel_reject_transaction: Transaction | None = None
    long_order_reject_transaction: Transaction | None = None
    short_order_reject_transaction: Transaction | None = None
    related_transaction_ids: list[str] = []
    last_transaction_id: str | None = None

    def reject_transaction(self) -> Transaction | None:
        """The reject transaction, whichever name the endpoint used."""
        return (
            self.order_reject_transaction
            or self.order_cancel_reject_transaction
            or self.long_order_reject_transaction
            or self.short_order_reject_transaction
        )


# --- trades and positions -----------------------------------------------------------------------


class Trade(V20Struct):
    """An open (or closed) trade."""

    id: str
    instrument: str
    price: Decimal
    open_time: str
    state: str
    initial_units: Decimal
    current_units: Decimal
    realized_pl: Decimal | None = None
    unrealized_pl: Decimal | None = None
    margin_used: Decimal | None = None
    average_close_price: Decimal | None = None
    closing_transaction_ids: list[str] = []
    financing: Decimal | None = None
    close_time: str | None = None
    client_extensions: ClientExtensions | None = None
    take_profit_order: Order | None = None
    stop_loss_order: Order | None = None
    trailing_stop_loss_order: Order | None = None


class TradesResponse(V20Struct):
    """GET /v3/accounts/{id}/openTrades."""

    trades: list[Trade]
    last_transaction_id: str | None = None


class TradeCloseResponse(V20Struct):
    """200 of PUT /trades/{specifier}/close: a market order closing the trade and its fill."""

    order_create_transaction: Transaction
    order_fill_transaction: Transaction | None = None
    order_cancel_transaction: Transaction | None = None
    related_transaction_ids: list[str] = []
    last_transaction_id: str | None = None


class PositionSide(V20Struct):
    """The long or the short side of a position."""

    units: Decimal
    average_price: Decimal | None = None
    trade_ids: list[str] = []
    pl: Decimal | None = None
    unrealized_pl: Decimal | None = None
    resettable_pl: Decimal | None = None
    financing: Decimal | None = None


class Position(V20Struct):
    """An instrument's position: both sides (a netting account has one of them at zero)."""

    instrument: str
    long: PositionSide
    short: PositionSide
    pl: Decimal | None = None
    unrealized_pl: Decimal | None = None
    margin_used: Decimal | None = None
    resettable_pl: Decimal | None = None
    financing: Decimal | None = None
    commission: Decimal | None = None


class PositionsResponse(V20Struct):
    """GET /v3/accounts/{id}/openPositions."""

    positions: list[Position]
    last_transaction_id: str | None = None


class PositionCloseResponse(V20Struct):
    """200 of PUT /positions/{instrument}/close: a closing market order per side asked."""

    long_order_create_transaction: Transaction | None = None
    long_order_fill_transaction: Transaction | None = None
    long_order_cancel_transaction: Transaction | None = None
    short_order_create_transaction: Transaction | None = None
    short_order_fill_transaction: Transaction | None = None
    short_order_cancel_transaction: Transaction | None = None
    related_transaction_ids: list[str] = []
    last_transaction_id: str | None = None


# --- account changes ----------------------------------------------------------------------------


class AccountChanges(V20Struct):
    """What changed in an account since a transaction id."""

    orders_created: list[Order] = []
    orders_cancelled: list[Order] = []
    orders_filled: list[Order] = []
    orders_triggered: list[Order] = []
    trades_opened: list[Trade] = []
    trades_reduced: list[Trade] = []
    trades_closed: list[Trade] = []
    positions: list[Position] = []
    transactions: list[Transaction] = []


class AccountChangesState(V20Struct):
    """The account's price-dependent numbers now."""

    unrealized_pl: Decimal | None = None
    nav: Decimal | None = None
    margin_used: Decimal | None = None
    margin_available: Decimal | None = None
    position_value: Decimal | None = None
    margin_closeout_percent: Decimal | None = None
    withdrawal_limit: Decimal | None = None


class AccountChangesResponse(V20Struct):
    """GET /v3/accounts/{id}/changes?sinceTransactionID=."""

    changes: AccountChanges
    last_transaction_id: str
    state: AccountChangesState | None = None


# --- reject reasons -----------------------------------------------------------------------------


class TransactionRejectReason(StrEnum):
    """Every reason OANDA gives for rejecting a transaction (the v20 reference's enum, in its
    order and its spelling, `UNITS_MIMIMUM_NOT_MET` included)."""

    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    INSTRUMENT_PRICE_UNKNOWN = "INSTRUMENT_PRICE_UNKNOWN"
    ACCOUNT_NOT_ACTIVE = "ACCOUNT_NOT_ACTIVE"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    ACCOUNT_ORDER_CREATION_LOCKED = "ACCOUNT_ORDER_CREATION_LOCKED"
    ACCOUNT_CONFIGURATION_LOCKED = "ACCOUNT_CONFIGURATION_LOCKED"
    ACCOUNT_DEPOSIT_LOCKED = "ACCOUNT_DEPOSIT_LOCKED"
    ACCOUNT_WITHDRAWAL_LOCKED = "ACCOUNT_WITHDRAWAL_LOCKED"
    ACCOUNT_ORDER_CANCEL_LOCKED = "ACCOUNT_ORDER_CANCEL_LOCKED"
    INSTRUMENT_NOT_TRADEABLE = "INSTRUMENT_NOT_TRADEABLE"
    PENDING_ORDERS_ALLOWED_EXCEEDED = "PENDING_ORDERS_ALLOWED_EXCEEDED"
    ORDER_ID_UNSPECIFIED = "ORDER_ID_UNSPECIFIED"
    ORDER_DOESNT_EXIST = "ORDER_DOESNT_EXIST"
    ORDER_IDENTIFIER_INCONSISTENCY = "ORDER_IDENTIFIER_INCONSISTENCY"
    TRADE_ID_UNSPECIFIED = "TRADE_ID_UNSPECIFIED"
    TRADE_DOESNT_EXIST = "TRADE_DOESNT_EXIST"
    TRADE_IDENTIFIER_INCONSISTENCY = "TRADE_IDENTIFIER_INCONSISTENCY"
    INSUFFICIENT_MARGIN = "INSUFFICIENT_MARGIN"
    INSTRUMENT_MISSING = "INSTRUMENT_MISSING"
    INSTRUMENT_UNKNOWN = "INSTRUMENT_UNKNOWN"
    UNITS_MISSING = "UNITS_MISSING"
    UNITS_INVALID = "UNITS_INVALID"
    UNITS_PRECISION_EXCEEDED = "UNITS_PRECISION_EXCEEDED"
    UNITS_LIMIT_EXCEEDED = "UNITS_LIMIT_EXCEEDED"
    UNITS_MIMIMUM_NOT_MET = "UNITS_MIMIMUM_NOT_MET"
    PRICE_MISSING = "PRICE_MISSING"
    PRICE_INVALID = "PRICE_INVALID"
    PRICE_PRECISION_EXCEEDED = "PRICE_PRECISION_EXCEEDED"
    PRICE_DISTANCE_MISSING = "PRICE_DISTANCE_MISSING"
    PRICE_DISTANCE_INVALID = "PRICE_DISTANCE_INVALID"
    PRICE_DISTANCE_PRECISION_EXCEEDED = "PRICE_DISTANCE_PRECISION_EXCEEDED"
    PRICE_DISTANCE_MAXIMUM_EXCEEDED = "PRICE_DISTANCE_MAXIMUM_EXCEEDED"
    PRICE_DISTANCE_MINIMUM_NOT_MET = "PRICE_DISTANCE_MINIMUM_NOT_MET"
    TIME_IN_FORCE_MISSING = "TIME_IN_FORCE_MISSING"
    TIME_IN_FORCE_INVALID = "TIME_IN_FORCE_INVALID"
    TIME_IN_FORCE_GTD_TIMESTAMP_MISSING = "TIME_IN_FORCE_GTD_TIMESTAMP_MISSING"
    TIME_IN_FORCE_GTD_TIMESTAMP_IN_PAST = "TIME_IN_FORCE_GTD_TIMESTAMP_IN_PAST"
    PRICE_BOUND_INVALID = "PRICE_BOUND_INVALID"
    PRICE_BOUND_PRECISION_EXCEEDED = "PRICE_BOUND_PRECISION_EXCEEDED"
    ORDERS_ON_FILL_DUPLICATE_CLIENT_ORDER_IDS = "ORDERS_ON_FILL_DUPLICATE_CLIENT_ORDER_IDS"
    TRADE_ON_FILL_CLIENT_EXTENSIONS_NOT_SUPPORTED = "TRADE_ON_FILL_CLIENT_EXTENSIONS_NOT_SUPPORTED"
    CLIENT_ORDER_ID_INVALID = "CLIENT_ORDER_ID_INVALID"
    CLIENT_ORDER_ID_ALREADY_EXISTS = "CLIENT_ORDER_ID_ALREADY_EXISTS"
    CLIENT_ORDER_TAG_INVALID = "CLIENT_ORDER_TAG_INVALID"
    CLIENT_ORDER_COMMENT_INVALID = "CLIENT_ORDER_COMMENT_INVALID"
    CLIENT_TRADE_ID_INVALID = "CLIENT_TRADE_ID_INVALID"
    CLIENT_TRADE_ID_ALREADY_EXISTS = "CLIENT_TRADE_ID_ALREADY_EXISTS"
    CLIENT_TRADE_TAG_INVALID = "CLIENT_TRADE_TAG_INVALID"
    CLIENT_TRADE_COMMENT_INVALID = "CLIENT_TRADE_COMMENT_INVALID"
    ORDER_FILL_POSITION_ACTION_MISSING = "ORDER_FILL_POSITION_ACTION_MISSING"
    ORDER_FILL_POSITION_ACTION_INVALID = "ORDER_FILL_POSITION_ACTION_INVALID"
    TRIGGER_CONDITION_MISSING = "TRIGGER_CONDITION_MISSING"
    TRIGGER_CONDITION_INVALID = "TRIGGER_CONDITION_INVALID"
    ORDER_PARTIAL_FILL_OPTION_MISSING = "ORDER_PARTIAL_FILL_OPTION_MISSING"
    ORDER_PARTIAL_FILL_OPTION_INVALID = "ORDER_PARTIAL_FILL_OPTION_INVALID"
    INVALID_REISSUE_IMMEDIATE_PARTIAL_FILL = "INVALID_REISSUE_IMMEDIATE_PARTIAL_FILL"
    TAKE_PROFIT_ORDER_ALREADY_EXISTS = "TAKE_PROFIT_ORDER_ALREADY_EXISTS"
    TAKE_PROFIT_ON_FILL_PRICE_MISSING = "TAKE_PROFIT_ON_FILL_PRICE_MISSING"
    TAKE_PROFIT_ON_FILL_PRICE_INVALID = "TAKE_PROFIT_ON_FILL_PRICE_INVALID"
    TAKE_PROFIT_ON_FILL_PRICE_PRECISION_EXCEEDED = "TAKE_PROFIT_ON_FILL_PRICE_PRECISION_EXCEEDED"
    TAKE_PROFIT_ON_FILL_TIME_IN_FORCE_MISSING = "TAKE_PROFIT_ON_FILL_TIME_IN_FORCE_MISSING"
    TAKE_PROFIT_ON_FILL_TIME_IN_FORCE_INVALID = "TAKE_PROFIT_ON_FILL_TIME_IN_FORCE_INVALID"
    TAKE_PROFIT_ON_FILL_GTD_TIMESTAMP_MISSING = "TAKE_PROFIT_ON_FILL_GTD_TIMESTAMP_MISSING"
    TAKE_PROFIT_ON_FILL_GTD_TIMESTAMP_IN_PAST = "TAKE_PROFIT_ON_FILL_GTD_TIMESTAMP_IN_PAST"
    TAKE_PROFIT_ON_FILL_CLIENT_ORDER_ID_INVALID = "TAKE_PROFIT_ON_FILL_CLIENT_ORDER_ID_INVALID"
    TAKE_PROFIT_ON_FILL_CLIENT_ORDER_TAG_INVALID = "TAKE_PROFIT_ON_FILL_CLIENT_ORDER_TAG_INVALID"
    TAKE_PROFIT_ON_FILL_CLIENT_ORDER_COMMENT_INVALID = (
        "TAKE_PROFIT_ON_FILL_CLIENT_ORDER_COMMENT_INVALID"
    )
    TAKE_PROFIT_ON_FILL_TRIGGER_CONDITION_MISSING = "TAKE_PROFIT_ON_FILL_TRIGGER_CONDITION_MISSING"
    TAKE_PROFIT_ON_FILL_TRIGGER_CONDITION_INVALID = "TAKE_PROFIT_ON_FILL_TRIGGER_CONDITION_INVALID"
    STOP_LOSS_ORDER_ALREADY_EXISTS = "STOP_LOSS_ORDER_ALREADY_EXISTS"
    STOP_LOSS_ORDER_GUARANTEED_REQUIRED = "STOP_LOSS_ORDER_GUARANTEED_REQUIRED"
    STOP_LOSS_ORDER_GUARANTEED_PRICE_WITHIN_SPREAD = (
        "STOP_LOSS_ORDER_GUARANTEED_PRICE_WITHIN_SPREAD"
    )
    STOP_LOSS_ORDER_GUARANTEED_NOT_ALLOWED = "STOP_LOSS_ORDER_GUARANTEED_NOT_ALLOWED"
    STOP_LOSS_ORDER_GUARANTEED_HALTED_CREATE_VIOLATION = (
        "STOP_LOSS_ORDER_GUARANTEED_HALTED_CREATE_VIOLATION"
    )
    STOP_LOSS_ORDER_GUARANTEED_HALTED_TIGHTEN_VIOLATION = (
        "STOP_LOSS_ORDER_GUARANTEED_HALTED_TIGHTEN_VIOLATION"
    )
    STOP_LOSS_ORDER_GUARANTEED_HEDGING_NOT_ALLOWED = (
        "STOP_LOSS_ORDER_GUARANTEED_HEDGING_NOT_ALLOWED"
    )
    STOP_LOSS_ORDER_GUARANTEED_MINIMUM_DISTANCE_NOT_MET = (
        "STOP_LOSS_ORDER_GUARANTEED_MINIMUM_DISTANCE_NOT_MET"
    )
    STOP_LOSS_ORDER_NOT_CANCELABLE = "STOP_LOSS_ORDER_NOT_CANCELABLE"
    STOP_LOSS_ORDER_NOT_REPLACEABLE = "STOP_LOSS_ORDER_NOT_REPLACEABLE"
    STOP_LOSS_ORDER_GUARANTEED_LEVEL_RESTRICTION_EXCEEDED = (
        "STOP_LOSS_ORDER_GUARANTEED_LEVEL_RESTRICTION_EXCEEDED"
    )
    STOP_LOSS_ORDER_PRICE_AND_DISTANCE_BOTH_SPECIFIED = (
        "STOP_LOSS_ORDER_PRICE_AND_DISTANCE_BOTH_SPECIFIED"
    )
    STOP_LOSS_ORDER_PRICE_AND_DISTANCE_BOTH_MISSING = (
        "STOP_LOSS_ORDER_PRICE_AND_DISTANCE_BOTH_MISSING"
    )
    STOP_LOSS_ON_FILL_REQUIRED_FOR_PENDING_ORDER = "STOP_LOSS_ON_FILL_REQUIRED_FOR_PENDING_ORDER"
    STOP_LOSS_ON_FILL_GUARANTEED_NOT_ALLOWED = "STOP_LOSS_ON_FILL_GUARANTEED_NOT_ALLOWED"
    STOP_LOSS_ON_FILL_GUARANTEED_REQUIRED = "STOP_LOSS_ON_FILL_GUARANTEED_REQUIRED"
    STOP_LOSS_ON_FILL_PRICE_MISSING = "STOP_LOSS_ON_FILL_PRICE_MISSING"
    STOP_LOSS_ON_FILL_PRICE_INVALID = "STOP_LOSS_ON_FILL_PRICE_INVALID"
    STOP_LOSS_ON_FILL_PRICE_PRECISION_EXCEEDED = "STOP_LOSS_ON_FILL_PRICE_PRECISION_EXCEEDED"
    STOP_LOSS_ON_FILL_GUARANTEED_MINIMUM_DISTANCE_NOT_MET = (
        "STOP_LOSS_ON_FILL_GUARANTEED_MINIMUM_DISTANCE_NOT_MET"
    )
    STOP_LOSS_ON_FILL_GUARANTEED_LEVEL_RESTRICTION_EXCEEDED = (
        "STOP_LOSS_ON_FILL_GUARANTEED_LEVEL_RESTRICTION_EXCEEDED"
    )
    STOP_LOSS_ON_FILL_DISTANCE_INVALID = "STOP_LOSS_ON_FILL_DISTANCE_INVALID"
    STOP_LOSS_ON_FILL_PRICE_DISTANCE_MAXIMUM_EXCEEDED = (
        "STOP_LOSS_ON_FILL_PRICE_DISTANCE_MAXIMUM_EXCEEDED"
    )
    STOP_LOSS_ON_FILL_DISTANCE_PRECISION_EXCEEDED = "STOP_LOSS_ON_FILL_DISTANCE_PRECISION_EXCEEDED"
    STOP_LOSS_ON_FILL_PRICE_AND_DISTANCE_BOTH_SPECIFIED = (
        "STOP_LOSS_ON_FILL_PRICE_AND_DISTANCE_BOTH_SPECIFIED"
    )
    STOP_LOSS_ON_FILL_PRICE_AND_DISTANCE_BOTH_MISSING = (
        "STOP_LOSS_ON_FILL_PRICE_AND_DISTANCE_BOTH_MISSING"
    )
    STOP_LOSS_ON_FILL_TIME_IN_FORCE_MISSING = "STOP_LOSS_ON_FILL_TIME_IN_FORCE_MISSING"
    STOP_LOSS_ON_FILL_TIME_IN_FORCE_INVALID = "STOP_LOSS_ON_FILL_TIME_IN_FORCE_INVALID"
    STOP_LOSS_ON_FILL_GTD_TIMESTAMP_MISSING = "STOP_LOSS_ON_FILL_GTD_TIMESTAMP_MISSING"
    STOP_LOSS_ON_FILL_GTD_TIMESTAMP_IN_PAST = "STOP_LOSS_ON_FILL_GTD_TIMESTAMP_IN_PAST"
    STOP_LOSS_ON_FILL_CLIENT_ORDER_ID_INVALID = "STOP_LOSS_ON_FILL_CLIENT_ORDER_ID_INVALID"
    STOP_LOSS_ON_FILL_CLIENT_ORDER_TAG_INVALID = "STOP_LOSS_ON_FILL_CLIENT_ORDER_TAG_INVALID"
    STOP_LOSS_ON_FILL_CLIENT_ORDER_COMMENT_INVALID = (
        "STOP_LOSS_ON_FILL_CLIENT_ORDER_COMMENT_INVALID"
    )
    STOP_LOSS_ON_FILL_TRIGGER_CONDITION_MISSING = "STOP_LOSS_ON_FILL_TRIGGER_CONDITION_MISSING"
    STOP_LOSS_ON_FILL_TRIGGER_CONDITION_INVALID = "STOP_LOSS_ON_FILL_TRIGGER_CONDITION_INVALID"
    TRAILING_STOP_LOSS_ORDER_ALREADY_EXISTS = "TRAILING_STOP_LOSS_ORDER_ALREADY_EXISTS"
    TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_MISSING = (
        "TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_MISSING"
    )
    TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_INVALID = (
        "TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_INVALID"
    )
    TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_PRECISION_EXCEEDED = (
        "TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_PRECISION_EXCEEDED"
    )
    TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_MAXIMUM_EXCEEDED = (
        "TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_MAXIMUM_EXCEEDED"
    )
    TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_MINIMUM_NOT_MET = (
        "TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_MINIMUM_NOT_MET"
    )
    TRAILING_STOP_LOSS_ON_FILL_TIME_IN_FORCE_MISSING = (
        "TRAILING_STOP_LOSS_ON_FILL_TIME_IN_FORCE_MISSING"
    )
    TRAILING_STOP_LOSS_ON_FILL_TIME_IN_FORCE_INVALID = (
        "TRAILING_STOP_LOSS_ON_FILL_TIME_IN_FORCE_INVALID"
    )
    TRAILING_STOP_LOSS_ON_FILL_GTD_TIMESTAMP_MISSING = (
        "TRAILING_STOP_LOSS_ON_FILL_GTD_TIMESTAMP_MISSING"
    )
    TRAILING_STOP_LOSS_ON_FILL_GTD_TIMESTAMP_IN_PAST = (
        "TRAILING_STOP_LOSS_ON_FILL_GTD_TIMESTAMP_IN_PAST"
    )
    TRAILING_STOP_LOSS_ON_FILL_CLIENT_ORDER_ID_INVALID = (
        "TRAILING_STOP_LOSS_ON_FILL_CLIENT_ORDER_ID_INVALID"
    )
    TRAILING_STOP_LOSS_ON_FILL_CLIENT_ORDER_TAG_INVALID = (
        "TRAILING_STOP_LOSS_ON_FILL_CLIENT_ORDER_TAG_INVALID"
    )
    TRAILING_STOP_LOSS_ON_FILL_CLIENT_ORDER_COMMENT_INVALID = (
        "TRAILING_STOP_LOSS_ON_FILL_CLIENT_ORDER_COMMENT_INVALID"
    )
    TRAILING_STOP_LOSS_ORDERS_NOT_SUPPORTED = "TRAILING_STOP_LOSS_ORDERS_NOT_SUPPORTED"
    TRAILING_STOP_LOSS_ON_FILL_TRIGGER_CONDITION_MISSING = (
        "TRAILING_STOP_LOSS_ON_FILL_TRIGGER_CONDITION_MISSING"
    )
    TRAILING_STOP_LOSS_ON_FILL_TRIGGER_CONDITION_INVALID = (
        "TRAILING_STOP_LOSS_ON_FILL_TRIGGER_CONDITION_INVALID"
    )
    CLOSE_TRADE_TYPE_MISSING = "CLOSE_TRADE_TYPE_MISSING"
    CLOSE_TRADE_PARTIAL_UNITS_MISSING = "CLOSE_TRADE_PARTIAL_UNITS_MISSING"
    CLOSE_TRADE_UNITS_EXCEED_TRADE_SIZE = "CLOSE_TRADE_UNITS_EXCEED_TRADE_SIZE"
    CLOSEOUT_POSITION_DOESNT_EXIST = "CLOSEOUT_POSITION_DOESNT_EXIST"
    CLOSEOUT_POSITION_INCOMPLETE_SPECIFICATION = "CLOSEOUT_POSITION_INCOMPLETE_SPECIFICATION"
    CLOSEOUT_POSITION_UNITS_EXCEED_POSITION_SIZE = "CLOSEOUT_POSITION_UNITS_EXCEED_POSITION_SIZE"
    CLOSEOUT_POSITION_REJECT = "CLOSEOUT_POSITION_REJECT"
    CLOSEOUT_POSITION_PARTIAL_UNITS_MISSING = "CLOSEOUT_POSITION_PARTIAL_UNITS_MISSING"
    MARKUP_GROUP_ID_INVALID = "MARKUP_GROUP_ID_INVALID"
    POSITION_AGGREGATION_MODE_INVALID = "POSITION_AGGREGATION_MODE_INVALID"
    ADMIN_CONFIGURE_DATA_MISSING = "ADMIN_CONFIGURE_DATA_MISSING"
    MARGIN_RATE_INVALID = "MARGIN_RATE_INVALID"
    MARGIN_RATE_WOULD_TRIGGER_CLOSEOUT = "MARGIN_RATE_WOULD_TRIGGER_CLOSEOUT"
    ALIAS_INVALID = "ALIAS_INVALID"
    CLIENT_CONFIGURE_DATA_MISSING = "CLIENT_CONFIGURE_DATA_MISSING"
    MARGIN_RATE_WOULD_TRIGGER_MARGIN_CALL = "MARGIN_RATE_WOULD_TRIGGER_MARGIN_CALL"
    AMOUNT_INVALID = "AMOUNT_INVALID"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    AMOUNT_MISSING = "AMOUNT_MISSING"
    FUNDING_REASON_MISSING = "FUNDING_REASON_MISSING"
    CLIENT_EXTENSIONS_DATA_MISSING = "CLIENT_EXTENSIONS_DATA_MISSING"
    REPLACING_ORDER_INVALID = "REPLACING_ORDER_INVALID"
    REPLACING_TRADE_ID_INVALID = "REPLACING_TRADE_ID_INVALID"
