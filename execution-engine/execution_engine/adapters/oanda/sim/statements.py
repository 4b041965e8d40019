"""The account's statements: the JSON of its trades, positions, summary and details, at the
current quotes (the dicts the REST routes and account changes encode)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from execution_engine.adapters.oanda.sim import account as accounting
from execution_engine.adapters.oanda.sim.broker import Broker
from execution_engine.adapters.oanda.sim.trades import Trade
from execution_engine.adapters.oanda.sim.wire import dec, money

Body = dict[str, Any]


def trade_json(broker: Broker, trade: Trade) -> Body:
    body = trade.to_json(
        accounting.unrealized(trade, broker.home, broker.market) if trade.is_open else Decimal(0),
        accounting.trade_margin(trade, broker.home, broker.market),
    )
    for key, order_id in (
        ("takeProfitOrder", trade.take_profit_id), ("stopLossOrder", trade.stop_loss_id),
        ("trailingStopLossOrder", trade.trailing_stop_id),
    ):  # fmt: skip
        if order_id is not None and broker.orders[order_id].state == "PENDING":
            body[key] = broker.orders[order_id].to_json()
    return body


def position_json(broker: Broker, instrument: str) -> Body:
    long, short = broker.book.side_units(instrument)
    pls = broker.position_pl.get(instrument, {"long": Decimal(0), "short": Decimal(0)})
    sides: dict[str, Body] = {}
    total_unrealized = Decimal(0)
    for name, units in (("long", long), ("short", short)):
        trades = [
            t
            for t in broker.book.open_trades(instrument)
            if (t.current_units > 0) == (name == "long")
        ]
        unrealized = sum(
            (accounting.unrealized(t, broker.home, broker.market) for t in trades), Decimal(0)
        )
        total_unrealized += unrealized
        side: Body = {
            "units": dec(units), "pl": money(pls[name]), "resettablePL": money(pls[name]),
            "unrealizedPL": money(unrealized), "financing": "0.0000",
            "guaranteedExecutionFees": "0.0000", "dividendAdjustment": "0.0000",
        }  # fmt: skip
        if trades:
            side["averagePrice"] = dec(_average(trades))
            side["tradeIDs"] = [t.id for t in trades]
        sides[name] = side
    total_pl = pls["long"] + pls["short"]
    return {
        "instrument": instrument, "pl": money(total_pl), "resettablePL": money(total_pl),
        "unrealizedPL": money(total_unrealized),
        "marginUsed": money(accounting.instrument_margin(broker.book, instrument, broker.home, broker.market)),
        "financing": "0.0000", "commission": "0.0000", "dividendAdjustment": "0.0000",
        "guaranteedExecutionFees": "0.0000", "long": sides["long"], "short": sides["short"],
    }  # fmt: skip


def positions(broker: Broker, open_only: bool) -> list[Body]:
    names = {t.instrument for t in broker.book.open_trades()}
    if not open_only:
        names |= set(broker.position_pl)
    return [position_json(broker, name) for name in sorted(names)]


def summary(broker: Broker) -> Body:
    v = broker.valuation()
    pl = sum((p["long"] + p["short"] for p in broker.position_pl.values()), Decimal(0))
    return {
        "id": broker.config.account_id, "alias": "Gauntlet simulator", "currency": broker.home,
        "balance": money(broker.balance), "createdByUserID": broker.user_id,
        "createdTime": broker.created, "guaranteedStopLossOrderMode": "DISABLED",
        "pl": money(pl), "resettablePL": money(pl), "resettablePLTime": "0",
        "financing": "0.0000", "commission": "0.0000", "dividendAdjustment": "0.0000",
        "guaranteedExecutionFees": "0.0000", "marginRate": "0.0333",
        "openTradeCount": len(broker.book.open_trades()),
        "openPositionCount": len({t.instrument for t in broker.book.open_trades()}),
        "pendingOrderCount": len(broker.pending_orders()), "hedgingEnabled": broker.hedging,
        **state_numbers(broker, v), "lastTransactionID": broker.log.last_id,
    }  # fmt: skip


def state_numbers(broker: Broker, v: accounting.Valuation) -> Body:
    return {
        "unrealizedPL": money(v.unrealized_pl), "NAV": money(v.nav),
        "marginUsed": money(v.margin_used), "marginAvailable": money(v.margin_available),
        "positionValue": money(v.position_value),
        "marginCloseoutUnrealizedPL": money(v.unrealized_pl),
        "marginCloseoutNAV": money(v.nav),
        "marginCloseoutMarginUsed": money(v.closeout_margin_used),
        "marginCloseoutPercent": dec(v.closeout_percent.quantize(Decimal("0.00001"))),
        "marginCloseoutPositionValue": money(v.position_value),
        "withdrawalLimit": money(v.margin_available),
        "marginCallMarginUsed": money(v.margin_used),
        "marginCallPercent": dec((v.margin_used / v.nav if v.nav > 0 else Decimal(0)).quantize(Decimal("0.00001"))),
    }  # fmt: skip


def details(broker: Broker) -> Body:
    body = summary(broker)
    body["trades"] = [trade_json(broker, t) for t in broker.book.open_trades()]
    body["positions"] = positions(broker, open_only=False)
    body["orders"] = [o.to_json() for o in broker.pending_orders()]
    return body


def _average(trades: list[Trade]) -> Decimal:
    units = sum((abs(t.current_units) for t in trades), Decimal(0))
    return sum((t.price * abs(t.current_units) for t in trades), Decimal(0)) / units
