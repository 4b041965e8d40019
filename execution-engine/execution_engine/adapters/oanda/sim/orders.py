"""Orders: the request checks OANDA makes before it accepts one, the order records, their
JSON, and when a pending order's price is reached.

Entry orders are MARKET, LIMIT, STOP and MARKET_IF_TOUCHED; TAKE_PROFIT, STOP_LOSS and
TRAILING_STOP_LOSS are dependent orders on a trade (created on fill or on their own).
Triggering uses the side that fills: a buy looks at the ask, a sell at the bid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from execution_engine.adapters.oanda.sim.config import InstrumentSpec
from execution_engine.adapters.oanda.sim.errors import OrderRejectError
from execution_engine.adapters.oanda.sim.wire import dec, now_ns, parse_time

ENTRY_TYPES = ("MARKET", "LIMIT", "STOP", "MARKET_IF_TOUCHED")
DEPENDENT_TYPES = ("TAKE_PROFIT", "STOP_LOSS", "TRAILING_STOP_LOSS")
MARKET_TIF = ("FOK", "IOC")
PENDING_TIF = ("GTC", "GTD", "GFD", "FOK", "IOC")
DEPENDENT_TIF = ("GTC", "GTD", "GFD")
POSITION_FILLS = ("DEFAULT", "OPEN_ONLY", "REDUCE_FIRST", "REDUCE_ONLY")
TRIGGER_CONDITIONS = ("DEFAULT", "INVERSE", "BID", "ASK", "MID")


@dataclass
class Order:
    """One order as the account keeps it (OANDA's Order and its subtypes)."""

    id: str
    type: str
    create_time: str
    instrument: str
    units: Decimal = Decimal(0)
    price: Decimal | None = None
    price_bound: Decimal | None = None
    time_in_force: str = "GTC"
    gtd_time: str | None = None
    gtd_ns: int | None = None
    position_fill: str = "DEFAULT"
    trigger_condition: str = "DEFAULT"
    client_extensions: dict[str, str] | None = None
    trade_client_extensions: dict[str, str] | None = None
    take_profit_on_fill: dict[str, Any] | None = None
    stop_loss_on_fill: dict[str, Any] | None = None
    trailing_stop_loss_on_fill: dict[str, Any] | None = None
    trade_id: str | None = None
    client_trade_id: str | None = None
    distance: Decimal | None = None
    trailing_stop_value: Decimal | None = None
    replaces: str | None = None
    state: str = "PENDING"
    extra: dict[str, Any] = field(default_factory=dict)
    outcome: dict[str, Any] = field(default_factory=dict)  # filling/cancelling ids and times

    @property
    def client_id(self) -> str | None:
        return None if self.client_extensions is None else self.client_extensions.get("id")

    def request_fields(self) -> dict[str, Any]:
        """The fields the order's create (or reject) transaction repeats from the request."""
        body: dict[str, Any] = {}
        if self.trade_id is not None:
            body["tradeID"] = self.trade_id
            if self.client_trade_id is not None:
                body["clientTradeID"] = self.client_trade_id
        else:
            body["instrument"] = self.instrument
            body["units"] = dec(self.units)
        for key, value in (
            ("price", self.price), ("priceBound", self.price_bound), ("distance", self.distance),
        ):  # fmt: skip
            if value is not None:
                body[key] = dec(value)
        body["timeInForce"] = self.time_in_force
        if self.gtd_time is not None:
            body["gtdTime"] = self.gtd_time
        if self.trade_id is None:
            body["positionFill"] = self.position_fill
        if self.type != "MARKET":
            body["triggerCondition"] = self.trigger_condition
        for key, extension in (
            ("clientExtensions", self.client_extensions),
            ("takeProfitOnFill", self.take_profit_on_fill),
            ("stopLossOnFill", self.stop_loss_on_fill),
            ("trailingStopLossOnFill", self.trailing_stop_loss_on_fill),
            ("tradeClientExtensions", self.trade_client_extensions),
        ):
            if extension is not None:
                body[key] = extension
        if self.replaces is not None:
            body["replacesOrderID"] = self.replaces
        body.update(self.extra)
        return body

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "createTime": self.create_time, "type": self.type}
        body["state"] = self.state
        body.update(self.request_fields())
        if self.trailing_stop_value is not None:
            body["trailingStopValue"] = dec(self.trailing_stop_value)
        body.update(self.outcome)
        return body

    def expired(self, ns: int) -> bool:
        return self.gtd_ns is not None and ns >= self.gtd_ns


def _decimal(value: object, missing: str, invalid: str) -> Decimal:
    if value is None:
        raise OrderRejectError(missing)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise OrderRejectError(invalid) from None
    if not number.is_finite():
        raise OrderRejectError(invalid)
    return number


def _places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def parse_units(raw: object, spec: InstrumentSpec) -> Decimal:
    units = _decimal(raw, "UNITS_MISSING", "UNITS_INVALID")
    if units == 0:
        raise OrderRejectError("UNITS_INVALID")
    if _places(units) > spec.trade_units_precision:
        raise OrderRejectError("UNITS_PRECISION_EXCEEDED")
    if abs(units) > spec.maximum_order_units:
        raise OrderRejectError("UNITS_LIMIT_EXCEEDED")
    if abs(units) < spec.minimum_trade_size:
        raise OrderRejectError("UNITS_MIMIMUM_NOT_MET")
    return units


