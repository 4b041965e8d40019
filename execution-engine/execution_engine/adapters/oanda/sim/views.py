"""The larger read-only answers: instruments, account changes, transaction pages."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from execution_engine.adapters.oanda.sim import statements
from execution_engine.adapters.oanda.sim.broker import Broker
from execution_engine.adapters.oanda.sim.config import InstrumentSpec
from execution_engine.adapters.oanda.sim.errors import ApiError
from execution_engine.adapters.oanda.sim.wire import dec, parse_time

_PAGE = 100
_FILTERS: dict[str, set[str]] = {
    "ORDER": {"MARKET_ORDER", "LIMIT_ORDER", "STOP_ORDER", "MARKET_IF_TOUCHED_ORDER",
              "TAKE_PROFIT_ORDER", "STOP_LOSS_ORDER", "TRAILING_STOP_LOSS_ORDER", "ORDER_FILL",
              "ORDER_CANCEL"},
    "FUNDING": {"TRANSFER_FUNDS"},
    "ADMIN": {"CREATE"},
}  # fmt: skip


def instrument_json(spec: InstrumentSpec) -> dict[str, Any]:
    return {
        "name": spec.name, "type": spec.type, "displayName": spec.display_name,
        "pipLocation": spec.pip_location, "displayPrecision": spec.display_precision,
        "tradeUnitsPrecision": spec.trade_units_precision,
        "minimumTradeSize": dec(spec.minimum_trade_size),
        "maximumTrailingStopDistance": "1.00000", "minimumTrailingStopDistance": "0.00050",
        "maximumPositionSize": "0", "maximumOrderUnits": dec(spec.maximum_order_units),
        "marginRate": dec(spec.margin_rate), "guaranteedStopLossOrderMode": "DISABLED",
        "tags": [{"type": "ASSET_CLASS", "name": spec.type}],
        "financing": {"longRate": "-0.0100", "shortRate": "0.0050", "financingDaysOfWeek": [
            {"dayOfWeek": day, "daysCharged": 1}
            for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
        ]},
    }  # fmt: skip


def type_filter(raw: str | None) -> set[str] | None:
    """The transaction types a `type=` filter keeps (None: all)."""
    if not raw:
        return None
    wanted: set[str] = set()
    for name in raw.split(","):
        wanted |= _FILTERS.get(name, {name})
    return wanted


def transaction_pages(broker: Broker, request: web.Request) -> dict[str, Any]:
    """GET /transactions: the count in a time range and the idrange pages that hold them."""
    query = request.query
    page_size = query.get("pageSize", str(_PAGE))
    if not page_size.isdigit() or not 1 <= int(page_size) <= 1000:
        raise ApiError(400, "Invalid value specified for 'pageSize'")
    try:
        start = parse_time(query["from"]) if "from" in query else 0
        end = parse_time(query["to"]) if "to" in query else None
    except ValueError:
        raise ApiError(400, "Invalid value specified for 'from' or 'to'") from None
    wanted = type_filter(query.get("type"))
    chosen = [
        t for t in broker.log.since(0)
        if parse_time(t["time"]) >= start and (end is None or parse_time(t["time"]) <= end)
        and (wanted is None or t["type"] in wanted)
    ]  # fmt: skip
    base = f"{request.scheme}://{request.host}/v3/accounts/{broker.config.account_id}/transactions/idrange"
    size = int(page_size)
    pages = [
        f"{base}?from={chosen[i]['id']}&to={chosen[min(i + size, len(chosen)) - 1]['id']}"
        for i in range(0, len(chosen), size)
    ]
    body: dict[str, Any] = {
        "from": query.get("from", broker.created), "to": query.get("to", chosen[-1]["time"] if chosen else broker.created),
        "pageSize": size, "count": len(chosen), "pages": pages,
        "lastTransactionID": broker.log.last_id,
    }  # fmt: skip
    if query.get("type"):
        body["type"] = query["type"].split(",")
    return body


def account_changes(broker: Broker, since: int) -> dict[str, Any]:
    """GET /changes: what the transactions after `since` changed, and the state now."""
    happened = broker.log.since(since)
    created: list[dict[str, Any]] = []
    cancelled: list[dict[str, Any]] = []
    filled: list[dict[str, Any]] = []
    opened: list[dict[str, Any]] = []
    reduced: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []
    touched: set[str] = set()
    for transaction in happened:
        kind = transaction["type"]
        order = broker.orders.get(str(transaction.get("orderID", transaction["id"])))
        if kind.endswith("_ORDER") and order is not None and order.id == transaction["id"]:
            created.append(order.to_json())
        elif kind == "ORDER_CANCEL" and order is not None:
            cancelled.append(order.to_json())
        elif kind == "ORDER_FILL" and order is not None:
            filled.append(order.to_json())
            touched.add(transaction["instrument"])
            rows = transaction.get("tradesClosed", [])
            closed.extend(
                statements.trade_json(broker, broker.book.trades[r["tradeID"]]) for r in rows
            )
            if "tradeReduced" in transaction:
                reduced.append(
                    statements.trade_json(
                        broker, broker.book.trades[transaction["tradeReduced"]["tradeID"]]
                    )
                )
            if "tradeOpened" in transaction:
                opened.append(
                    statements.trade_json(
                        broker, broker.book.trades[transaction["tradeOpened"]["tradeID"]]
                    )
                )
    v = broker.valuation()
    state = statements.state_numbers(broker, v) | {
        "orders": [
            {"id": o.id, "trailingStopValue": dec(o.trailing_stop_value)}
            for o in broker.pending_orders() if o.trailing_stop_value is not None
        ],
        "trades": [
            {"id": t["id"], "unrealizedPL": t["unrealizedPL"], "marginUsed": t["marginUsed"]}
            for t in (statements.trade_json(broker, trade) for trade in broker.book.open_trades())
        ],
        "positions": [
            {"instrument": p["instrument"], "netUnrealizedPL": p["unrealizedPL"],
             "longUnrealizedPL": p["long"]["unrealizedPL"], "shortUnrealizedPL": p["short"]["unrealizedPL"],
             "marginUsed": p["marginUsed"]}
            for p in statements.positions(broker, open_only=True)
        ],
    }  # fmt: skip
    return {
        "changes": {
            "ordersCreated": created, "ordersCancelled": cancelled, "ordersFilled": filled,
            "ordersTriggered": [], "tradesOpened": opened, "tradesReduced": reduced,
            "tradesClosed": closed, "positions": [statements.position_json(broker, n) for n in sorted(touched)],
            "transactions": happened,
        },
        "state": state,
    }  # fmt: skip
