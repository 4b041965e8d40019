"""The v20 models decode OANDA's documented bodies and encode requests as OANDA reads them."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from execution_engine.adapters.oanda.v20 import models as m
from execution_engine.adapters.oanda.v20.errors import (
    NotFound,
    OrderRejected,
    Unauthorized,
    V20Error,
    describe_reject,
    error_for,
)
from execution_engine.adapters.oanda.v20.names import v20_name

PRICE = (
    b'{"type":"PRICE","time":"2016-09-20T15:05:47.960449532Z","bids":[{"price":"1.11570",'
    b'"liquidity":10000000}],"asks":[{"price":"1.11586","liquidity":10000000}],'
    b'"closeoutBid":"1.11555","closeoutAsk":"1.11601","status":"tradeable","tradeable":true,'
    b'"instrument":"EUR_USD"}'
)
HEARTBEAT = b'{"type":"HEARTBEAT","time":"2016-09-20T15:05:50.163791738Z"}'
FILL = (
    b'{"type":"ORDER_FILL","orderID":"6372","instrument":"EUR_USD","units":"100",'
    b'"price":"1.22961","pl":"0.0000","financing":"0.0000","commission":"0.0000",'
    b'"accountBalance":"99798.2551","gainQuoteHomeConversionFactor":"1",'
    b'"lossQuoteHomeConversionFactor":"1","guaranteedExecutionFee":"0.0000",'
    b'"halfSpreadCost":"0.0060","fullVWAP":"1.22961","reason":"MARKET_ORDER",'
    b'"tradeOpened":{"price":"1.22961","tradeID":"6373","units":"100",'
    b'"guaranteedExecutionFee":"0.0000","halfSpreadCost":"0.0060","initialMarginRequired":"2.4592"},'
    b'"fullPrice":{"closeoutBid":"1.22934","closeoutAsk":"1.22976",'
    b'"timestamp":"2018-01-23T19:01:08.167287000Z","bids":[{"price":"1.22949","liquidity":"10000000"}],'
    b'"asks":[{"price":"1.22961","liquidity":"10000000"}]},"id":"6373",'
    b'"accountID":"101-004-1435156-001","userID":1435156,"batchID":"6372",'
    b'"requestID":"60408066806702542","time":"2018-01-23T19:01:08.290574000Z","aNewerField":1}'
)
REJECT = (
    b'{"orderRejectTransaction":{"type":"MARKET_ORDER_REJECT","instrument":"EUR_USD",'
    b'"units":"100000000","timeInForce":"FOK","positionFill":"DEFAULT","reason":"CLIENT_ORDER",'
    b'"rejectReason":"INSUFFICIENT_MARGIN","id":"6374","accountID":"101-004-1435156-001",'
    b'"userID":1435156,"batchID":"6374","requestID":"1","time":"2018-01-23T19:02:08.290574000Z"},'
    b'"relatedTransactionIDs":["6374"],"lastTransactionID":"6374",'
    b'"errorCode":"INSUFFICIENT_MARGIN","errorMessage":"The order was rejected"}'
)


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("last_transaction_id", "lastTransactionID"),
        ("trade_ids", "tradeIDs"),
        ("unrealized_pl", "unrealizedPL"),
        ("nav", "NAV"),
        ("margin_closeout_nav", "marginCloseoutNAV"),
        ("full_vwap", "fullVWAP"),
        ("id", "id"),
        ("client_extensions", "clientExtensions"),
    ],
)
def test_field_names_are_oandas(field: str, name: str) -> None:
    assert v20_name(field) == name


def test_price_line_decodes_to_decimals() -> None:
    price = msgspec.json.decode(PRICE, type=m.ClientPrice | m.PricingHeartbeat)
    assert isinstance(price, m.ClientPrice)
    assert price.bids[0].price == Decimal("1.11570")
    assert price.asks[0].liquidity == Decimal(10000000)
    assert price.closeout_ask == Decimal("1.11601")
    assert price.time == "2016-09-20T15:05:47.960449532Z"


def test_heartbeat_decodes_as_heartbeat() -> None:
    beat = msgspec.json.decode(HEARTBEAT, type=m.ClientPrice | m.PricingHeartbeat)
    assert isinstance(beat, m.PricingHeartbeat)
    assert beat.time.endswith("738Z")


def test_order_fill_decodes_with_unknown_fields_ignored() -> None:
    fill = msgspec.json.decode(FILL, type=m.Transaction)
    assert fill.type == "ORDER_FILL"
    assert fill.account_balance == Decimal("99798.2551")
    assert fill.trade_opened is not None
    assert fill.trade_opened.initial_margin_required == Decimal("2.4592")
    assert fill.full_price is not None
    assert fill.full_price.bids[0].liquidity == Decimal(10000000)  # a string inside fills


def test_insufficient_margin_reject_is_order_rejected() -> None:
    error = error_for(400, REJECT)
    assert isinstance(error, OrderRejected)
    assert error.reject_reason == m.TransactionRejectReason.INSUFFICIENT_MARGIN
    assert error.transaction is not None
    assert error.transaction.id == "6374"
    assert str(error) == (
        "OANDA rejected the order: INSUFFICIENT_MARGIN (not enough margin available for the order)"
    )


def test_401_body_is_unauthorized_in_one_line() -> None:
    error = error_for(401, b'{"errorMessage":"Insufficient authorization to perform request."}')
    assert isinstance(error, Unauthorized)
    assert "Insufficient authorization to perform request." in str(error)
    assert "\n" not in str(error)


def test_a_body_that_is_not_json_still_gives_one_line() -> None:
    error = error_for(502, b"<html>\n<body>Bad gateway</body>\n</html>")
    assert type(error) is V20Error
    assert str(error) == "OANDA v20 HTTP 502: <html> <body>Bad gateway</body> </html>"


def test_404_without_reject_is_not_found() -> None:
    error = error_for(404, b'{"errorMessage":"The Account specified does not exist."}')
    assert isinstance(error, NotFound)


def test_reject_reason_enum_is_the_references_whole_list() -> None:
    reasons = list(m.TransactionRejectReason)
    assert len(reasons) == 143  # the v20 reference's TransactionRejectReason
    assert reasons[0] == "INTERNAL_SERVER_ERROR"
    assert reasons[-1] == "REPLACING_TRADE_ID_INVALID"


@pytest.mark.parametrize("reason", list(m.TransactionRejectReason))
def test_every_reject_reason_reads_as_one_clear_line(reason: m.TransactionRejectReason) -> None:
    text = describe_reject(reason)
    assert text
    assert "_" not in text
    assert "\n" not in text
    assert "a reason this client does not know" not in text


def test_a_reason_newer_than_the_client_still_reads() -> None:
    assert (
        describe_reject("SOME_NEW_REASON") == "some new reason (a reason this client does not know)"
    )


def test_order_requests_encode_with_their_type_and_no_nulls() -> None:
    order = m.LimitOrderRequest(
        instrument="EUR_USD",
        units=Decimal(-500),
        price=Decimal("1.10500"),
        time_in_force="GTD",
        gtd_time="2026-12-02T00:00:00.000000000Z",
        trailing_stop_loss_on_fill=m.TrailingStopLossDetails(distance=Decimal("0.00200")),
        client_extensions=m.ClientExtensions(id="C-1"),
    )
    assert msgspec.json.decode(msgspec.json.encode(order)) == {
        "type": "LIMIT",
        "instrument": "EUR_USD",
        "units": "-500",
        "clientExtensions": {"id": "C-1"},
        "trailingStopLossOnFill": {"distance": "0.00200"},
        "price": "1.10500",
        "timeInForce": "GTD",
        "gtdTime": "2026-12-02T00:00:00.000000000Z",
    }


@pytest.mark.parametrize(
    ("request_type", "tag"),
    [
        (m.StopOrderRequest, "STOP"),
        (m.MarketIfTouchedOrderRequest, "MARKET_IF_TOUCHED"),
        (m.LimitOrderRequest, "LIMIT"),
    ],
)
def test_pending_order_requests_round_trip(request_type: type[m.OrderRequest], tag: str) -> None:
    order = request_type(instrument="USD_JPY", units=Decimal(10), price=Decimal("150.125"))  # type: ignore[call-arg]  # every pending type takes a price
    wire = msgspec.json.encode(order)
    assert msgspec.json.decode(wire)["type"] == tag
    assert msgspec.json.decode(wire, type=m.OrderRequest) == order