def parse_price(raw: object, spec: InstrumentSpec, prefix: str = "PRICE") -> Decimal:
    price = _decimal(raw, f"{prefix}_MISSING", f"{prefix}_INVALID")
    if price <= 0:
        raise OrderRejectError(f"{prefix}_INVALID")
    if _places(price) > spec.display_precision:
        raise OrderRejectError(f"{prefix}_PRECISION_EXCEEDED")
    return price


def parse_time_in_force(request: dict[str, Any], kind: str) -> tuple[str, str | None, int | None]:
    allowed = (
        MARKET_TIF
        if kind == "MARKET"
        else DEPENDENT_TIF
        if kind in DEPENDENT_TYPES
        else PENDING_TIF
    )
    tif = request.get("timeInForce") or ("FOK" if kind == "MARKET" else "GTC")
    if tif not in allowed:
        raise OrderRejectError("TIME_IN_FORCE_INVALID")
    if tif != "GTD":
        return tif, None, None
    gtd = request.get("gtdTime")
    if not gtd:
        raise OrderRejectError("TIME_IN_FORCE_GTD_TIMESTAMP_MISSING")
    try:
        gtd_ns = parse_time(str(gtd))
    except ValueError:
        raise OrderRejectError("TIME_IN_FORCE_GTD_TIMESTAMP_MISSING") from None
    if gtd_ns <= now_ns():
        raise OrderRejectError("TIME_IN_FORCE_GTD_TIMESTAMP_IN_PAST")
    return tif, str(gtd), gtd_ns


def parse_client_extensions(raw: object) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise OrderRejectError("CLIENT_ORDER_ID_INVALID")
    extensions = {
        key: str(raw[key]) for key in ("id", "tag", "comment") if raw.get(key) is not None
    }
    if "id" in extensions and (not extensions["id"] or len(extensions["id"]) > 128):
        raise OrderRejectError("CLIENT_ORDER_ID_INVALID")
    return extensions


def check_on_fill(order: Order, spec: InstrumentSpec, reference: Decimal | None) -> None:
    """The TP/SL on fill prices: right precision, and not a loss (TP) or gain (SL) against
    `reference` (a pending order's price; None for market orders, checked at the fill)."""
    for key, name in (("take_profit_on_fill", "TAKE_PROFIT"), ("stop_loss_on_fill", "STOP_LOSS")):
        details = getattr(order, key)
        if details is None or details.get("price") is None:
            continue
        price = parse_price(details["price"], spec, f"{name}_ON_FILL_PRICE")
        if reference is not None and on_fill_loses(name, order.units, price, reference):
            raise OrderRejectError(f"{name}_ON_FILL_LOSS")
    trailing = order.trailing_stop_loss_on_fill
    if trailing is not None:
        distance = _decimal(
            trailing.get("distance"), "TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_INVALID",
            "TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_INVALID",
        )  # fmt: skip
        if distance <= 0:
            raise OrderRejectError("TRAILING_STOP_LOSS_ON_FILL_PRICE_DISTANCE_INVALID")


def on_fill_loses(kind: str, units: Decimal, price: Decimal, fill: Decimal) -> bool:
    """A take profit at or beyond the fill on the losing side, or a stop loss on the winning."""
    long = units > 0
    if kind == "TAKE_PROFIT":
        return price <= fill if long else price >= fill
    return price >= fill if long else price <= fill


def entry_triggered(order: Order, bid: Decimal, ask: Decimal) -> bool:
    """A pending entry order's price reached (a buy watches the ask, a sell the bid)."""
    assert order.price is not None  # pending entry orders always carry a price
    buy = order.units > 0
    side = ask if buy else bid
    if order.type in ("LIMIT", "MARKET_IF_TOUCHED"):
        return side <= order.price if buy else side >= order.price
    return side >= order.price if buy else side <= order.price  # STOP


def dependent_triggered(order: Order, trade_units: Decimal, bid: Decimal, ask: Decimal) -> bool:
    """A TP/SL/TSL on a trade reached: a long closes at the bid, a short at the ask."""
    long = trade_units > 0
    side = bid if long else ask
    level = order.trailing_stop_value if order.type == "TRAILING_STOP_LOSS" else order.price
    assert level is not None  # dependent orders always have a level
    if order.type == "TAKE_PROFIT":
        return side >= level if long else side <= level
    return side <= level if long else side >= level


def trail(order: Order, trade_units: Decimal, bid: Decimal, ask: Decimal, tick: Decimal) -> None:
    """Move a trailing stop with the market (never back)."""
    assert order.distance is not None  # every trailing stop has one
    assert order.trailing_stop_value is not None  # set when the stop is attached
    if trade_units > 0:
        order.trailing_stop_value = max(
            order.trailing_stop_value, (bid - order.distance).quantize(tick)
        )
    else:
        order.trailing_stop_value = min(
            order.trailing_stop_value, (ask + order.distance).quantize(tick)
        )
