"""Terminal rows (as docs/mt5-bridge-protocol.md shows them) → reconciliation reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from execution_engine.adapters.mt5.providers import mt5_instrument
from execution_engine.adapters.mt5.reconcile import (
    RowError,
    average_price,
    fill_report,
    order_status_report,
    position_status_reports,
)
from nautilus_trader.model.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
)
from nautilus_trader.model.identifiers import AccountId, ClientOrderId, PositionId, Venue
from nautilus_trader.model.objects import Currency, Money, Price, Quantity

from tests.unit.mt5.test_adapter_providers import EURUSD

PAIR = mt5_instrument(EURUSD, Venue("MT5"))
LISTED = {"EURUSD": (PAIR, EURUSD)}
ACCOUNT = AccountId("MT5-1001")
USD = Currency.from_str("USD")
COID = ClientOrderId("O-20260101-001")


def order_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ticket": 5001, "symbol": "EURUSD", "type": "ORDER_TYPE_BUY_LIMIT",
        "state": "ORDER_STATE_PLACED", "volume_initial": "0.20", "volume_current": "0.20",
        "price_open": "1.09000", "price_stoplimit": "0.00000", "sl": "0", "tp": "0",
        "type_filling": "ORDER_FILLING_RETURN", "type_time": "ORDER_TIME_GTC",
        "expiration_ms": 0, "magic": 4242, "comment": "gt1:0123456789abcdef01234567",
        "position_id": 0, "time_setup_ms": 1_767_225_600_000,
    }  # fmt: skip
    return {**row, **changes}


def deal_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ticket": 9001, "order": 5001, "position_id": 7001, "symbol": "EURUSD",
        "type": "DEAL_TYPE_BUY", "entry": "DEAL_ENTRY_IN", "volume": "0.10",
        "price": "1.10012", "commission": "-0.70", "swap": "0.00", "profit": "0.00",
        "fee": "-0.05", "magic": 4242, "comment": "gt1:0123456789abcdef01234567",
        "reason": "DEAL_REASON_EXPERT", "time_ms": 1_767_225_601_000,
    }  # fmt: skip
    return {**row, **changes}


def position_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ticket": 7001, "identifier": 7001, "symbol": "EURUSD", "type": "POSITION_TYPE_BUY",
        "volume": "0.10", "price_open": "1.10012", "price_current": "1.10020", "sl": "0",
        "tp": "0", "swap": "0", "profit": "0.80", "magic": 4242, "comment": "",
        "time_ms": 1_767_225_601_000, "time_update_ms": 1_767_225_601_000,
    }  # fmt: skip
    return {**row, **changes}


def report(row: dict[str, Any], **kwargs: Any) -> Any:
    return order_status_report(row, PAIR, EURUSD, ACCOUNT, 1, client_order_id=COID, **kwargs)


def test_an_active_limit_is_accepted_in_units() -> None:
    status = report(order_row())
    assert status.order_status == OrderStatus.ACCEPTED
    assert (status.order_type, status.order_side) == (OrderType.LIMIT, OrderSide.BUY)
    assert status.time_in_force == TimeInForce.GTC
    assert status.quantity == Quantity.from_int(20_000)
    assert status.filled_qty == Quantity.from_int(0)
    assert status.price == Price.from_str("1.09000")
    assert status.venue_order_id.value == "5001"
    assert status.client_order_id == COID
    assert status.ts_accepted == 1_767_225_600_000 * 1_000_000


def test_a_partly_filled_active_order_and_its_average() -> None:
    status = report(order_row(volume_current="0.05"), avg_px=Decimal("1.0895"))
    assert status.order_status == OrderStatus.PARTIALLY_FILLED
    assert status.filled_qty == Quantity.from_int(15_000)
    assert status.avg_px == Decimal("1.0895")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("ORDER_STATE_FILLED", OrderStatus.FILLED),
        ("ORDER_STATE_CANCELED", OrderStatus.CANCELED),
        ("ORDER_STATE_EXPIRED", OrderStatus.EXPIRED),
        ("ORDER_STATE_REJECTED", OrderStatus.REJECTED),
    ],
)
def test_history_states(state: str, expected: OrderStatus) -> None:
    done = 1_767_225_700_000
    status = report(order_row(state=state, time_done_ms=done))
    assert status.order_status == expected
    assert status.ts_last == done * 1_000_000


def test_a_market_order_row_and_a_gtd_stop_limit() -> None:
    market = report(order_row(type="ORDER_TYPE_SELL", type_filling="ORDER_FILLING_IOC"))
    assert (market.order_type, market.time_in_force) == (OrderType.MARKET, TimeInForce.IOC)
    assert market.order_side == OrderSide.SELL
    expire = 1_767_312_000_000
    stop_limit = report(
        order_row(
            type="ORDER_TYPE_SELL_STOP_LIMIT", price_open="1.08000", price_stoplimit="1.07990",
            type_time="ORDER_TIME_SPECIFIED", expiration_ms=expire,
        )
    )  # fmt: skip
    assert stop_limit.order_type == OrderType.STOP_LIMIT
    assert stop_limit.trigger_price == Price.from_str("1.08000")
    assert stop_limit.price == Price.from_str("1.07990")
    assert stop_limit.time_in_force == TimeInForce.GTD
    assert stop_limit.expire_time == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


def test_a_deal_is_one_fill_with_its_costs_paid() -> None:
    fill = fill_report(
        deal_row(), PAIR, EURUSD, ACCOUNT, USD, 1, client_order_id=COID, hedging=True
    )
    assert fill.trade_id.value == "9001"
    assert fill.venue_order_id.value == "5001"
    assert fill.venue_position_id == PositionId("7001")
    assert fill.last_qty == Quantity.from_int(10_000)
    assert fill.last_px == Price.from_str("1.10012")
    assert fill.commission == Money(Decimal("0.75"), USD)
    netting = fill_report(
        deal_row(), PAIR, EURUSD, ACCOUNT, USD, 1, client_order_id=None, hedging=False
    )
    assert netting.venue_position_id is None
    assert netting.client_order_id is None


def test_a_balance_deal_is_not_a_fill() -> None:
    with pytest.raises(RowError, match="not a trade"):
        fill_report(
            deal_row(type="DEAL_TYPE_BALANCE"), PAIR, EURUSD, ACCOUNT, USD, 1,
            client_order_id=None, hedging=True,
        )  # fmt: skip
    assert average_price([deal_row(type="DEAL_TYPE_BALANCE")]) is None


def test_average_price_is_volume_weighted() -> None:
    deals = [deal_row(volume="0.10", price="1.10000"), deal_row(volume="0.30", price="1.10020")]
    assert average_price(deals) == Decimal("1.10015")


def test_hedging_positions_are_one_report_per_ticket() -> None:
    rows = [
        position_row(),
        position_row(ticket=7002, type="POSITION_TYPE_SELL", volume="0.04"),
        position_row(ticket=7003, symbol="GBPUSD"),  # not this node's instrument
    ]
    reports = position_status_reports(rows, LISTED, ACCOUNT, 1, hedging=True)
    assert [(r.venue_position_id, r.position_side, r.quantity) for r in reports] == [
        (PositionId("7001"), PositionSide.LONG, Quantity.from_int(10_000)),
        (PositionId("7002"), PositionSide.SHORT, Quantity.from_int(4_000)),
    ]


def test_netting_positions_are_the_net_per_symbol() -> None:
    rows = [position_row(), position_row(ticket=7002, type="POSITION_TYPE_SELL", volume="0.04")]
    (net,) = position_status_reports(rows, LISTED, ACCOUNT, 1, hedging=False)
    assert (net.position_side, net.quantity) == (PositionSide.LONG, Quantity.from_int(6_000))
    assert net.venue_position_id is None


def test_a_row_with_a_float_price_is_refused() -> None:
    with pytest.raises(RowError, match="price_open is not a decimal string"):
        report(order_row(price_open=1.09))
