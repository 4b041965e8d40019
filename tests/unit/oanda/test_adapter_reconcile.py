"""OANDA records → NautilusTrader reconciliation reports, and the ledger of the last applied
transaction."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from execution_engine.adapters.oanda import reconcile
from execution_engine.adapters.oanda.ledger import LastTransaction
from execution_engine.adapters.oanda.providers import oanda_instrument
from execution_engine.adapters.oanda.v20 import models
from nautilus_trader.model.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
)
from nautilus_trader.model.identifiers import AccountId, Venue
from nautilus_trader.model.objects import Currency

INSTRUMENT = oanda_instrument(
    {"name": "EUR_USD", "type": "CURRENCY", "displayPrecision": 5, "tradeUnitsPrecision": 0,
     "minimumTradeSize": "1", "marginRate": "0.0333"},
    Venue("OANDA"),
)  # fmt: skip
ACCOUNT = AccountId("OANDA-101-001-0000001-001")
USD = Currency.from_str("USD")


def _order(**fields: object) -> models.Order:
    body = {"id": "12", "type": "LIMIT", "state": "PENDING", "instrument": "EUR_USD",
            "units": "-1000", "price": "1.25000", "timeInForce": "GTC",
            "createTime": "2026-12-01T20:00:00.000000001Z",
            "clientExtensions": {"id": "O-1", "tag": "gauntlet"}, **fields}  # fmt: skip
    return msgspec.convert(body, models.Order)


def test_a_pending_limit_reports_as_sent_with_its_client_id() -> None:
    report = reconcile.order_status_report(_order(), INSTRUMENT, ACCOUNT, 5)
    assert report is not None
    assert (report.order_status, report.order_type, report.order_side) == (
        OrderStatus.ACCEPTED,
        OrderType.LIMIT,
        OrderSide.SELL,
    )
    assert (str(report.price), str(report.quantity), str(report.filled_qty)) == (
        "1.25000",
        "1000",
        "0",
    )
    assert report.client_order_id.value == "O-1"
    assert report.venue_order_id.value == "12"
    assert report.ts_accepted == 1_796_155_200_000_000_001


def test_a_stop_with_a_bound_is_a_stop_limit_and_gtd_keeps_its_expiry() -> None:
    order = _order(type="STOP", priceBound="1.25100", timeInForce="GTD",
                   gtdTime="2026-12-01T21:00:00.250000000Z")  # fmt: skip
    report = reconcile.order_status_report(order, INSTRUMENT, ACCOUNT, 5)
    assert report is not None
    assert report.order_type == OrderType.STOP_LIMIT
    assert (str(report.trigger_price), str(report.price)) == ("1.25000", "1.25100")
    assert report.time_in_force == TimeInForce.GTD
    assert report.expire_time is not None
    assert report.expire_time.microsecond == 250_000


def test_cancelled_reads_as_expired_when_its_time_ran_out() -> None:
    order = _order(state="CANCELLED", timeInForce="GTD", gtdTime="2026-12-01T21:00:00Z")
    expired = reconcile.order_status_report(order, INSTRUMENT, ACCOUNT, 5, expired=True)
    canceled = reconcile.order_status_report(order, INSTRUMENT, ACCOUNT, 5)
    assert expired is not None
    assert expired.order_status == OrderStatus.EXPIRED
    assert canceled is not None
    assert canceled.order_status == OrderStatus.CANCELED


def test_a_dependent_order_is_not_reported() -> None:
    order = _order(type="TAKE_PROFIT", tradeID="7")
    assert reconcile.order_status_report(order, INSTRUMENT, ACCOUNT, 5) is None


def test_a_fill_is_one_fill_report_its_transaction_id_the_trade_id() -> None:
    fill = msgspec.convert(
        {"id": "15", "time": "2026-12-01T20:00:01Z", "type": "ORDER_FILL", "orderID": "14",
         "clientOrderID": "O-2", "instrument": "EUR_USD", "units": "1000", "price": "1.20010",
         "commission": "-0.50", "tradeOpened": {"tradeID": "15", "units": "1000"}},
        models.Transaction,
    )  # fmt: skip
    report = reconcile.fill_report(fill, INSTRUMENT, ACCOUNT, USD, 9, client_id=None, hedging=True)
    assert (report.trade_id.value, report.venue_order_id.value) == ("15", "14")
    assert (str(report.last_qty), str(report.last_px), report.order_side) == (
        "1000",
        "1.20010",
        OrderSide.BUY,
    )
    assert report.commission.as_decimal() == Decimal("0.50")
    assert report.venue_position_id is not None
    assert report.venue_position_id.value == "15"


def test_netting_positions_sum_both_sides_hedging_reports_each_trade() -> None:
    position = msgspec.convert(
        {"instrument": "EUR_USD", "long": {"units": "3000", "averagePrice": "1.20010"},
         "short": {"units": "0"}},
        models.Position,
    )  # fmt: skip
    trades = [
        msgspec.convert(
            {
                "id": tid,
                "instrument": "EUR_USD",
                "price": "1.2",
                "openTime": "2026-12-01T20:00:00Z",
                "state": "OPEN",
                "initialUnits": units,
                "currentUnits": units,
            },
            models.Trade,
        )
        for tid, units in (("20", "2000"), ("21", "-500"))
    ]
    listed = {"EUR_USD": INSTRUMENT}
    (net,) = reconcile.position_status_reports([position], [], listed, ACCOUNT, 1, hedging=False)
    assert (net.position_side, str(net.quantity), net.avg_px_open) == (
        PositionSide.LONG,
        "3000",
        Decimal("1.20010"),
    )
    each = reconcile.position_status_reports([], trades, listed, ACCOUNT, 1, hedging=True)
    assert [(r.venue_position_id.value, r.position_side) for r in each] == [
        ("20", PositionSide.LONG),
        ("21", PositionSide.SHORT),
    ]


def test_the_ledger_only_moves_forward_and_survives_a_restart(tmp_path) -> None:
    path = tmp_path / "oanda" / "last_transaction_id"
    ledger = LastTransaction(path)
    assert ledger.id is None
    ledger.advance("41")
    ledger.advance("40")  # an older one applied late (a catch-up) does not move it back
    assert LastTransaction(path).id == "41"
