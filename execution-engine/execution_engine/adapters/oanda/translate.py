"""NautilusTrader orders → OANDA v20 order requests (the JSON body's `order`, OANDA's names),
and what OANDA cannot take, refused before anything is sent (`OrderRefusedError`).

| NautilusTrader | OANDA |
| --- | --- |
| MARKET | MARKET (FOK or IOC only: GTC/DAY market orders go FOK, OANDA's default) |
| LIMIT | LIMIT |
| STOP_MARKET | STOP |
| STOP_LIMIT | STOP with `priceBound` (the worst price it may fill at) |
| MARKET_IF_TOUCHED | MARKET_IF_TOUCHED |
| GTC / GTD / DAY / IOC / FOK | GTC / GTD (`gtdTime`) / GFD / IOC / FOK |

Units are signed (a sell is negative) at the instrument's size precision; prices at its
price precision. The client order id travels in `clientExtensions.id` (tag "gauntlet"), so
the order is found again as `@<id>` after a lost answer or a restart. A reduce-only order
is `positionFill: REDUCE_ONLY`. A modify is OANDA's replace: the same request with the new
price, trigger or quantity (OANDA cancels the order and creates its replacement).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
from nautilus_trader.model.enums import OrderSide, OrderType, TimeInForce
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.model.orders import Order

CLIENT_TAG = "gauntlet"
CLIENT_ID_MAX = 128  # OANDA's ClientID is at most 128 characters
_TYPES = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.STOP_MARKET: "STOP",
    OrderType.STOP_LIMIT: "STOP",
    OrderType.MARKET_IF_TOUCHED: "MARKET_IF_TOUCHED",
}
_PENDING_TIF = {
    TimeInForce.GTC: "GTC",
    TimeInForce.GTD: "GTD",
    TimeInForce.DAY: "GFD",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
}
_MARKET_TIF = {
    TimeInForce.GTC: "FOK",
    TimeInForce.DAY: "FOK",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
}


class OrderRefusedError(ValueError):
    """An order OANDA cannot take as asked; one line saying what, nothing was sent."""


def order_request(order: Order, name: str, instrument: Instrument) -> dict[str, Any]:
    """The v20 order request for `order` on OANDA's instrument `name`."""
    kind = _TYPES.get(order.order_type)
    if kind is None:
        raise OrderRefusedError(
            f"OANDA has no {order.type_string()} orders (MARKET, LIMIT, STOP_MARKET, "
            "STOP_LIMIT, MARKET_IF_TOUCHED)"
        )
    if order.is_post_only:
        raise OrderRefusedError("OANDA has no post-only orders")
    if len(order.client_order_id.value) > CLIENT_ID_MAX:
        raise OrderRefusedError(f"client order id longer than OANDA's {CLIENT_ID_MAX} characters")
    request: dict[str, Any] = {
        "type": kind,
        "instrument": name,
        "units": signed_units(order.side, order.quantity, instrument),
        "timeInForce": _time_in_force(order, kind),
        "positionFill": "REDUCE_ONLY" if order.is_reduce_only else "DEFAULT",
        "clientExtensions": {"id": order.client_order_id.value, "tag": CLIENT_TAG},
    }
    request.update(_prices(order, instrument))
    if request["timeInForce"] == "GTD":
        request["gtdTime"] = rfc3339(order.expire_time_ns)
    if kind != "MARKET":
        request["triggerCondition"] = "DEFAULT"
    return request


def replace_request(
    order: Order,
    name: str,
    instrument: Instrument,
    *,
    quantity: Quantity | None = None,
    price: Price | None = None,
    trigger_price: Price | None = None,
) -> dict[str, Any]:
    """The replacing order's request: `order` with the given terms changed."""
    request = order_request(order, name, instrument)
    if request["type"] == "MARKET":
        raise OrderRefusedError("a market order cannot be modified")
    if quantity is not None:
        request["units"] = signed_units(order.side, quantity, instrument)
    if order.order_type == OrderType.LIMIT:
        if price is not None:
            request["price"] = _price(price, instrument)
    elif trigger_price is not None:  # a stop's or MIT's trigger is OANDA's price
        request["price"] = _price(trigger_price, instrument)
    if order.order_type == OrderType.STOP_LIMIT and price is not None:
        request["priceBound"] = _price(price, instrument)
    return request


def signed_units(side: OrderSide, quantity: Quantity, instrument: Instrument) -> str:
    """OANDA's units: the quantity at the instrument's size precision, negative to sell."""
    amount: Decimal = quantity.as_decimal()
    step: Decimal = instrument.size_increment.as_decimal()
    if step > 0 and amount % step != 0:
        raise OrderRefusedError(
            f"quantity {quantity} is not a multiple of {instrument.id}'s units step {step}"
        )
    text = f"{amount:.{instrument.size_precision}f}"
    return f"-{text}" if side == OrderSide.SELL else text


def _time_in_force(order: Order, kind: str) -> str:
    table = _MARKET_TIF if kind == "MARKET" else _PENDING_TIF
    tif = table.get(order.time_in_force)
    if tif is None:
        allowed = "FOK, IOC (GTC and DAY as FOK)" if kind == "MARKET" else "GTC, GTD, DAY, IOC, FOK"
        raise OrderRefusedError(
            f"OANDA has no time in force {order.tif_string()} for {kind} orders ({allowed})"
        )
    return tif


def _prices(order: Order, instrument: Instrument) -> dict[str, str]:
    if order.order_type == OrderType.LIMIT:
        return {"price": _price(order.price, instrument)}
    if order.order_type in (OrderType.STOP_MARKET, OrderType.MARKET_IF_TOUCHED):
        return {"price": _price(order.trigger_price, instrument)}
    if order.order_type == OrderType.STOP_LIMIT:
        return {
            "price": _price(order.trigger_price, instrument),
            "priceBound": _price(order.price, instrument),
        }
    return {}


def _price(price: Price, instrument: Instrument) -> str:
    value: Decimal = price.as_decimal()
    return f"{value:.{instrument.price_precision}f}"


def rfc3339(ts_ns: int) -> str:
    """Nanoseconds since the epoch as OANDA's RFC 3339 time (UTC, nanoseconds kept)."""
    seconds, nanos = divmod(int(ts_ns), 1_000_000_000)
    moment = pd.Timestamp(seconds, unit="s", tz="UTC")
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"
